// Readers hammer lookups while one writer applies batches. Every batch keeps
// an invariant that a torn (partly visible) batch would break, so a reader
// that ever saw half a batch fails the test. Run under ThreadSanitizer in CI.
#include <doctest/doctest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "testutil.h"

using namespace hubreg;
using namespace hubreg::test;

namespace {

constexpr int kBatches = 2000;
constexpr int kReaders = 3;

// Batch n adds user n with two links, to clients 1 and 2, and moves client
// 1's name to "gen-n": in every consistent state, links == 2 * users and
// client 1's name names the newest user.
Batch GenerationBatch(int n) {
  Batch batch;
  batch.Insert(MakeUser(static_cast<Id>(n), "U-" + std::to_string(n),
                        "user" + std::to_string(n) + "@example.com"));
  batch.Link(1, static_cast<Id>(n)).Link(2, static_cast<Id>(n));
  Client renamed = MakeClient(1, kNoId, "ACC-1");
  renamed.name = "gen-" + std::to_string(n);
  batch.Update(renamed);
  return batch;
}

std::string CheckConsistent(const View& view) {
  const TableCounts counts = view.counts();
  if (counts.links != 2 * counts.users) return "links != 2 * users";
  if (counts.users != view.sequence() - 1) return "users do not match the sequence";
  const std::string expected =
      counts.users == 0 ? "Account 1" : "gen-" + std::to_string(counts.users);
  if (view.FindClient(1)->name != expected) return "client 1 name is from another batch";
  if (counts.users > 0) {
    const Id newest = counts.users;
    if (view.FindUserByEmail("USER" + std::to_string(newest) + "@example.com") == nullptr) {
      return "newest user not found by email";
    }
    if (view.UsersOfClient(2).size() != counts.users) return "client 2 users mismatch";
    if (view.ClientsOfUser(newest).size() != 2) return "newest user's clients mismatch";
  }
  return {};
}

}  // namespace

TEST_CASE("readers always see whole batches while a writer applies them") {
  Registry registry;
  REQUIRE_OK(registry.Apply(
      Batch().Insert(MakeClient(1, kNoId, "ACC-1")).Insert(MakeClient(2, kNoId, "ACC-2"))));

  std::atomic<bool> done{false};
  std::atomic<long> checks{0};
  std::vector<std::thread> readers;
  std::vector<std::string> failures(kReaders);
  for (int r = 0; r < kReaders; ++r) {
    readers.emplace_back([&, r] {
      while (!done.load(std::memory_order_relaxed) && failures[r].empty()) {
        View view = registry.Read();
        failures[r] = CheckConsistent(view);
        // Hold the view across several lookups: it must not change under us.
        const std::uint64_t sequence = view.sequence();
        const TableCounts counts = view.counts();
        std::this_thread::yield();
        if (failures[r].empty() && (view.counts() != counts || view.sequence() != sequence)) {
          failures[r] = "a held view changed";
        }
        if (failures[r].empty()) failures[r] = CheckConsistent(view);
        checks.fetch_add(1, std::memory_order_relaxed);
      }
    });
  }

  for (int n = 1; n <= kBatches; ++n) {
    REQUIRE_OK(registry.Apply(GenerationBatch(n)));
    if (n % 50 == 0) {
      // A refused batch must be invisible too.
      CHECK_FALSE(registry.Apply(GenerationBatch(n)).ok());
    }
  }
  done = true;
  for (std::thread& reader : readers) reader.join();
  for (const std::string& failure : failures) CHECK_MESSAGE(failure.empty(), failure);
  CHECK(checks.load() > 0);
  CHECK(CheckConsistent(registry.Read()).empty());
  CHECK(registry.Read().counts().users == kBatches);
}
