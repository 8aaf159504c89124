// Copying compaction (issue 16; docs/storage.md, "Copying compaction"): a
// reader process holding a read transaction pins the pages a writer frees,
// so data.mdb grows; once it is mostly free pages, the writer copies it
// compacted and swaps the copy in. Read-only stores and feed cursors go on
// from their sequence without a reload or a resync, and a kill -9 at any
// step of the copy leaves a data directory that opens with nothing lost.
#include "copy_compaction.h"

#include <doctest/doctest.h>
#include <signal.h>
#include <sys/wait.h>

#include <filesystem>
#include <future>
#include <thread>

#include "data_directory.h"
#include "store_testutil.h"

using namespace hubreg;
using namespace hubreg::test;
using std::chrono::milliseconds;

namespace {

const std::string kHelper = HUBREG_CRASH_WRITER;
constexpr Id kUsers = 2000;

std::uint64_t FileBytes(const std::string& dir) {
  return std::filesystem::file_size(std::filesystem::path(dir) / "data.mdb");
}

// The pages data.mdb holds and how many of them are in use, read through a
// read-only environment of this process.
persist::FileUse UseOf(const std::string& dir) {
  StoreOptions options = StoreAt(dir);
  options.read_only = true;
  StatusOr<std::unique_ptr<persist::DataDirectory>> directory =
      persist::DataDirectory::Open(options);
  REQUIRE_OK(directory);
  StatusOr<persist::FileUse> use = persist::MeasureFileUse(**directory);
  REQUIRE_OK(use);
  return *use;
}

Batch Users() {
  Batch batch;
  for (Id id = 1; id <= kUsers; ++id) {
    User user = MakeUser(id, "U-" + std::to_string(id), std::to_string(id) + "@x.org");
    user.name = std::string(100, 'n');
    batch.Insert(user);
  }
  return batch;
}

// `count` single-mutation batches: users renamed in turn.
void Rename(Store& store, int count) {
  for (int i = 0; i < count; ++i) {
    const Id id = 1 + store.Read().sequence() % kUsers;
    User user = *store.Read().FindUser(id);
    user.name = "renamed at " + std::to_string(store.Read().sequence());
    REQUIRE_OK(store.Apply(Batch().Update(user)));
  }
}

StoreOptions WriterAt(const std::string& dir, bool copying) {
  StoreOptions options = StoreAt(dir);
  options.sync = SyncMode::kNoSync;
  options.min_journal_bytes = 64 << 10;  // a compaction every few hundred batches
  options.copy_compaction_ratio = copying ? 2.5 : 0;
  options.copy_compaction_min_free_bytes = 1 << 20;
  options.copy_compaction_interval = std::chrono::seconds(0);
  return options;
}

}  // namespace

TEST_CASE("a pinned reader grows data.mdb; the copying compaction gives it back, readers go on") {
  TempDir dir;
  const std::string path = dir.Path("data");
  auto writer = OpenStore(WriterAt(path, /*copying=*/false));
  REQUIRE_OK(writer->Apply(Users()));
  Rename(*writer, 50);

  Child reader({kHelper, "reader", path});
  reader.Send("refresh");
  REQUIRE(reader.ReadLine() == "0 51 " + std::to_string(kUsers));
  StoreOptions read_only = StoreAt(path);
  read_only.read_only = true;
  auto follower = OpenStore(read_only);
  const std::uint64_t cursor = follower->Read().sequence();
  REQUIRE(cursor == 51);

  // Every page the writer frees while the pin holds its read transaction
  // stays unusable: the file grows well past what it uses.
  Child pin({kHelper, "pin", path});
  REQUIRE(pin.ReadLine() == "ready");
  Rename(*writer, 600);
  const persist::FileUse pinned = UseOf(path);
  MESSAGE("pinned: data.mdb " << pinned.file_bytes << " bytes, " << pinned.used_bytes << " in use");
  REQUIRE(pinned.file_bytes > 3 * pinned.used_bytes);
  pin.Send("release");
  REQUIRE(pin.ReadLine() == "released");

  // Released: the writer's next compaction copies the file compacted.
  writer.reset();
  writer = OpenStore(WriterAt(path, /*copying=*/true));
  for (int i = 0; i < 2000 && writer->Stats().copies == 0; ++i) Rename(*writer, 1);
  REQUIRE(writer->Stats().copies == 1);
  CHECK(writer->Stats().last_compaction_error.empty());
  const persist::FileUse copied = UseOf(path);
  MESSAGE("copied: data.mdb " << copied.file_bytes << " bytes, " << copied.used_bytes << " in use");
  CHECK(copied.file_bytes * 3 < pinned.file_bytes);
  CHECK(FileBytes(path) * 3 < pinned.file_bytes);
  CHECK(copied.file_bytes < 2 * copied.used_bytes);
  CHECK_FALSE(std::filesystem::exists(persist::CopySiblingPath(path)));
  Rename(*writer, 20);
  const std::uint64_t last = writer->Read().sequence();

  // The feed cursor of the read-only store reads on from its sequence in the
  // copy, with no resync, before the store itself has refreshed.
  for (std::uint64_t after = cursor; after < last; ++after) {
    StatusOr<std::optional<ChangeBatch>> next = follower->Changes(after, milliseconds(0));
    REQUIRE_OK(next);
    REQUIRE(next->has_value());
    REQUIRE((*next)->sequence == after + 1);
  }
  REQUIRE_OK(follower->Refresh());
  CHECK(follower->Read().sequence() == last);
  CheckSameRows(SortedRows(follower->Read()), SortedRows(writer->Read()));
  CHECK(follower->Stats().replacements == 0);  // no reload from scratch
  CHECK(follower->Stats().copies == 1);
  reader.Send("refresh");
  CHECK(reader.ReadLine() == "0 " + std::to_string(last) + " " + std::to_string(kUsers));

  // And the writer goes on committing to the copy, which a new open loads.
  Rename(*writer, 5);
  writer.reset();
  auto reopened = OpenStore(WriterAt(path, /*copying=*/true));
  CHECK(reopened->Read().sequence() == last + 5);
  REQUIRE_OK(reopened->Verify());
}

