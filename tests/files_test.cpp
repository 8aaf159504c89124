// Private files published atomically, and inputs read only when they are
// regular files (hubreg/files.h).
#include "hubreg/files.h"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <string_view>

#include "snapshot_testutil.h"

using namespace hubreg;
using namespace hubreg::test;

namespace {

mode_t ModeOf(const std::string& path) {
  struct stat info;
  REQUIRE(::lstat(path.c_str(), &info) == 0);
  return info.st_mode & 07777;
}

std::size_t EntriesIn(const std::filesystem::path& directory) {
  return static_cast<std::size_t>(std::distance(std::filesystem::directory_iterator(directory),
                                                std::filesystem::directory_iterator()));
}

Status WriteText(const std::string& file, std::string_view text) {
  const std::string_view parts[] = {text.substr(0, 3), text.substr(3)};
  return WritePrivateFile(file, parts);
}

// Sets the umask for its lifetime.
class Umask {
 public:
  explicit Umask(mode_t mask) : previous_(::umask(mask)) {}
  ~Umask() { ::umask(previous_); }
  Umask(const Umask&) = delete;
  Umask& operator=(const Umask&) = delete;

 private:
  mode_t previous_;
};

}  // namespace

TEST_CASE("a private file is 0600 and a new directory 0700 whatever the umask") {
  for (mode_t mask : {0000, 0022, 0077, 0277}) {
    CAPTURE(mask);
    TempDir dir;
    const std::string parent = dir.Path("a");
    const std::string directory = parent + "/b";
    const std::string file = directory + "/secret.csv";
    {
      Umask umask(mask);
      REQUIRE_OK(CreatePrivateDirectory(directory + "/"));
      REQUIRE_OK(WriteText(file, "id,db_password\n1,x\n"));
    }
    CHECK(ModeOf(parent) == 0700);
    CHECK(ModeOf(directory) == 0700);
    CHECK(ModeOf(file) == 0600);
    CHECK(ReadFile(file) == "id,db_password\n1,x\n");
    CHECK(EntriesIn(directory) == 1);
  }
}

TEST_CASE("an existing directory keeps its mode, and a file in the way is refused") {
  TempDir dir;
  const std::string directory = dir.Path("shared");
  REQUIRE(::mkdir(directory.c_str(), 0755) == 0);
  REQUIRE(::chmod(directory.c_str(), 0755) == 0);
  REQUIRE_OK(CreatePrivateDirectory(directory));
  CHECK(ModeOf(directory) == 0755);

  const std::string file = dir.Path("file");
  WriteFile(file, "x");
  Status status = CreatePrivateDirectory(file + "/sub");
  CHECK(status.code() == ErrorCode::kInvalidArgument);
  CHECK(status.message() == file + ": is a regular file, not a directory");
}

TEST_CASE("a private file replaces a regular file and leaves no temporary") {
  TempDir dir;
  const std::string file = dir.Path("client.csv");
  WriteFile(file, "old");
  REQUIRE(::chmod(file.c_str(), 0644) == 0);
  REQUIRE_OK(WriteText(file, "new content"));
  CHECK(ReadFile(file) == "new content");
  CHECK(ModeOf(file) == 0600);
  CHECK(EntriesIn(dir.path()) == 1);
}

TEST_CASE("a symbolic link at a private file's name is refused and never followed") {
  TempDir dir;
  const std::string victim = dir.Path("victim");
  WriteFile(victim, "keep me");
  const std::string file = dir.Path("client.csv");
  REQUIRE(::symlink(victim.c_str(), file.c_str()) == 0);
  Status status = WriteText(file, "secret");
  CHECK(status.code() == ErrorCode::kInvalidArgument);
  CHECK(status.message() ==
        file + ": is a symbolic link, not a regular file; refusing to replace it");
  CHECK(ReadFile(victim) == "keep me");
  CHECK(std::filesystem::is_symlink(file));
  CHECK(EntriesIn(dir.path()) == 2);

  const std::string dangling = dir.Path("user.csv");
  REQUIRE(::symlink(dir.Path("nothing").c_str(), dangling.c_str()) == 0);
  CHECK(WriteText(dangling, "secret").code() == ErrorCode::kInvalidArgument);
  CHECK(!std::filesystem::exists(dir.Path("nothing")));
  CHECK_OK(CheckReplaceableFile(dir.Path("missing.csv")));
  CHECK_OK(CheckReplaceableFile(victim));
}

