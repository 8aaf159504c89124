// The data directory as a file-system object: a restore onto a symbolic
// link, and the messages for a directory that cannot be used (permission
// denied, a symlink loop, a full disk). Each names the directory and the
// real cause, never "holds no registry" (which would invite a restore).
#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "command_testutil.h"
#include "store_testutil.h"

using namespace hubreg;
using namespace hubreg::test;

namespace {

namespace fs = std::filesystem;

const std::string kHubreg = HUBREG_BIN;
const std::string kCsv = HUBREG_TEST_DATA_DIR "/csv-v1.2";

struct CommandResult {
  int exit_status = -1;  // -1: killed by a signal
  std::string output;    // stdout and stderr
};

// Runs `hubreg args...`; as user nobody when `as_nobody` (tests run as root,
// for whom permission checks are bypassed).
CommandResult RunHubreg(const std::vector<std::string>& args, bool as_nobody = false) {
  std::vector<std::string> command;
  if (as_nobody) {
    command = {"/usr/bin/setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups"};
  }
  command.push_back(kHubreg);
  command.insert(command.end(), args.begin(), args.end());
  CommandOutput run = RunCommand(command);
  CommandResult result;
  result.output = std::move(run.output);
  if (WIFEXITED(run.wait_status)) result.exit_status = WEXITSTATUS(run.wait_status);
  return result;
}

Batch AccountWithPassword(Id id, const std::string& password) {
  Client client = MakeClient(id, kNoId, "ACC-" + std::to_string(id));
  client.db_password = password;
  Batch batch;
  batch.Insert(client);
  return batch;
}

// Whether any file under `root` (not following links) contains `text`.
bool AnyFileContains(const fs::path& root, const std::string& text) {
  for (const fs::directory_entry& entry : fs::recursive_directory_iterator(root)) {
    if (entry.is_regular_file() && !entry.is_symlink() &&
        ReadFile(entry.path().string()).find(text) != std::string::npos) {
      return true;
    }
  }
  return false;
}

}  // namespace

TEST_CASE("restore --force onto a symlinked data directory replaces the registry it points to") {
  TempDir dir;
  const std::string real = dir.Path("real");
  const std::string link = dir.Path("link");
  const std::string file = dir.Path("new.snap");
  { REQUIRE_OK(OpenStore(StoreAt(real))->Apply(AccountWithPassword(1, "old-registry-pw"))); }
  {
    auto other = OpenStore(StoreAt(dir.Path("other")));
    REQUIRE_OK(other->Apply(AccountWithPassword(7, "new-registry-pw")));
    REQUIRE_OK(other->SaveSnapshotFile(file));
  }
  fs::remove_all(dir.Path("other"));
  fs::create_symlink(real, link);
  REQUIRE(AnyFileContains(dir.path(), "old-registry-pw"));

  REQUIRE_OK(RestoreSnapshotFile(file, StoreAt(link), /*overwrite=*/true));
  CHECK(fs::is_symlink(link));
  CHECK(fs::read_symlink(link) == real);
  {
    auto store = OpenStore(StoreAt(link));
    CHECK(store->Read().FindClient(7) != nullptr);
    CHECK(store->Read().FindClient(1) == nullptr);
  }
  // Nothing of the old registry is left anywhere: not behind the link, not
  // in a hidden sibling.
  CHECK(!AnyFileContains(dir.path(), "old-registry-pw"));
  for (const fs::directory_entry& entry : fs::directory_iterator(dir.path())) {
    CHECK(entry.path().filename().string().find(".restore-") == std::string::npos);
  }
  // Through the command too.
  const CommandResult restored = RunHubreg({"--data", link, "-q", "restore", file, "--force"});
  CHECK(restored.exit_status == 0);
  CHECK(fs::is_symlink(link));
}

TEST_CASE("restore refuses a data directory that is a dangling symbolic link") {
  TempDir dir;
  const std::string link = dir.Path("link");
  const std::string file = dir.Path("new.snap");
  {
    auto store = OpenStore(StoreAt(dir.Path("other")));
    REQUIRE_OK(store->Apply(AccountWithPassword(7, "pw")));
    REQUIRE_OK(store->SaveSnapshotFile(file));
  }
  fs::create_symlink(dir.Path("missing"), link);
  Status restored = RestoreSnapshotFile(file, StoreAt(link), /*overwrite=*/true);
  CHECK(restored.code() == ErrorCode::kInvalidArgument);
  CHECK(restored.message() == link +
                                  ": a symbolic link that does not lead to a directory (No such "
                                  "file or directory); restore refuses to replace it");
  CHECK(fs::is_symlink(link));
  CHECK(!fs::exists(dir.Path("missing")));
}