TEST_CASE("a restore is still a resync, not a copy") {
  TempDir dir;
  const std::string path = dir.Path("data");
  {
    auto writer = OpenStore(WriterAt(path, /*copying=*/true));
    REQUIRE_OK(writer->Apply(SampleBatch()));
    REQUIRE_OK(writer->SaveSnapshotFile(dir.Path("saved.snap")));
    REQUIRE_OK(writer->Apply(AwkwardBatch()));
  }
  StoreOptions read_only = StoreAt(path);
  read_only.read_only = true;
  auto follower = OpenStore(read_only);
  REQUIRE(follower->Read().sequence() == 2);
  REQUIRE_OK(RestoreSnapshotFile(dir.Path("saved.snap"), StoreAt(path), /*overwrite=*/true));
  StatusOr<std::optional<ChangeBatch>> next = follower->Changes(2, milliseconds(0));
  REQUIRE_FALSE(next.ok());
  CHECK(next.status().code() == ErrorCode::kResyncRequired);
  REQUIRE_OK(follower->Refresh());
  CHECK(follower->Stats().replacements == 1);
  CHECK(follower->Stats().copies == 0);
}

TEST_CASE("kill -9 at each step of a copying compaction loses nothing") {
  for (const std::string step : {"copied", "caught-up", "prepared", "exchanged", "none"}) {
    CAPTURE(step);
    TempDir dir;
    const std::string path = dir.Path("data");
    Child writer({kHelper, "copy-kill", path, step});
    std::string last;
    for (std::optional<std::string> line; (line = writer.ReadLine(60000));) last = *line;
    const int status = writer.Wait();
    if (step == "none") {
      CHECK(last == "done");
      CHECK(WIFEXITED(status));
    } else {
      CHECK(last == "40");
      CHECK((WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL));
      CHECK(std::filesystem::exists(persist::CopySiblingPath(path)));  // what the crash left
    }
    Child check({kHelper, "check", path});
    const std::string answer = check.ReadLine(60000).value_or("");
    CHECK(answer.rfind("ok 40 ", 0) == 0);
    check.Wait();
    CHECK_FALSE(std::filesystem::exists(persist::CopySiblingPath(path)));  // cleaned up
    // Whichever directory the crash left is whole for a reader, too.
    StoreOptions read_only = StoreAt(path);
    read_only.read_only = true;
    CHECK(OpenStore(read_only)->Read().sequence() == 40);
  }
}

TEST_CASE("a writer waiting for the lock during a copy locks the copy, not the old directory") {
  TempDir dir;
  const std::string path = dir.Path("data");
  StoreOptions copying = WriterAt(path, /*copying=*/true);
  copying.copy_compaction_ratio = 1;  // any free page is reason enough
  copying.copy_compaction_min_free_bytes = 0;
  auto first = OpenStore(copying);
  REQUIRE_OK(first->Apply(Users()));

  std::promise<void> waiting;
  StoreOptions second = StoreAt(path);
  second.writer_lock_wait = std::chrono::minutes(2);
  second.on_writer_lock_wait = [&](long) { waiting.set_value(); };
  auto opening = std::async(std::launch::async, [&] { return Store::Open(second); });
  waiting.get_future().wait();  // it holds the old directory's writer.lock open

  Rename(*first, 10);
  REQUIRE_OK(first->Compact());
  REQUIRE(first->Stats().copies >= 1);
  first.reset();
  StatusOr<std::unique_ptr<Store>> opened = opening.get();
  REQUIRE_OK(opened);
  CHECK((*opened)->Read().sequence() == 11);
  // It holds the lock of the directory at the path: a third writer is refused.
  StatusOr<std::unique_ptr<Store>> third = Store::Open(StoreAt(path));
  REQUIRE_FALSE(third.ok());
  CHECK(third.status().code() == ErrorCode::kIo);
  CHECK(third.status().message().find("another store has this data directory open for writing") !=
        std::string::npos);
}

