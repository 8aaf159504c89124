// Damage below hubreg's own records: LMDB pages (which carry no checksums)
// and the commit record that detects a journal LMDB silently rolled back
// (docs/storage.md, "Rollback detection" and "Damage"). The `hubreg`
// command is run as a child process: whatever the damage, it must end with
// an exit status and a message, never be killed by a signal.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <random>

#include "command_testutil.h"
#include "commit_record.h"
#include "store_testutil.h"

using namespace hubreg;
using namespace hubreg::test;

namespace {

namespace fs = std::filesystem;

const std::string kHubreg = HUBREG_BIN;
const std::string kCsv = HUBREG_TEST_DATA_DIR "/csv-v1.2";
constexpr std::size_t kPageSize = 4096;
constexpr std::size_t kTxnIdOffset = 144;  // of a meta page (lmdb_env.cpp)

using CommandResult = CommandOutput;

CommandResult RunHubreg(const std::vector<std::string>& args) {
  std::vector<std::string> command{kHubreg};
  command.insert(command.end(), args.begin(), args.end());
  return RunCommand(command);
}

// Ids from 100 up: the CSV fixture that the tests import uses 1-6.
Batch NumberedBatch(Id k) {
  k += 100;
  Batch batch;
  batch.Insert(MakeUser(k, "U-" + std::to_string(k), std::to_string(k) + "@x.org"))
      .Insert(MakeClient(k, kNoId, "ACC-" + std::to_string(k)))
      .Link(k, k);
  return batch;
}

// A data directory with `batches` numbered batches; compacted after
// `compact_at` (0: never), so that it has a snapshot and a journal.
std::string StoreWithBatches(const std::string& path, Id batches, Id compact_at = 0) {
  auto store = OpenStore(StoreAt(path));
  for (Id k = 1; k <= batches; ++k) {
    REQUIRE_OK(store->Apply(NumberedBatch(k)));
    if (k == compact_at) REQUIRE_OK(store->Compact());
  }
  return path;
}

std::uint64_t MetaTxnId(const std::string& bytes, int page) {
  std::uint64_t id = 0;
  std::memcpy(&id, bytes.data() + page * kPageSize + kTxnIdOffset, sizeof id);
  return id;
}

// Flips one byte of the newer meta page's transaction id so that it becomes
// the older one's minus one: LMDB then opens the older commit, and the ids
// stay consecutive, so LMDB and Env::CheckMetaPages see nothing wrong.
void RollBackOneCommit(const std::string& path) {
  std::string bytes = ReadFile(path + "/data.mdb");
  const int newer = MetaTxnId(bytes, 0) > MetaTxnId(bytes, 1) ? 0 : 1;
  const std::uint64_t older_id = MetaTxnId(bytes, 1 - newer);
  const std::uint64_t target = older_id - 1;
  const std::uint64_t current = MetaTxnId(bytes, newer);
  // One byte differs between the current id and the target (the tests'
  // ids are small): a single flipped byte.
  REQUIRE(((current ^ target) & ~std::uint64_t{0xff}) == 0);
  bytes[newer * kPageSize + kTxnIdOffset] =
      static_cast<char>(bytes[newer * kPageSize + kTxnIdOffset] ^ ((current ^ target) & 0xff));
  WriteFile(path + "/data.mdb", bytes);
}

void CopyDirectory(const std::string& from, const std::string& to) {
  fs::remove_all(to);
  fs::copy(from, to);
}

std::uint64_t RecordedSequence(const std::string& path) {
  auto record = persist::ReadCommitRecord(path);
  REQUIRE_OK(record);
  REQUIRE(record->has_value());
  return (*record)->sequence;
}

}  // namespace

