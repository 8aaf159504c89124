// What an import reads: only regular files, named in messages with what they
// are, and rows within the length limits (tools/src/input_files.h).
#include "input_files.h"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "csv_reader.h"
#include "importer.h"
#include "testutil.h"

namespace hubreg::cli {
namespace {

namespace fs = std::filesystem;

const std::string kData = HUBREG_TEST_DATA_DIR;

// A copy of the v1.2 fixture under the system's temporary directory, removed
// afterwards.
struct ExportCopy {
  ExportCopy() {
    std::string pattern = (fs::temp_directory_path() / "hubreg-input-test-XXXXXX").string();
    REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    root = pattern;
    dir = root / "export";
    fs::copy(kData + "/csv-v1.2", dir);
  }
  ~ExportCopy() {
    std::error_code ignored;
    fs::permissions(dir, fs::perms::owner_all, ignored);
    fs::remove_all(root, ignored);
  }
  ExportCopy(const ExportCopy&) = delete;
  ExportCopy& operator=(const ExportCopy&) = delete;
  fs::path root;
  fs::path dir;
};

Status Import(const fs::path& path, DataFormat format = DataFormat::kCsv,
              std::vector<RowError>* errors = nullptr) {
  ImportedRows imported;
  std::vector<RowError> ignored;
  return ReadImport(path.string(), format, &imported, errors ? errors : &ignored);
}

void Replace(const fs::path& file) { REQUIRE(fs::remove(file)); }

TEST_CASE("a directory named user.csv is named as a directory") {
  ExportCopy copy;
  Replace(copy.dir / "user.csv");
  fs::create_directory(copy.dir / "user.csv");
  const Status status = Import(copy.dir);
  CHECK(status.code() == ErrorCode::kInvalidArgument);
  CHECK(status.message() ==
        (copy.dir / "user.csv").string() + ": is a directory, not a regular file");
}

TEST_CASE("a FIFO named user.csv is refused without waiting for a writer") {
  ExportCopy copy;
  Replace(copy.dir / "user.csv");
  REQUIRE(::mkfifo((copy.dir / "user.csv").c_str(), 0600) == 0);
  // Held open with a row in it, so that a reader that opened the FIFO gets an
  // answer (a wrong one) instead of hanging the test.
  const int writer = ::open((copy.dir / "user.csv").c_str(), O_RDWR | O_NONBLOCK);
  REQUIRE(writer >= 0);
  REQUIRE(::write(writer, "id\n", 3) == 3);
  const Status status = Import(copy.dir);
  ::close(writer);
  CHECK(status.code() == ErrorCode::kInvalidArgument);
  CHECK(status.message() ==
        (copy.dir / "user.csv").string() + ": is a FIFO (named pipe), not a regular file");
}

TEST_CASE("a table file that is a symbolic link is refused, and its target never quoted") {
  ExportCopy copy;
  const fs::path user = copy.dir / "user.csv";
  for (const char* target : {"/dev/zero", "/etc/passwd"}) {
    CAPTURE(target);
    fs::remove(user);
    fs::create_symlink(target, user);
    std::vector<RowError> errors;
    const Status status = Import(copy.dir, DataFormat::kCsv, &errors);
    CHECK(status.code() == ErrorCode::kInvalidArgument);
    CHECK(status.message() == user.string() +
                                  ": is a symbolic link, not a regular file; links are not "
                                  "followed here, name the file it points to");
    CHECK(errors.empty());
    // Named directly, too.
    CHECK(Import(user).message() == status.message());
  }
}

TEST_CASE("a directory named x.jsonl in a JSONL import is an error, not skipped") {
  ExportCopy copy;
  const fs::path dir = copy.root / "jsonl";
  fs::create_directory(dir);
  std::ofstream(dir / "a.jsonl") << R"({"table":"user","id":1})"
                                 << "\n";
  fs::create_directory(dir / "x.jsonl");
  const Status status = Import(dir, DataFormat::kJsonl);
  CHECK(status.code() == ErrorCode::kInvalidArgument);
  CHECK(status.message() == (dir / "x.jsonl").string() + ": is a directory, not a regular file");
}

TEST_CASE("a symbolic link loop in the path is named with the system's reason") {
  ExportCopy copy;
  const fs::path loop = copy.root / "loop";
  fs::create_symlink(loop, loop);
  CHECK(Import(loop).message() == loop.string() + ": Too many levels of symbolic links");
  CHECK(Import(loop / "user.csv").message() ==
        (loop / "user.csv").string() + ": Too many levels of symbolic links");
  fs::remove(copy.dir / "client.csv");
  fs::create_symlink(copy.dir / "client.csv", copy.dir / "client.csv");
  CHECK(Import(copy.dir).message() ==
        (copy.dir / "client.csv").string() +
            ": is a symbolic link, not a regular file; links are not followed here, name the file "
            "it points to");
}

TEST_CASE("an unreadable directory or file is reported with the system's reason") {
  if (::geteuid() == 0) return;  // root reads whatever the mode says; cli_files_test covers it
  ExportCopy copy;
  fs::permissions(copy.dir / "user.csv", fs::perms::none);
  CHECK(Import(copy.dir).message() ==
        (copy.dir / "user.csv").string() + ": open: Permission denied");
  fs::permissions(copy.dir, fs::perms::none);
  CHECK(Import(copy.dir).message() ==
        (copy.dir / "threecolts_app.csv").string() + ": Permission denied");
  CHECK(Import(copy.dir, DataFormat::kJsonl).message() ==
        copy.dir.string() + ": cannot list the directory: Permission denied");
}

TEST_CASE("a JSONL line or value over the limit is reported at its line") {
  ExportCopy copy;
  const fs::path file = copy.root / "long.jsonl";
  std::ofstream(file) << R"({"table":"user","id":1,"name":")"
                      << std::string(kMaxFieldBytes + 1, 'n') << "\"}\n"
                      << R"({"table":"user","id":2,"name":")" << std::string(kMaxRowBytes, 'n')
                      << "\"}\n";
  std::vector<RowError> errors;
  REQUIRE_OK(Import(file, DataFormat::kJsonl, &errors));
  REQUIRE(errors.size() == 2);
  CHECK(errors[0].ToString() == "long.jsonl:1: name: value longer than 65536 bytes (the limit)");
  CHECK(errors[1].ToString() == "long.jsonl:2: json: line longer than 1048576 bytes (the limit)");
}

TEST_CASE("a CSV field over the limit is reported as file:line") {
  ExportCopy copy;
  std::ofstream(copy.dir / "user.csv", std::ios::app)
      << "9,U-9,n@example.com," << std::string(kMaxFieldBytes + 1, 'n')
      << ",active,2025-01-01 00:00:00,2025-01-01 00:00:00\n";
  std::vector<RowError> errors;
  REQUIRE_OK(Import(copy.dir, DataFormat::kCsv, &errors));
  REQUIRE(!errors.empty());
  CHECK(errors[0].ToString().starts_with("user.csv:"));
  CHECK(errors[0].ToString().ends_with(
      ": name: field longer than 65536 bytes (the limit); the rest of the file is not read"));
}

}  // namespace
}  // namespace hubreg::cli
