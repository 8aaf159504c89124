// Waiting for commits (persist/src/commit_signal.h, Store::WaitForCommit,
// StoreOptions::background_refresh): a read-only process sleeps until the
// writer commits, wakes without polling, times out on time without using CPU,
// survives a damaged, planted or missing signal file, and a background
// refresh follows the writer while other threads hold Views.
#include "commit_signal.h"

#include <doctest/doctest.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <sstream>
#include <thread>

#include "store_testutil.h"

using namespace hubreg;
using namespace hubreg::test;

namespace {

const std::string kWaitChild = HUBREG_WAIT_CHILD;
const std::string kCrashWriter = HUBREG_CRASH_WRITER;
constexpr auto kGenerous = std::chrono::seconds(30);

std::string SignalAt(const std::string& dir) { return dir + "/" + persist::kCommitSignalFile; }

StoreOptions ReadOnly(StoreOptions options) {
  options.read_only = true;
  return options;
}

double ThreadCpuMilliseconds() {
  rusage usage{};
  ::getrusage(RUSAGE_THREAD, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1e3 +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e3;
}

// "a b c" -> {a, b, c}
std::vector<long> Numbers(const std::string& line) {
  std::vector<long> numbers;
  std::istringstream in(line);
  for (long n; in >> n;) numbers.push_back(n);
  return numbers;
}

// Waits (with a deadline far beyond any slow machine) until `store` holds
// `sequence`; true when it does.
bool EventuallyAt(const Store& store, std::uint64_t sequence) {
  const auto deadline = std::chrono::steady_clock::now() + kGenerous;
  while (store.Read().sequence() < sequence) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

}  // namespace

TEST_CASE("the writer keeps a private commit signal holding its last sequence") {
  TempDir dir;
  StoreOptions options = StoreAt(dir.Path("data"));
  auto writer = OpenStore(options);
  REQUIRE_OK(writer->Apply(SampleBatch()));
  struct stat info {};
  REQUIRE(::lstat(SignalAt(options.path).c_str(), &info) == 0);
  CHECK(S_ISREG(info.st_mode));
  CHECK((info.st_mode & 0777) == 0600);
  CHECK(info.st_size == static_cast<off_t>(persist::kCommitSignalBytes));
  StatusOr<persist::CommitSignal> signal = persist::CommitSignal::OpenForWaiting(options.path);
  REQUIRE_OK(signal);
  CHECK(signal->Sequence() == 1);
  const std::uint32_t word = signal->Word();
  REQUIRE_OK(writer->Apply(AwkwardBatch()));
  CHECK(signal->Sequence() == 2);
  CHECK(signal->Word() != word);
  CHECK(writer->Stats().commit_signal);
}

TEST_CASE("a waiting process sleeps until the writer commits, then sees the batch") {
  TempDir dir;
  StoreOptions options = StoreAt(dir.Path("data"));
  options.sync = SyncMode::kNoSync;
  auto writer = OpenStore(options);
  REQUIRE_OK(writer->Apply(SampleBatch()));

  Child waiter({kWaitChild, "wait", options.path, "1", "60000"});
  REQUIRE(waiter.ReadLine() == "ready 1");
  REQUIRE_OK(writer->Apply(AwkwardBatch()));
  std::optional<std::string> woke = waiter.ReadLine(60000);
  REQUIRE(woke.has_value());
  std::vector<long> numbers = Numbers(*woke);
  REQUIRE(numbers.size() == 3);
  CHECK(numbers[0] == 1);
  CHECK(numbers[1] < 60000);
  CHECK(waiter.ReadLine() == "0 2 6");
  CHECK(waiter.Wait() == 0);
}

TEST_CASE("a wait in another process that times out returns on time without using the CPU") {
  TempDir dir;
  StoreOptions options = StoreAt(dir.Path("data"));
  auto writer = OpenStore(options);
  REQUIRE_OK(writer->Apply(SampleBatch()));

  Child waiter({kWaitChild, "wait", options.path, "1", "400"});
  REQUIRE(waiter.ReadLine() == "ready 1");
  std::optional<std::string> line = waiter.ReadLine(60000);
  REQUIRE(line.has_value());
  std::vector<long> numbers = Numbers(*line);
  REQUIRE(numbers.size() == 3);
  CHECK(numbers[0] == 0);
  CHECK(numbers[1] >= 400);
  CHECK(numbers[2] < 50);  // a spinning wait would use about 400 ms
  CHECK(waiter.ReadLine() == "0 1 5");
}

TEST_CASE("a batch already durable ends a wait at once") {
  TempDir dir;
  StoreOptions options = StoreAt(dir.Path("data"));
  auto writer = OpenStore(options);
  REQUIRE_OK(writer->Apply(SampleBatch()));
  auto reader = OpenStore(ReadOnly(options));
  REQUIRE_OK(writer->Apply(AwkwardBatch()));
  // A timeout no test could sit out: only an immediate answer passes.
  const auto forever = std::chrono::hours(1);
  CHECK(writer->WaitForCommit(1, forever).value());
  CHECK(reader->WaitForCommit(1, forever).value());
  CHECK(reader->Read().sequence() == 1);  // waiting does not refresh
}

TEST_CASE("waits in this process: the writer's and a read-only store's, woken by another thread") {
  TempDir dir;
  StoreOptions options = StoreAt(dir.Path("data"));
  auto writer = OpenStore(options);
  REQUIRE_OK(writer->Apply(SampleBatch()));
  auto reader = OpenStore(ReadOnly(options));
  const Store* waiting = nullptr;
  SUBCASE("the writer") { waiting = writer.get(); }
  SUBCASE("a read-only store") { waiting = reader.get(); }

  std::atomic<bool> woke{false};
  std::thread thread([&] { woke = waiting->WaitForCommit(1, std::chrono::hours(1)).value(); });
  Status applied = writer->Apply(AwkwardBatch()).status();
  thread.join();
  CHECK_OK(applied);
  CHECK(woke.load());

  const double cpu_before = ThreadCpuMilliseconds();
  const auto start = std::chrono::steady_clock::now();
  CHECK_FALSE(waiting->WaitForCommit(2, std::chrono::milliseconds(300)).value());
  CHECK(std::chrono::steady_clock::now() - start >= std::chrono::milliseconds(300));
  CHECK(ThreadCpuMilliseconds() - cpu_before < 50);
}

TEST_CASE("a damaged, planted or missing signal file never breaks opening or waiting") {
  TempDir dir;
  StoreOptions options = StoreAt(dir.Path("data"));
  { REQUIRE_OK(OpenStore(options)->Apply(SampleBatch())); }
  const std::string signal = SignalAt(options.path);
  const std::string victim = dir.Path("victim");
  WriteFile(victim, "keep");
  std::filesystem::remove(signal);
  bool replaceable = true;  // by a writer

  SUBCASE("damaged") {
    WriteFile(signal, "not a commit signal");
    Status status = persist::CommitSignal::OpenForWaiting(options.path).status();
    CHECK(status.code() == ErrorCode::kCorruption);
    CHECK(status.message() == signal + ": 19 bytes, expected 32");
    WriteFile(signal, std::string(persist::kCommitSignalBytes, 'x'));
    status = persist::CommitSignal::OpenForWaiting(options.path).status();
    CHECK(status.message() ==
          signal + ": not a commit signal of format version 1 (wrong magic or version)");
  }
  SUBCASE("a symbolic link") {
    std::filesystem::create_symlink(victim, signal);
    Status status = persist::CommitSignal::OpenForWaiting(options.path).status();
    CHECK(status.code() == ErrorCode::kCorruption);
    CHECK(status.message() == signal + ": is a symbolic link");
  }
  SUBCASE("a directory") {
    std::filesystem::create_directory(signal);
    replaceable = false;
    CHECK(persist::CommitSignal::OpenForWaiting(options.path).status().code() ==
          ErrorCode::kCorruption);
  }
  SUBCASE("missing") {
    CHECK(persist::CommitSignal::OpenForWaiting(options.path).status().code() ==
          ErrorCode::kNotFound);
  }

  auto reader = OpenStore(ReadOnly(options));
  CHECK_FALSE(reader->Stats().commit_signal);
  const auto start = std::chrono::steady_clock::now();
  CHECK_FALSE(reader->WaitForCommit(1, std::chrono::milliseconds(120)).value());
  CHECK(std::chrono::steady_clock::now() - start >= std::chrono::milliseconds(120));

  // A waiter looking every 50 ms meanwhile is woken all the same...
  std::atomic<bool> woke{false};
  std::thread thread([&] { woke = reader->WaitForCommit(1, std::chrono::hours(1)).value(); });
  // ...by a writer, which replaces whatever was in the way (a planted link
  // itself, never the file it points to).
  StatusOr<std::unique_ptr<Store>> opened = Store::Open(options);
  Status status = opened.status();
  if (opened.ok()) status = (*opened)->Apply(AwkwardBatch()).status();
  thread.join();
  REQUIRE_OK(status);
  CHECK(woke.load());
  CHECK(ReadFile(victim) == "keep");
  struct stat info {};
  REQUIRE(::lstat(signal.c_str(), &info) == 0);
  CHECK(S_ISREG(info.st_mode) == replaceable);
  // The reader attaches to the new file and sleeps on it from now on.
  CHECK(reader->Stats().commit_signal == replaceable);
  REQUIRE_OK(reader->Refresh());
  CHECK(reader->Read().sequence() == 2);
}

TEST_CASE("a reader with background refresh follows a writer in another process by itself") {
  TempDir dir;
  StoreOptions options = StoreAt(dir.Path("data"));
  // Compacting every 7 batches: the reader also reloads past compactions.
  Child writer({kCrashWriter, "write", options.path, "7", "nosync"});
  REQUIRE(writer.ReadLine() == "1");
  StoreOptions background = ReadOnly(options);
  background.background_refresh = true;
  auto reader = OpenStore(background);
  std::uint64_t acknowledged = 1;
  while (acknowledged < 40) {
    std::optional<std::string> line = writer.ReadLine();
    REQUIRE(line.has_value());
    acknowledged = std::stoull(*line);
  }
  // Never calls Refresh: the store's own thread does.
  CHECK(EventuallyAt(*reader, acknowledged));
  CHECK(reader->Stats().last_refresh_error.empty());
  writer.Kill();
  writer.Wait();
}

TEST_CASE("background refresh reloads while other threads hold Views, and stops promptly") {
  TempDir dir;
  StoreOptions options = StoreAt(dir.Path("data"));
  options.sync = SyncMode::kNoSync;
  auto writer = OpenStore(options);
  REQUIRE_OK(writer->Apply(SampleBatch()));
  StoreOptions background = ReadOnly(options);
  background.background_refresh = true;
  auto reader = OpenStore(background);
  constexpr std::size_t kSampleUsers = 5;

  std::atomic<bool> done{false};
  std::atomic<bool> consistent{true};
  auto read_loop = [&] {
    while (!done.load()) {
      View view = reader->Read();
      if (view.counts().users != kSampleUsers + (view.sequence() - 1)) consistent = false;
      for (const User& user : view.users()) {
        if (view.FindUserByExternalId(user.external_id) != &user) consistent = false;
      }
    }
  };
  std::thread first(read_loop);
  std::thread second(read_loop);
  Status status;
  for (Id id = 100; id < 130 && status.ok(); ++id) {
    status = writer
                 ->Apply(Batch().Insert(
                     MakeUser(id, "U-" + std::to_string(id), std::to_string(id) + "@example.com")))
                 .status();
    // Compactions past the reader make its refreshes reload.
    if (status.ok() && id % 5 == 0) status = writer->Compact();
  }
  const bool caught_up = status.ok() && EventuallyAt(*reader, writer->Read().sequence());
  done = true;
  first.join();
  second.join();
  CHECK_OK(status);
  CHECK(caught_up);
  CHECK(consistent.load());
  CHECK(reader->Stats().last_refresh_error.empty());

  // Its thread sleeps on the signal; closing wakes it at once.
  const auto start = std::chrono::steady_clock::now();
  reader.reset();
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::milliseconds(900));
}