TEST_CASE("flipped bytes in LMDB page headers never crash a hubreg command") {
  TempDir dir;
  const std::string pristine = StoreWithBatches(dir.Path("pristine"), 40, 25);
  const std::string bytes = ReadFile(pristine + "/data.mdb");
  const std::size_t pages = bytes.size() / kPageSize;
  const char* seed_text = std::getenv("HUBREG_TEST_SEED");
  const unsigned seed = seed_text != nullptr ? static_cast<unsigned>(std::atoi(seed_text)) : 6;
  MESSAGE("seed " << seed << " (HUBREG_TEST_SEED), " << pages << " pages");
  std::mt19937 random(seed);
  const std::string work = dir.Path("work");
  int storage_level = 0, refused = 0, unchanged = 0;
  for (int round = 0; round < 30; ++round) {
    CopyDirectory(pristine, work);
    std::string damaged = bytes;
    // Any byte of a page header (page number, flags, lower and upper bounds
    // or overflow count), or of a meta page's fields.
    const std::size_t page = random() % pages;
    const std::size_t offset = page * kPageSize + random() % (page < 2 ? 160 : 16);
    const int flip = 1 + static_cast<int>(random() % 255);
    damaged[offset] = static_cast<char>(damaged[offset] ^ flip);
    WriteFile(work + "/data.mdb", damaged);
    for (const char* command : {"verify", "import"}) {
      std::vector<std::string> args{"--data", work, "-q", command};
      if (std::string(command) == "import") args.push_back(kCsv);
      const CommandResult result = RunHubreg(args);
      CAPTURE(offset);
      CAPTURE(flip);
      CAPTURE(command);
      CAPTURE(result.output);
      REQUIRE_MESSAGE(WIFEXITED(result.wait_status), "hubreg was killed by a signal");
      if (WEXITSTATUS(result.wait_status) == 0) {
        // Only the state that was acknowledged, never an older one.
        if (std::string(command) == "verify") {
          CHECK(result.output.find("ok (sequence 40,") != std::string::npos);
        }
        if (std::string(command) == "import") {
          CHECK(result.output.find("(sequence 41)") != std::string::npos);
        }
        ++unchanged;
        continue;
      }
      CHECK(WEXITSTATUS(result.wait_status) == 1);
      // The message is the last line (a sanitizer's report may come first).
      const std::size_t last_line = result.output.rfind('\n', result.output.size() - 2);
      REQUIRE(result.output.compare(last_line == std::string::npos ? 0 : last_line + 1, 8,
                                    "hubreg: ") == 0);
      if (result.output.find(": damaged at the storage level: LMDB crashed using it (SIG") !=
          std::string::npos) {
        CHECK(result.output.find(work + ": damaged") != std::string::npos);
        CHECK(result.output.find("restore from a snapshot file") != std::string::npos);
        ++storage_level;
      } else {
        ++refused;
      }
    }
  }
  MESSAGE(storage_level << " crashes in LMDB reported, " << refused << " other errors, "
                        << unchanged << " unchanged");
  // The default seed damages pages LMDB crashes on, so the test proves
  // that such crashes are reported (other seeds may not hit any).
  if (seed_text == nullptr) CHECK(storage_level > 0);
}

