// Crash safety: a child process (crash_writer) applies numbered batches and
// acknowledges each after Apply returns; it is killed with SIGKILL at random
// moments, many times over the same data directory. After each kill the
// directory must hold every acknowledged batch, and no batch only in part.
// Longer campaigns (scripts/crash-campaign.sh) set the rounds of each case
// with HUBREG_CRASH_ROUNDS and another seed with HUBREG_TEST_SEED.
#include <doctest/doctest.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <optional>
#include <random>
#include <thread>

#include "store_testutil.h"

using namespace hubreg;
using namespace hubreg::test;

namespace {

const std::string kHelper = HUBREG_CRASH_WRITER;
constexpr int kDefaultRounds = 30;
// Generous: it bounds only a child that never acknowledges anything (a hang),
// never the normal case, which returns as soon as the first line arrives.
constexpr int kFirstAckTimeoutMs = 120'000;

// Checks that batches 1..M are all present, and nothing of M + 1, where M is
// the number of users; returns M.
std::uint64_t CheckWholeBatches(const View& view) {
  const std::uint64_t batches = view.counts().users;
  CHECK(view.counts().clients == batches);
  CHECK(view.counts().links == batches);
  CHECK(view.sequence() == batches);
  for (Id k = 1; k <= batches; ++k) {
    const User* user = view.FindUser(k);
    const Client* client = view.FindClient(k);
    if (user == nullptr || client == nullptr || !view.HasLink(k, k) ||
        user->external_id != "U-" + std::to_string(k) ||
        client->external_id != "ACC-" + std::to_string(k)) {
      FAIL_CHECK("batch " << k << " of " << batches << " is missing or partial");
      break;
    }
  }
  CHECK(view.FindUser(batches + 1) == nullptr);
  CHECK(view.FindClient(batches + 1) == nullptr);
  return batches;
}

// With `groups`, the child commits groups of up to kMaxGroup batches with
// their source state (Store::ApplyGroup) instead of one batch at a time.
constexpr std::uint64_t kMaxGroup = 4;

int Rounds() {
  const char* text = std::getenv("HUBREG_CRASH_ROUNDS");
  return text != nullptr ? std::max(1, std::atoi(text)) : kDefaultRounds;
}

// The case's own seed, or HUBREG_TEST_SEED plus `offset`.
unsigned Seed(unsigned own, unsigned offset) {
  const char* text = std::getenv("HUBREG_TEST_SEED");
  return text != nullptr ? static_cast<unsigned>(std::strtoul(text, nullptr, 10)) + offset : own;
}

void RunCrashRounds(int compact_every, unsigned seed, bool groups = false) {
  const int rounds = Rounds();
  MESSAGE("seed " << seed << ", compact every " << compact_every << (groups ? ", groups" : "")
                  << ", " << rounds << " rounds");
  std::mt19937 random(seed);
  std::uniform_int_distribution<int> delay_us(0, 80'000);
  TempDir dir;
  const std::string path = dir.Path("data");
  std::uint64_t acknowledged = 0;  // the highest batch any child acknowledged
  std::uint64_t total_acks = 0;
  for (int round = 0; round < rounds; ++round) {
    CAPTURE(round);
    // kill -9 leaves the page cache to the kernel, so kNoSync protects
    // against it as well as kFull; most rounds use it to get many batches
    // in, every fifth checks the fully durable default.
    const std::string sync = round % 5 == 0 ? "full" : "nosync";
    {
      Child writer(groups ? std::vector<std::string>{kHelper, "group", path, sync}
                          : std::vector<std::string>{kHelper, "write", path,
                                                     std::to_string(compact_every), sync});
      // The kill lands at a random moment after the child's first
      // acknowledgement, not after its start: on a slow machine (or under
      // the sanitizers) opening the store can take longer than any fixed
      // window, and a round that kills before the first batch tests nothing.
      const std::optional<std::string> first = writer.ReadLine(kFirstAckTimeoutMs);
      REQUIRE_MESSAGE(first.has_value(),
                      "crash_writer acknowledged no batch within " << kFirstAckTimeoutMs << " ms");
      std::this_thread::sleep_for(std::chrono::microseconds(delay_us(random)));
      writer.Kill();
      const int status = writer.Wait();
      std::vector<std::string> lines = writer.ReadAvailableLines(200);
      lines.insert(lines.begin(), *first);
      for (const std::string& line : lines) {
        acknowledged = std::max<std::uint64_t>(acknowledged, std::stoull(line));
        ++total_acks;
      }
      // Killed, not failed: an error exit would mean Apply reported one.
      CHECK_MESSAGE((WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL),
                    "crash_writer exited by itself with status " << status);
    }
    auto store = OpenStore(StoreAt(path));
    const std::uint64_t batches = CheckWholeBatches(store->Read());
    CHECK(batches >= acknowledged);
    // At most the batch (or group) in flight when the child died can be there
    // unacknowledged.
    CHECK(batches <= acknowledged + (groups ? kMaxGroup : 1));
    if (groups) {
      // The stored position is exactly that of the last batch in the store.
      StatusOr<std::string> state = store->SourceState();
      REQUIRE_OK(state);
      CHECK(*state == "after " + std::to_string(batches));
    }
    CHECK_OK(store->Verify());
    acknowledged = batches;
  }
  MESSAGE(total_acks << " batches acknowledged in " << rounds << " rounds, " << acknowledged
                     << " in the store");
  CHECK(total_acks >= static_cast<std::uint64_t>(rounds));
}

}  // namespace

TEST_CASE("every acknowledged batch survives kill -9 and no batch is there in part") {
  RunCrashRounds(/*compact_every=*/0, Seed(20261129, 0));
}

TEST_CASE("kill -9 while compactions run loses no acknowledged batch either") {
  RunCrashRounds(/*compact_every=*/3, Seed(20261130, 1));
}

TEST_CASE("a group of batches and its source position survive kill -9 together") {
  RunCrashRounds(/*compact_every=*/0, Seed(20261201, 2), /*groups=*/true);
}
