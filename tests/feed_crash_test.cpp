// The change feed across processes and crashes: a writer process
// (crash_writer) applies numbered batches and is killed with kill -9 at
// random moments; this process watches the data directory through a
// read-only store's cursor and must see exactly the batches the directory
// keeps, in order, once each: every acknowledged one, and at most the one in
// flight when the writer died.
#include <doctest/doctest.h>

#include <chrono>
#include <cstdlib>
#include <random>
#include <thread>

#include "store_testutil.h"

using namespace hubreg;
using namespace hubreg::test;

namespace {

const std::string kHelper = HUBREG_CRASH_WRITER;
constexpr int kFirstAckTimeoutMs = 120'000;

// Reads every batch after *cursor the directory holds now, checking that
// batch k is crash_writer's batch k (user k, client k, their link).
void Drain(const Store& watcher, std::uint64_t* cursor) {
  for (;;) {
    StatusOr<std::optional<ChangeBatch>> next =
        watcher.Changes(*cursor, std::chrono::milliseconds(0));
    REQUIRE_OK(next);
    if (!next->has_value()) return;
    const ChangeBatch& batch = **next;
    REQUIRE(batch.sequence == *cursor + 1);
    REQUIRE(batch.changes.size() == 3);
    const auto& user = std::get<RowChange<User>>(batch.changes[0]);
    REQUIRE(user.after.has_value());
    CHECK(user.after->id == batch.sequence);
    CHECK(user.after->external_id == "U-" + std::to_string(batch.sequence));
    *cursor = batch.sequence;
  }
}

}  // namespace

TEST_CASE("a watcher sees exactly the batches a writer killed with kill -9 left, once each") {
  const unsigned seed = 20261202;
  const char* rounds_text = std::getenv("HUBREG_CRASH_ROUNDS");
  const int rounds = rounds_text != nullptr ? std::max(1, std::atoi(rounds_text)) : 10;
  MESSAGE("seed " << seed << ", " << rounds << " rounds");
  std::mt19937 random(seed);
  std::uniform_int_distribution<int> delay_us(0, 50'000);
  TempDir dir;
  const std::string path = dir.Path("data");
  std::unique_ptr<Store> watcher;
  std::uint64_t cursor = 0, acknowledged = 0;
  for (int round = 0; round < rounds; ++round) {
    CAPTURE(round);
    {
      // Every other round compacts often: the watcher then reads batches
      // the snapshot covers from the feed's window.
      Child writer({kHelper, "write", path, round % 2 == 0 ? "0" : "3", "nosync"});
      const std::optional<std::string> first = writer.ReadLine(kFirstAckTimeoutMs);
      REQUIRE_MESSAGE(first.has_value(), "crash_writer acknowledged no batch");
      if (!watcher) {
        StoreOptions options = StoreAt(path);
        options.read_only = true;
        watcher = OpenStore(options);
      }
      Drain(*watcher, &cursor);  // while the writer runs
      std::this_thread::sleep_for(std::chrono::microseconds(delay_us(random)));
      Drain(*watcher, &cursor);
      writer.Kill();
      writer.Wait();
      std::vector<std::string> lines = writer.ReadAvailableLines(200);
      lines.insert(lines.begin(), *first);
      for (const std::string& line : lines) {
        acknowledged = std::max<std::uint64_t>(acknowledged, std::stoull(line));
      }
    }
    Drain(*watcher, &cursor);
    CHECK(cursor >= acknowledged);
    CHECK(cursor <= acknowledged + 1);  // the batch in flight may have been committed
    REQUIRE_OK(watcher->Refresh());
    CHECK(watcher->Read().sequence() == cursor);
    acknowledged = cursor;
  }
  MESSAGE(cursor << " batches watched");
}
