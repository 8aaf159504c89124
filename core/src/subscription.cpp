// Subscriptions and their fan-out. One thread per Registry or Store (the
// fan-out) reads each batch once from the source and hands it to every
// subscription's bounded queue; each subscription's own thread runs its
// callback. The writer wakes the fan-out only when it sleeps, and after
// handing batches out it lets new ones gather for Subscription::kGather, so a
// stream of commits costs the writer no wake-ups at all. A subscription whose
// queue is full (a slow or stuck callback) is skipped and later reads what it
// missed from the source itself: the ring, the journal, or a resync.
#include <algorithm>
#include <condition_variable>
#include <deque>
#include <utility>
#include <vector>

#include "hubreg/feed.h"

namespace hubreg {
namespace detail {

struct Subscriber {
  Subscriber(std::uint64_t after_sequence, Subscription::Callback on_event)
      : callback(std::move(on_event)), position(after_sequence) {}

  const Subscription::Callback callback;
  std::mutex mutex;
  std::condition_variable changed;
  // Handed out by the fan-out, ascending; entries at or below `position`
  // are dropped unread.
  std::deque<std::shared_ptr<const ChangeBatch>> queue;
  // Some batch after `position` was not queued (the subscription started
  // behind the fan-out, or its queue was full): read the source until it
  // has nothing newer.
  bool behind = true;
  bool waiting = false;  // asleep on `changed`
  bool stop = false;
  std::atomic<std::uint64_t> position;
  std::atomic<bool> running{true};
};

class FanOut {
 public:
  // Starts where the source is now: a subscription added later reads what
  // came before that itself (Subscriber::behind).
  explicit FanOut(FeedSource source)
      : source_(std::move(source)), start_(source_.head()), thread_([this] { PullLoop(); }) {}

  ~FanOut() {
    stop_.store(true);
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.notify_all();
    // The thread may sleep in the source's wait: wake it until it has gone
    // (one wake-up can fall between its look at stop_ and its sleep).
    while (!exited_) {
      lock.unlock();
      source_.wake();
      lock.lock();
      changed_.wait_for(lock, std::chrono::milliseconds(10), [this] { return exited_; });
    }
    lock.unlock();
    thread_.join();
  }

  FanOut(const FanOut&) = delete;
  FanOut& operator=(const FanOut&) = delete;

  void Add(std::shared_ptr<Subscriber> subscriber) {
    std::lock_guard<std::mutex> lock(mutex_);
    subscribers_.push_back(std::move(subscriber));
    changed_.notify_all();
  }

  void Remove(const Subscriber* subscriber) {
    std::lock_guard<std::mutex> lock(mutex_);
    std::erase_if(subscribers_, [subscriber](const auto& s) { return s.get() == subscriber; });
  }

  // A subscription's thread: its callback, batch after batch.
  void Deliver(Subscriber& subscriber);

 private:
  static constexpr std::size_t kMaxGroup = 256;  // batches read before handing out
  static constexpr std::chrono::milliseconds kRetry{100};

  void PullLoop();
  // Sleeps for `duration` or until the fan-out is stopped.
  void Pause(std::chrono::milliseconds duration);
  bool AnyRunning() const;  // REQUIRES: mutex_ held
  void HandOut(const std::vector<std::shared_ptr<const ChangeBatch>>& batches);
  // Every subscription reads the source itself: the fan-out skips to the
  // head. Taking the head first, then marking, loses nothing: what the head
  // covers a subscription reads after being marked; the rest is handed out.
  std::uint64_t SkipToHead();