TEST_CASE("a directory or a FIFO at a private file's name is refused") {
  TempDir dir;
  const std::string directory = dir.Path("client.csv");
  REQUIRE(::mkdir(directory.c_str(), 0700) == 0);
  Status status = WriteText(directory, "secret");
  CHECK(status.code() == ErrorCode::kInvalidArgument);
  CHECK(status.message() ==
        directory + ": is a directory, not a regular file; refusing to replace it");
  const std::string fifo = dir.Path("user.csv");
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  CHECK(WriteText(fifo, "secret").message() ==
        fifo + ": is a FIFO (named pipe), not a regular file; refusing to replace it");
  CHECK(EntriesIn(dir.path()) == 2);
}

TEST_CASE("a private file in a directory that cannot be written says why and leaves nothing") {
  TempDir dir;
  const std::string missing = dir.Path("missing/client.csv");
  Status status = WriteText(missing, "secret");
  CHECK(status.code() == ErrorCode::kNotFound);
  CHECK(status.message() == missing + ": create: No such file or directory");
  CHECK(EntriesIn(dir.path()) == 0);
}

TEST_CASE("a regular file is read whole") {
  TempDir dir;
  const std::string file = dir.Path("user.csv");
  WriteFile(file, "id\n1\n");
  StatusOr<std::string> text = ReadRegularFile(file, Symlinks::kRefuse);
  REQUIRE_OK(text);
  CHECK(*text == "id\n1\n");
  WriteFile(file, "");
  CHECK(ReadRegularFile(file, Symlinks::kRefuse).value().empty());
}

TEST_CASE("an input that is not a regular file is refused, naming the path and what it is") {
  TempDir dir;
  const std::string directory = dir.Path("user.csv");
  REQUIRE(::mkdir(directory.c_str(), 0700) == 0);
  Status status = ReadRegularFile(directory, Symlinks::kRefuse).status();
  CHECK(status.code() == ErrorCode::kInvalidArgument);
  CHECK(status.message() == directory + ": is a directory, not a regular file");

  // Nothing ever writes to this FIFO: a reader that waited would hang here.
  const std::string fifo = dir.Path("client.csv");
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  CHECK(ReadRegularFile(fifo, Symlinks::kFollow).status().message() ==
        fifo + ": is a FIFO (named pipe), not a regular file");

  // A link to /dev/zero would be read until memory runs out.
  const std::string zero = dir.Path("zero.csv");
  REQUIRE(::symlink("/dev/zero", zero.c_str()) == 0);
  CHECK(ReadRegularFile(zero, Symlinks::kFollow).status().message() ==
        zero + ": is a character device, not a regular file");
  CHECK(ReadRegularFile(zero, Symlinks::kRefuse).status().message() ==
        zero +
            ": is a symbolic link, not a regular file; links are not followed here, name the "
            "file it points to");
}

TEST_CASE("a link to a regular file is read only when links are followed") {
  TempDir dir;
  const std::string target = dir.Path("target");
  WriteFile(target, "root:x:0:0:root:/root:/bin/bash\n");
  const std::string link = dir.Path("user.csv");
  REQUIRE(::symlink(target.c_str(), link.c_str()) == 0);
  CHECK(ReadRegularFile(link, Symlinks::kFollow).value() == "root:x:0:0:root:/root:/bin/bash\n");
  Status refused = ReadRegularFile(link, Symlinks::kRefuse).status();
  CHECK(refused.code() == ErrorCode::kInvalidArgument);
  CHECK(refused.message().find("root:x") == std::string::npos);
}

TEST_CASE("an input that cannot be opened gives the system's reason") {
  TempDir dir;
  const std::string missing = dir.Path("user.csv");
  Status status = ReadRegularFile(missing, Symlinks::kRefuse).status();
  CHECK(status.code() == ErrorCode::kNotFound);
  CHECK(status.message() == missing + ": open: No such file or directory");

  const std::string loop = dir.Path("loop");
  REQUIRE(::symlink(loop.c_str(), loop.c_str()) == 0);
  status = ReadRegularFile(loop + "/user.csv", Symlinks::kFollow).status();
  CHECK(status.code() == ErrorCode::kIo);
  CHECK(status.message() == loop + "/user.csv: open: Too many levels of symbolic links");

  if (::geteuid() != 0) {  // root reads whatever the mode says
    const std::string locked = dir.Path("client.csv");
    WriteFile(locked, "id\n");
    REQUIRE(::chmod(locked.c_str(), 0) == 0);
    status = ReadRegularFile(locked, Symlinks::kRefuse).status();
    CHECK(status.code() == ErrorCode::kIo);
    CHECK(status.message() == locked + ": open: Permission denied");
  }
}
