// Store::Verify reads the stored registry in bounded pieces, each in a read
// transaction of its own (persist/src/piecewise_verify.h), so that a verify
// of a large registry does not pin the pages a steady writer frees: between
// pieces no read transaction is open and the writer's commits go on; a
// compaction between two pieces makes it start again.
#include <doctest/doctest.h>
#include <lmdb.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "data_directory.h"
#include "piecewise_verify.h"
#include "store_testutil.h"

using namespace hubreg;
using namespace hubreg::test;

namespace {

constexpr Id kUsers = 1500;

// Users with long names (some 300 bytes a row): few rows, so the test is
// quick under sanitizers, but many pieces of kVerifyPieceBytes.
Batch Users(Id first, Id count) {
  Batch batch;
  for (Id n = first; n < first + count; ++n) {
    User user = MakeUser(n, "U-" + std::to_string(n), std::to_string(n) + "@example.com");
    user.name = "User " + std::to_string(n) + " " + std::string(250, 'n');
    batch.Insert(user);
  }
  return batch;
}

// A store whose snapshot (1,500 users) and journal after it (30 batches of
// 50 users) each take several pieces.
std::unique_ptr<Store> FilledStore(const std::string& path) {
  StoreOptions options = StoreAt(path);
  options.sync = SyncMode::kNoSync;      // the test is about read transactions, not the disk
  options.min_journal_bytes = 1u << 30;  // compactions only when the test asks
  std::unique_ptr<Store> store = OpenStore(options);
  REQUIRE_OK(store->Apply(Users(1, kUsers)));
  REQUIRE_OK(store->Compact());
  for (Id n = kUsers + 1; n <= 2 * kUsers; n += 50) REQUIRE_OK(store->Apply(Users(n, 50)));
  const StoreStats stats = store->Stats();
  REQUIRE(stats.snapshot_bytes > persist::kVerifyPieceBytes);
  REQUIRE(stats.journal_bytes > persist::kVerifyPieceBytes);
  return store;
}

// Readers holding a transaction in the environment's reader table (any
// process): mdb_reader_list's lines whose txnid is not "-".
std::vector<std::string> ActiveReaders(const persist::DataDirectory& directory) {
  std::string text;
  mdb_reader_list(
      directory.env().handle(),
      [](const char* message, void* context) {
        static_cast<std::string*>(context)->append(message);
        return 0;
      },
      &text);
  std::vector<std::string> active;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream fields(line);
    std::string pid, thread, txnid;
    fields >> pid >> thread >> txnid;
    if (pid == "pid" || pid == "(no" || txnid.empty() || txnid == "-") continue;
    active.push_back(line);
  }
  return active;
}

// Sets the piece hook for the scope of a test.
class PieceHook {
 public:
  explicit PieceHook(persist::VerifyPieceHook hook) {
    persist::SetVerifyPieceHook(std::move(hook));
  }
  ~PieceHook() { persist::SetVerifyPieceHook(nullptr); }
  PieceHook(const PieceHook&) = delete;
  PieceHook& operator=(const PieceHook&) = delete;
};

}  // namespace

TEST_CASE("verify holds no read transaction between its pieces, while batches are committed") {
  TempDir dir;
  std::unique_ptr<Store> store = FilledStore(dir.Path("data"));
  const std::uint64_t start_sequence = store->Read().sequence();
  std::vector<std::string> parts;
  std::vector<std::uint64_t> txn_ids;
  std::vector<std::string> held;
  Id next_user = 100'000;
  PieceHook hook([&](const persist::VerifyPiece& piece) {
    parts.emplace_back(piece.part);
    txn_ids.push_back(piece.txn_id);
    for (const std::string& reader : ActiveReaders(*piece.directory)) held.push_back(reader);
    // A commit between every two pieces: the next piece must read after it.
    REQUIRE_OK(store->Apply(Users(next_user++, 1)));
  });
  CHECK_OK(store->Verify());
  CAPTURE(parts.size());
  CHECK(held.empty());
  // The header, then at least two pieces of chunks and two of journal.
  CHECK(std::count(parts.begin(), parts.end(), "snapshot") >= 3);
  CHECK(std::count(parts.begin(), parts.end(), "journal") >= 2);
  // A verify that kept one transaction open would read every piece at the
  // same transaction id; each piece here must see the commit before it.
  for (std::size_t i = 1; i < txn_ids.size(); ++i) CHECK(txn_ids[i] > txn_ids[i - 1]);
  CHECK(store->Read().sequence() == start_sequence + parts.size());
}