  FeedSource source_;
  const std::uint64_t start_;
  std::atomic<bool> stop_{false};
  mutable std::mutex mutex_;
  std::condition_variable changed_;  // stop_, exited_, subscribers_
  bool exited_ = false;
  std::vector<std::shared_ptr<Subscriber>> subscribers_;
  std::thread thread_;  // last: starts once the rest is built
};

bool FanOut::AnyRunning() const {
  return std::any_of(subscribers_.begin(), subscribers_.end(),
                     [](const auto& s) { return s->running.load(); });
}

void FanOut::Pause(std::chrono::milliseconds duration) {
  std::unique_lock<std::mutex> lock(mutex_);
  changed_.wait_for(lock, duration, [this] { return stop_.load(); });
}

void FanOut::PullLoop() {
  std::uint64_t position = start_;
  std::vector<std::shared_ptr<const ChangeBatch>> batches;
  while (!stop_.load()) {
    {
      // Nobody to hand batches to (every subscription ended on a resync or
      // an error): sleep until one is added, and start again at the head.
      std::unique_lock<std::mutex> lock(mutex_);
      if (!AnyRunning()) {
        changed_.wait(lock, [this] { return stop_.load() || AnyRunning(); });
        lock.unlock();
        position = std::max(position, SkipToHead());
        continue;
      }
    }
    batches.clear();
    Status failed;
    while (batches.size() < kMaxGroup) {
      StatusOr<std::shared_ptr<const ChangeBatch>> next = source_.next(position);
      if (!next.ok()) {
        failed = next.status();
        break;
      }
      if (*next == nullptr) break;
      position = (*next)->sequence;
      batches.push_back(std::move(*next));
    }
    if (!batches.empty()) HandOut(batches);
    if (!failed.ok()) {
      // Fallen behind what the source keeps, or it cannot be read: each
      // subscription finds out for itself (and ends with a resync or an
      // error); go on from the newest batch.
      position = std::max(position, SkipToHead());
      Pause(kRetry);
    } else if (batches.size() == kMaxGroup) {
      continue;
    } else if (!batches.empty()) {
      Pause(Subscription::kGather);
    } else {
      source_.wait(position, Subscription::kIdleWait, stop_);
    }
  }
  std::lock_guard<std::mutex> lock(mutex_);
  exited_ = true;
  changed_.notify_all();
}

void FanOut::HandOut(const std::vector<std::shared_ptr<const ChangeBatch>>& batches) {
  std::lock_guard<std::mutex> lock(mutex_);
  for (const std::shared_ptr<Subscriber>& subscriber : subscribers_) {
    bool wake = false;
    {
      std::lock_guard<std::mutex> queue_lock(subscriber->mutex);
      if (subscriber->stop || !subscriber->running.load()) continue;
      std::uint64_t queued = subscriber->position.load();
      if (!subscriber->queue.empty()) queued = std::max(queued, subscriber->queue.back()->sequence);
      for (const std::shared_ptr<const ChangeBatch>& batch : batches) {
        if (batch->sequence <= queued) continue;
        if (subscriber->queue.size() >= Subscription::kQueueBatches) {
          subscriber->behind = true;
          break;
        }
        subscriber->queue.push_back(batch);
        wake = true;
      }
      wake = wake && subscriber->waiting;
    }
    if (wake) subscriber->changed.notify_one();
  }
}

std::uint64_t FanOut::SkipToHead() {
  const std::uint64_t head = source_.head();
  std::lock_guard<std::mutex> lock(mutex_);
  for (const std::shared_ptr<Subscriber>& subscriber : subscribers_) {
    {
      std::lock_guard<std::mutex> queue_lock(subscriber->mutex);
      subscriber->behind = true;
    }
    subscriber->changed.notify_one();
  }
  return head;
}

void FanOut::Deliver(Subscriber& subscriber) {
  bool reading = false;  // reading the source itself until it has nothing newer
  for (;;) {
    std::shared_ptr<const ChangeBatch> batch;
    {
      std::unique_lock<std::mutex> lock(subscriber.mutex);
      for (;;) {
        if (subscriber.stop) {
          subscriber.running.store(false);
          return;
        }
        const std::uint64_t at = subscriber.position.load();
        auto& queue = subscriber.queue;
        while (!queue.empty() && queue.front()->sequence <= at) queue.pop_front();
        if (!queue.empty() && queue.front()->sequence == at + 1) {
          batch = std::move(queue.front());
          queue.pop_front();
          break;
        }
        // A gap before the queue's first batch, or batches never queued.
        if (subscriber.behind || !queue.empty()) {
          subscriber.behind = false;
          reading = true;
        }
        if (reading) break;
        subscriber.waiting = true;
        subscriber.changed.wait(lock);
        subscriber.waiting = false;
      }
    }
    if (batch == nullptr) {
      StatusOr<std::shared_ptr<const ChangeBatch>> next = source_.next(subscriber.position.load());
      if (!next.ok()) {
        FeedEvent event;
        event.status = next.status();
        if (next.status().code() == ErrorCode::kResyncRequired) {
          event.kind = FeedEvent::Kind::kResync;
          event.restart_sequence = source_.restart_sequence();
        } else {
          event.kind = FeedEvent::Kind::kError;
        }
        subscriber.running.store(false);
        subscriber.callback(event);
        return;
      }
      if (*next == nullptr) {
        reading = false;
        continue;
      }
      batch = std::move(*next);
    }
    FeedEvent event;
    event.batch = *batch;
    subscriber.position.store(batch->sequence);
    subscriber.callback(event);
  }
}

Subscription FanOutSlot::Subscribe(std::uint64_t after_sequence, Subscription::Callback callback,
                                   const std::function<FeedSource()>& source) {
  std::lock_guard<std::mutex> lock(mutex_);
  std::shared_ptr<FanOut> fan_out = fan_out_.lock();
  if (fan_out == nullptr) {
    fan_out = std::make_shared<FanOut>(source());
    fan_out_ = fan_out;
  }
  auto subscriber = std::make_shared<Subscriber>(after_sequence, std::move(callback));
  fan_out->Add(subscriber);
  return Subscription(std::move(fan_out), std::move(subscriber));
}

}  // namespace detail

Subscription::Subscription(std::shared_ptr<detail::FanOut> fan_out,
                           std::shared_ptr<detail::Subscriber> subscriber)
    : fan_out_(std::move(fan_out)), subscriber_(std::move(subscriber)) {
  thread_ = std::thread(&detail::FanOut::Deliver, fan_out_.get(), std::ref(*subscriber_));
}

Subscription::~Subscription() { Stop(); }

Subscription::Subscription(Subscription&& other) noexcept
    : fan_out_(std::move(other.fan_out_)),
      subscriber_(std::move(other.subscriber_)),
      thread_(std::move(other.thread_)) {}

Subscription& Subscription::operator=(Subscription&& other) noexcept {
  if (this != &other) {
    Stop();
    fan_out_ = std::move(other.fan_out_);
    subscriber_ = std::move(other.subscriber_);
    thread_ = std::move(other.thread_);
  }
  return *this;
}

void Subscription::Stop() {
  if (subscriber_ != nullptr) {
    {
      std::lock_guard<std::mutex> lock(subscriber_->mutex);
      subscriber_->stop = true;
      subscriber_->queue.clear();
    }
    subscriber_->changed.notify_one();
  }
  if (thread_.joinable()) thread_.join();
  if (fan_out_ != nullptr) {
    fan_out_->Remove(subscriber_.get());
    subscriber_->running.store(false);
    fan_out_.reset();  // the last subscription's end stops the fan-out's thread
  }
}

std::uint64_t Subscription::position() const {
  return subscriber_ != nullptr ? subscriber_->position.load() : 0;
}

bool Subscription::running() const { return subscriber_ != nullptr && subscriber_->running.load(); }

}  // namespace hubreg