TEST_CASE("a meta page rolled back to the older commit is refused, by every open") {
  TempDir dir;
  const std::string path = StoreWithBatches(dir.Path("data"), 3);
  const std::string backup = dir.Path("backup.snap");
  REQUIRE_OK(OpenStore(StoreAt(path))->SaveSnapshotFile(backup));
  RollBackOneCommit(path);
  const std::string expected =
      path +
      ": rolled back: batch 3 was acknowledged (commit-record), but data.mdb holds only up to "
      "batch 2 (LMDB fell back to an older commit: a damaged meta page, or writes lost by the "
      "disk); restore from a snapshot file (hubreg restore --force FILE), or accept the loss "
      "with `hubreg verify --accept-rollback`; in opening the store";
  for (bool read_only : {true, false}) {
    CAPTURE(read_only);
    StoreOptions options = StoreAt(path);
    options.read_only = read_only;
    auto store = Store::Open(options);
    REQUIRE(!store.ok());
    CHECK(store.status().code() == ErrorCode::kCorruption);
    CHECK(store.status().message() == expected);
  }
  // The command refuses too, and reuses no sequence.
  const CommandResult verify = RunHubreg({"--data", path, "verify"});
  CHECK(WEXITSTATUS(verify.wait_status) == 1);
  CHECK(verify.output == "hubreg: " + expected + "; in verifying " + path + "\n");
  const CommandResult import = RunHubreg({"--data", path, "-q", "import", kCsv});
  CHECK(WEXITSTATUS(import.wait_status) == 1);
  CHECK(import.output == "hubreg: " + expected + "\n");

  SUBCASE("accepting the rollback opens the older commit and numbers on from it") {
    StoreOptions accept = StoreAt(path);
    accept.accept_rollback = true;
    {
      auto store = OpenStore(accept);
      CHECK(store->Read().sequence() == 2);
      auto applied = store->Apply(NumberedBatch(9));
      REQUIRE_OK(applied);
      CHECK(applied->sequence == 3);
    }
    CHECK(OpenStore(StoreAt(path))->Read().sequence() == 3);
  }
  SUBCASE("restoring a snapshot file replaces it, commit record included") {
    const CommandResult restored = RunHubreg({"--data", path, "-q", "restore", backup, "--force"});
    CHECK(WEXITSTATUS(restored.wait_status) == 0);
    const CommandResult verified = RunHubreg({"--data", path, "verify"});
    CHECK(WEXITSTATUS(verified.wait_status) == 0);
    // The backup is at sequence 3, which the lost batch had used (the
    // commit record says so): the restore continues above it.
    CHECK(verified.output.rfind(path + ": ok (sequence 4,", 0) == 0);
  }
  SUBCASE("hubreg verify --accept-rollback accepts it") {
    const CommandResult accepted = RunHubreg({"--data", path, "verify", "--accept-rollback"});
    CHECK(WEXITSTATUS(accepted.wait_status) == 0);
    CHECK(accepted.output.rfind(path + ": ok (sequence 2,", 0) == 0);
    CHECK(RunHubreg({"--data", path, "verify"}).wait_status == 0);
  }
}

TEST_CASE("a commit record behind data.mdb is accepted and brought up to date") {
  // What a crash between LMDB's commit and the record's write leaves.
  TempDir dir;
  const std::string path = StoreWithBatches(dir.Path("data"), 2);
  const std::string old_record = ReadFile(path + "/commit-record");
  { REQUIRE_OK(OpenStore(StoreAt(path))->Apply(NumberedBatch(3))); }
  CHECK(RecordedSequence(path) == 3);
  WriteFile(path + "/commit-record", old_record);
  CHECK(RecordedSequence(path) == 2);
  StoreOptions read_only = StoreAt(path);
  read_only.read_only = true;
  CHECK(OpenStore(read_only)->Read().sequence() == 3);
  { OpenStore(StoreAt(path)); }
  CHECK(RecordedSequence(path) == 3);
}

TEST_CASE("a data directory without a commit record gets one from its first writer") {
  TempDir dir;
  const std::string path = StoreWithBatches(dir.Path("data"), 2);
  fs::remove(path + "/commit-record");
  StoreOptions read_only = StoreAt(path);
  read_only.read_only = true;
  CHECK(OpenStore(read_only)->Read().sequence() == 2);
  CHECK(!fs::exists(path + "/commit-record"));
  { OpenStore(StoreAt(path)); }
  CHECK(RecordedSequence(path) == 2);
  CHECK((fs::status(path + "/commit-record").permissions() & fs::perms::all) ==
        (fs::perms::owner_read | fs::perms::owner_write));
}

TEST_CASE("a different batch under the recorded sequence is refused") {
  TempDir dir;
  const std::string a = StoreWithBatches(dir.Path("a"), 3);
  const std::string b = dir.Path("b");
  {
    auto store = OpenStore(StoreAt(b));
    for (Id k = 11; k <= 13; ++k) REQUIRE_OK(store->Apply(NumberedBatch(k)));
  }
  fs::copy_file(a + "/commit-record", b + "/commit-record", fs::copy_options::overwrite_existing);
  auto store = Store::Open(StoreAt(b));
  REQUIRE(!store.ok());
  CHECK(store.status().code() == ErrorCode::kCorruption);
  CHECK(store.status().message().rfind(
            b + ": data.mdb holds a different batch 3 than the one acknowledged (commit-record "
                "has its checksum); restore from a snapshot file",
            0) == 0);
}