TEST_CASE("verify checks beside a writer committing steadily") {
  TempDir dir;
  std::unique_ptr<Store> store = FilledStore(dir.Path("data"));
  constexpr std::uint64_t kBatches = 400;
  std::atomic<bool> verifying{false};
  std::atomic<std::uint64_t> committed{0};
  // Waits (at most a minute) until `done` holds.
  auto wait_until = [](auto done) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(1);
    while (!done() && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
  };
  std::thread writer([&] {
    wait_until([&] { return verifying.load(); });
    // Single-mutation batches, as a follower commits them: a user renamed.
    for (std::uint64_t n = 1; n <= kBatches; ++n) {
      const Id id = static_cast<Id>(n % kUsers + 1);
      User user = MakeUser(id, "U-" + std::to_string(id), std::to_string(id) + "@example.com");
      user.name = "renamed " + std::to_string(n);
      if (!store->Apply(Batch().Update(user)).ok()) return;
      committed.fetch_add(1);
    }
  });
  // The writer starts with the first piece and then commits as fast as it
  // can; after every piece, the verify waits for its next commit (while it
  // has batches left), so at least the first two pieces read around one.
  std::uint64_t landed = 0;
  PieceHook hook([&](const persist::VerifyPiece&) {
    verifying = true;
    const std::uint64_t seen = committed.load();
    wait_until([&] { return seen == kBatches || committed.load() > seen; });
    if (committed.load() > seen) ++landed;
  });
  int rounds = 0;
  do {
    CHECK_OK(store->Verify());
    ++rounds;
  } while (committed.load() < kBatches && rounds < 3);
  writer.join();
  MESSAGE(rounds << " verifies; commits landed between two of their pieces " << landed << " times");
  CHECK(landed >= 1);  // the writer starts with the first piece, which waits for it
  REQUIRE(committed.load() == kBatches);
  persist::SetVerifyPieceHook(nullptr);
  CHECK_OK(store->Verify());
}

TEST_CASE("a compaction between two pieces makes verify start again") {
  TempDir dir;
  std::unique_ptr<Store> store = FilledStore(dir.Path("data"));
  const std::string path = dir.Path("data");
  const std::uint64_t compactions = store->Stats().compactions;
  int calls = 0;
  int compact_until = 0;  // compact at hook calls 1 .. compact_until
  Id next_user = 300'000;
  PieceHook hook([&](const persist::VerifyPiece&) {
    ++calls;
    if (calls > compact_until) return;
    // A batch first, so that the new snapshot has another sequence.
    REQUIRE_OK(store->Apply(Users(next_user++, 1)));
    REQUIRE_OK(store->Compact());
  });

  SUBCASE("once: the second attempt checks the new snapshot") {
    compact_until = 1;
    CHECK_OK(store->Verify());
    CHECK(calls > 1);
    CHECK(store->Stats().compactions == compactions + 1);
  }
  SUBCASE("in every attempt: reported, to be retried") {
    compact_until = 1000;
    Status status = store->Verify();
    CHECK(status.code() == ErrorCode::kIo);
    CHECK(status.message() == path +
                                  ": a compaction replaced the snapshot while it was being read, "
                                  "3 times in a row (nothing wrong found so far); retry the "
                                  "verify; in verifying " +
                                  path);
    // Each attempt read the header, then saw a new snapshot.
    CHECK(calls == persist::kVerifyAttempts);
    CHECK(store->Stats().compactions == compactions + persist::kVerifyAttempts);
    persist::SetVerifyPieceHook(nullptr);
    CHECK_OK(store->Verify());
  }
}