TEST_CASE("permission denied on the data directory is reported as such") {
  TempDir dir;
  const std::string path = dir.Path("data");
  { REQUIRE_OK(OpenStore(StoreAt(path))->Apply(AccountWithPassword(1, "pw"))); }
  // The data directory is 0700 and owned by the test's user; another user
  // (nobody, when the test runs as root) may reach it but not read it.
  const bool as_root = ::geteuid() == 0;
  if (as_root) {
    fs::permissions(dir.path(),
                    fs::perms::owner_all | fs::perms::group_exec | fs::perms::others_exec);
  } else {
    fs::permissions(path, fs::perms::none);
  }
  const std::string expected =
      "hubreg: " + path + ": cannot access the data directory: Permission denied";
  for (const char* command : {"stats", "verify", "import"}) {
    CAPTURE(command);
    std::vector<std::string> args{"--data", path, "-q", command};
    if (std::string(command) == "import") args.push_back(kCsv);
    const CommandResult result = RunHubreg(args, as_root);
    CAPTURE(result.output);
    CHECK(result.exit_status == 1);
    CHECK(result.output.rfind(expected, 0) == 0);
    CHECK(result.output.find("data.mdb is missing") == std::string::npos);
  }
  if (!as_root) fs::permissions(path, fs::perms::owner_all);
}

TEST_CASE("a symlink loop as the data directory names the loop") {
  TempDir dir;
  const std::string a = dir.Path("a");
  fs::create_symlink(dir.Path("b"), a);
  fs::create_symlink(a, dir.Path("b"));
  const std::string expected =
      "hubreg: " + a + ": cannot access the data directory: Too many levels of symbolic links";
  for (const char* command : {"stats", "verify", "import", "compact"}) {
    CAPTURE(command);
    std::vector<std::string> args{"--data", a, "-q"};
    if (std::string(command) == "import") {
      args.insert(args.end(), {"import", kCsv});
    } else if (std::string(command) == "compact") {
      args.insert(args.end(), {"snapshot", "compact"});
    } else {
      args.push_back(command);
    }
    const CommandResult result = RunHubreg(args);
    CAPTURE(result.output);
    CHECK(result.exit_status == 1);
    CHECK(result.output.rfind(expected, 0) == 0);
  }
  // The library says the same.
  auto store = Store::Open(StoreAt(a));
  REQUIRE(!store.ok());
  CHECK(store.status().message() == a + ": cannot access the data directory: Too many levels of "
                                        "symbolic links; in opening the store");
}

TEST_CASE("a full disk during a commit is reported as no space left on device") {
  TempDir dir;
  const std::string mount_point = dir.Path("small");
  fs::create_directory(mount_point);
  if (::mount("tmpfs", mount_point.c_str(), "tmpfs", 0, "size=256k,mode=0700") != 0) {
    // Needs CAP_SYS_ADMIN; CI runs as root in a container that has it.
    MESSAGE("cannot mount a small tmpfs here (" << std::strerror(errno)
                                                << "): the full-disk case is not exercised");
    return;
  }
  struct Unmount {
    std::string path;
    ~Unmount() { ::umount2(path.c_str(), MNT_DETACH); }
  } unmount{mount_point};
  const std::string path = mount_point + "/data";
  Status failed;
  {
    auto store = OpenStore(StoreAt(path));
    for (Id id = 1; id < 100000 && failed.ok(); ++id) {
      Batch batch;
      for (Id k = 0; k < 50; ++k) {
        const Id user = id * 100 + k;
        batch.Insert(MakeUser(user, "U-" + std::to_string(user), std::to_string(user) + "@x.org"));
      }
      StatusOr<CommitResult> applied = store->Apply(batch);
      if (!applied.ok()) failed = applied.status();
    }
  }
  CAPTURE(failed.message());
  CHECK(failed.code() == ErrorCode::kIo);
  CHECK(failed.message().rfind(path + ": mdb_", 0) == 0);
  CHECK(failed.message().find(
            ": no space left on device: the file system holding the data directory is full") !=
        std::string::npos);
  // What was acknowledged is still there.
  StoreOptions read_only = StoreAt(path);
  read_only.read_only = true;
  CHECK(OpenStore(read_only)->Read().sequence() > 0);
}
