// Store::Verify reads the stored registry in bounded pieces, each in a read
// transaction of its own (persist/src/piecewise_verify.h), so that a verify
// of a large registry does not pin the pages a steady writer frees: between
// pieces no read transaction is open and the writer's commits go on; a
// compaction between two pieces makes it start again.
#include <doctest/doctest.h>
#include <lmdb.h>

#include <algorithm>
#include <atomic>
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

constexpr Id kUsers = 6000;  // a snapshot of several pieces (kVerifyPieceBytes)
constexpr Id kUsersPerBatch = 10;

Batch TenUsers(Id first) {
  Batch batch;
  for (Id n = first; n < first + kUsersPerBatch; ++n) {
    batch.Insert(MakeUser(n, "U-" + std::to_string(n), std::to_string(n) + "@example.com"));
  }
  return batch;
}

// A store whose snapshot (6,000 users) and journal after it (600 batches of
// ten users) each take several pieces.
std::unique_ptr<Store> FilledStore(const std::string& path) {
  StoreOptions options = StoreAt(path);
  options.sync = SyncMode::kNoSync;      // the test is about read transactions, not the disk
  options.min_journal_bytes = 1u << 30;  // compactions only when the test asks
  std::unique_ptr<Store> store = OpenStore(options);
  Batch users;
  for (Id n = 1; n <= kUsers; ++n) {
    users.Insert(MakeUser(n, "U-" + std::to_string(n), std::to_string(n) + "@example.com"));
  }
  REQUIRE_OK(store->Apply(users));
  REQUIRE_OK(store->Compact());
  for (Id n = kUsers + 1; n <= kUsers + 600 * kUsersPerBatch; n += kUsersPerBatch) {
    REQUIRE_OK(store->Apply(TenUsers(n)));
  }
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
    REQUIRE_OK(store->Apply(TenUsers(next_user)));
    next_user += kUsersPerBatch;
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
  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> committed{0};
  std::thread writer([&] {
    // Single-mutation batches, as a follower commits them: a user renamed.
    for (std::uint64_t n = 1; !stop; ++n) {
      User user = MakeUser(static_cast<Id>(n % kUsers + 1), "U-" + std::to_string(n % kUsers + 1),
                           std::to_string(n % kUsers + 1) + "@example.com");
      user.name = "renamed " + std::to_string(n);
      if (!store->Apply(Batch().Update(user)).ok()) return;
      committed.fetch_add(1);
    }
  });
  std::uint64_t during = 0;
  for (int round = 0; round < 3; ++round) {
    const std::uint64_t before = committed.load();
    CHECK_OK(store->Verify());
    during += committed.load() - before;
  }
  stop = true;
  writer.join();
  MESSAGE(committed.load() << " batches committed, " << during << " of them during the verifies");
  CHECK(committed.load() > 0);
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
    REQUIRE_OK(store->Apply(TenUsers(next_user)));
    next_user += kUsersPerBatch;
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