TEST_CASE("the writer's own reads of its data directory go on across copies") {
  // A follower reads its source position on one thread while another
  // commits, and a commit may copy the directory and close the old one.
  TempDir dir;
  StoreOptions options = WriterAt(dir.Path("data"), /*copying=*/true);
  options.copy_compaction_ratio = 1.0;  // every compaction copies
  options.copy_compaction_min_free_bytes = 0;
  auto writer = OpenStore(options);
  REQUIRE_OK(writer->Apply(Users()));
  std::atomic<bool> done{false};
  std::atomic<int> reads{0};
  std::atomic<int> failures{0};
  std::thread reader([&] {
    while (!done.load() || reads.load() == 0) {
      if (!writer->SourceState().ok()) failures.fetch_add(1);
      reads.fetch_add(1);
    }
  });
  constexpr int kCopies = 20;
  for (int i = 0; i < kCopies; ++i) {
    Rename(*writer, 5);
    REQUIRE_OK(writer->Compact());
  }
  done = true;
  reader.join();
  CHECK(writer->Stats().copies >= kCopies);  // and automatic ones
  CHECK(reads.load() > 0);
  CHECK(failures.load() == 0);
}

TEST_CASE("batches committed while data.mdb is copied go on, and into the copy") {
  TempDir dir;
  const std::string path = dir.Path("data");
  StoreOptions options = WriterAt(path, /*copying=*/true);
  options.copy_compaction_ratio = 1.0;  // every compaction copies
  options.copy_compaction_min_free_bytes = 0;
  auto writer = OpenStore(options);
  REQUIRE_OK(writer->Apply(Users()));
  Rename(*writer, 5);

  // Once data.mdb is copied, another thread commits a group with a new
  // source position and single batches; once the copy has caught up with
  // them, one more, which the last catch-up (writers held back) must copy.
  // Before copies caught up, the copy held writers back from start to end:
  // these commits would have waited for the whole copy and never finished
  // inside it.
  constexpr int kWhileCopied = 7;
  std::future<void> while_copied;
  std::future<void> after_catching_up;
  bool committed_while_copied = false;
  bool committed_after_catching_up = false;
  persist::SetCopyStepHook([&](std::string_view step) {
    if (step == "copied" && !while_copied.valid()) {
      while_copied = std::async(std::launch::async, [&] {
        User user = *writer->Read().FindUser(1);
        user.name = "renamed in a group";
        const std::vector<Batch> group = {Batch().Update(user)};
        const std::vector<std::string> states = {"position during the copy"};
        REQUIRE_OK(writer->ApplyGroup(group, states).status);
        Rename(*writer, kWhileCopied - 1);
      });
      committed_while_copied =
          while_copied.wait_for(std::chrono::minutes(2)) == std::future_status::ready;
    }
    if (step == "caught-up" && !after_catching_up.valid()) {
      after_catching_up = std::async(std::launch::async, [&] { Rename(*writer, 1); });
      committed_after_catching_up =
          after_catching_up.wait_for(std::chrono::minutes(2)) == std::future_status::ready;
    }
  });
  const std::uint64_t before = writer->Read().sequence();
  const std::uint64_t copies = writer->Stats().copies;
  Status compacted = writer->Compact();
  persist::SetCopyStepHook(nullptr);
  REQUIRE(while_copied.valid());
  REQUIRE(after_catching_up.valid());
  while_copied.get();
  after_catching_up.get();
  REQUIRE_OK(compacted);
  CHECK(committed_while_copied);
  CHECK(committed_after_catching_up);
  CHECK(writer->Stats().copies == copies + 1);
  CHECK(writer->Read().sequence() == before + kWhileCopied + 1);

  // The copy in place holds them, and the source position of the group.
  Rename(*writer, 2);
  const std::uint64_t last = writer->Read().sequence();
  const auto rows = SortedRows(writer->Read());
  writer.reset();
  auto reopened = OpenStore(WriterAt(path, /*copying=*/false));
  CHECK(reopened->Read().sequence() == last);
  CheckSameRows(SortedRows(reopened->Read()), rows);
  StatusOr<std::string> state = reopened->SourceState();
  REQUIRE_OK(state);
  CHECK(*state == "position during the copy");
  REQUIRE_OK(reopened->Verify());
  CHECK_FALSE(std::filesystem::exists(persist::CopySiblingPath(path)));
}
