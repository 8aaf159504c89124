#include <utility>

#include "hubreg/feed.h"

namespace hubreg {

Subscription::Subscription(std::uint64_t after_sequence, Pull pull, RestartSequence restart,
                           std::chrono::milliseconds idle, Callback callback)
    : state_(std::make_unique<State>()) {
  state_->position.store(after_sequence);
  thread_ = std::thread(&Subscription::Run, std::ref(*state_), std::move(pull), std::move(restart),
                        idle, std::move(callback));
}

Subscription::~Subscription() { Stop(); }

Subscription::Subscription(Subscription&& other) noexcept
    : state_(std::move(other.state_)), thread_(std::move(other.thread_)) {}

Subscription& Subscription::operator=(Subscription&& other) noexcept {
  if (this != &other) {
    Stop();
    state_ = std::move(other.state_);
    thread_ = std::move(other.thread_);
  }
  return *this;
}

void Subscription::Stop() {
  if (state_ != nullptr) {
    std::lock_guard<std::mutex> lock(state_->mutex);
    state_->stop = true;
    state_->stopped.notify_all();
  }
  if (thread_.joinable()) thread_.join();
}

std::uint64_t Subscription::position() const {
  return state_ != nullptr ? state_->position.load() : 0;
}

bool Subscription::running() const { return state_ != nullptr && state_->running.load(); }

void Subscription::Run(State& state, Pull pull, RestartSequence restart,
                       std::chrono::milliseconds idle, Callback callback) {
  auto stopping = [&state] {
    std::lock_guard<std::mutex> lock(state.mutex);
    return state.stop;
  };
  while (!stopping()) {
    StatusOr<std::optional<ChangeBatch>> next = pull(state.position.load(), kPullTimeout);
    if (!next.ok()) {
      FeedEvent event;
      event.status = next.status();
      if (next.status().code() == ErrorCode::kResyncRequired) {
        event.kind = FeedEvent::Kind::kResync;
        event.restart_sequence = restart();
      } else {
        event.kind = FeedEvent::Kind::kError;
      }
      state.running.store(false);
      callback(event);
      return;
    }
    if (!next->has_value()) {
      if (idle.count() > 0) {
        std::unique_lock<std::mutex> lock(state.mutex);
        state.stopped.wait_for(lock, idle, [&state] { return state.stop; });
      }
      continue;
    }
    FeedEvent event;
    event.batch = std::move(**next);
    state.position.store(event.batch.sequence);
    callback(event);
  }
  state.running.store(false);
}

}  // namespace hubreg