TEST_CASE("a damaged or planted commit record is refused, never followed") {
  TempDir dir;
  const std::string path = StoreWithBatches(dir.Path("data"), 2);
  SUBCASE("a flipped byte") {
    std::string record = ReadFile(path + "/commit-record");
    record[17] ^= 0x01;
    WriteFile(path + "/commit-record", record);
    auto store = Store::Open(StoreAt(path));
    REQUIRE(!store.ok());
    CHECK(store.status().code() == ErrorCode::kCorruption);
    CHECK(store.status().message().rfind(path + "/commit-record: the commit record is damaged, so "
                                                "whether LMDB lost acknowledged batches cannot be "
                                                "checked; restore from a snapshot file",
                                         0) == 0);
    StoreOptions accept = StoreAt(path);
    accept.accept_rollback = true;
    { OpenStore(accept); }
    CHECK(RecordedSequence(path) == 2);
    CHECK(OpenStore(StoreAt(path))->Read().sequence() == 2);
  }
  SUBCASE("a symlink") {
    const std::string elsewhere = dir.Path("elsewhere");
    WriteFile(elsewhere, "not a record");
    fs::remove(path + "/commit-record");
    fs::create_symlink(elsewhere, path + "/commit-record");
    auto store = Store::Open(StoreAt(path));
    REQUIRE(!store.ok());
    CHECK(store.status().message() == path +
                                          "/commit-record: open: Too many levels of symbolic "
                                          "links; in opening the store");
    CHECK(ReadFile(elsewhere) == "not a record");
  }
}

namespace {

// The pid of `parent`'s only child, once it has one (within 60 s).
pid_t OnlyChildOf(pid_t parent) {
  const std::string file =
      "/proc/" + std::to_string(parent) + "/task/" + std::to_string(parent) + "/children";
  for (int attempt = 0; attempt < 6000; ++attempt) {
    const std::string children = ReadFile(file);
    if (!children.empty()) return static_cast<pid_t>(std::stol(children));
    ::usleep(10000);  // polling a condition, not waiting for a guess
  }
  FAIL("hubreg started no child process");
  return -1;
}

// Whether `pid` has ended (gone, or a zombie not yet reaped by init).
bool Ended(pid_t pid) {
  for (int attempt = 0; attempt < 6000; ++attempt) {
    const std::string stat = ReadFile("/proc/" + std::to_string(pid) + "/stat");
    const std::size_t state = stat.rfind(')');
    if (stat.empty() || (state != std::string::npos && state + 2 < stat.size() &&
                         (stat[state + 2] == 'Z' || stat[state + 2] == 'X'))) {
      return true;
    }
    ::usleep(10000);
  }
  return false;
}

}  // namespace

TEST_CASE("the command's process ends with hubreg, and by the signal sent to hubreg") {
  TempDir dir;
  // A demo that would measure lookups for minutes.
  const std::vector<std::string> demo{kHubreg,
                                      "-q",
                                      "demo",
                                      "--apps",
                                      "1",
                                      "--organizations",
                                      "1",
                                      "--clients",
                                      "2",
                                      "--users",
                                      "2",
                                      "--links",
                                      "2",
                                      "--seconds",
                                      "600",
                                      "--keep",
                                      dir.Path("demo")};
  SUBCASE("SIGTERM is passed on, and hubreg ends by it") {
    Child hubreg(demo);
    const pid_t command = OnlyChildOf(hubreg.pid());
    REQUIRE(::kill(hubreg.pid(), SIGTERM) == 0);
    const int status = hubreg.Wait();
    CHECK(WIFSIGNALED(status));
    CHECK(WTERMSIG(status) == SIGTERM);
    CHECK(Ended(command));
  }
  SUBCASE("kill -9 of hubreg kills the command too") {
    Child hubreg(demo);
    const pid_t command = OnlyChildOf(hubreg.pid());
    hubreg.Kill();
    hubreg.Wait();
    CHECK(Ended(command));
  }
}
