#include "input_files.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "hubreg/files.h"

namespace hubreg::cli {
namespace {

namespace fs = std::filesystem;

Status SystemError(const std::string& path, int error) {
  if (error == ENOENT) return Status::NotFound(path + ": no such file or directory");
  return Status::Io(path + ": " + std::strerror(error));
}

StatusOr<std::vector<InputFile>> CsvTableFiles(const std::string& directory) {
  std::vector<InputFile> files;
  for (Table table : kAllTables) {
    const std::string file =
        (fs::path(directory) / (std::string(TableName(table)) + ".csv")).string();
    struct stat info;
    if (::lstat(file.c_str(), &info) != 0) {
      if (errno == ENOENT) continue;
      return SystemError(file, errno);
    }
    files.push_back({file, table});
  }
  if (files.empty()) {
    return Status::NotFound(directory +
                            ": no table files (threecolts_app.csv, "
                            "threecolts_organization.csv, client.csv, user.csv, "
                            "client_user.csv)");
  }
  return files;
}

StatusOr<std::vector<InputFile>> JsonlFiles(const std::string& directory) {
  std::vector<InputFile> files;
  std::error_code error;
  fs::directory_iterator entry(directory, error);
  for (; !error && entry != fs::directory_iterator(); entry.increment(error)) {
    if (entry->path().extension() == ".jsonl")
      files.push_back({entry->path().string(), std::nullopt});
  }
  if (error) return Status::Io(directory + ": cannot list the directory: " + error.message());
  if (files.empty()) return Status::NotFound(directory + ": no .jsonl files");
  std::sort(files.begin(), files.end(),
            [](const InputFile& a, const InputFile& b) { return a.path < b.path; });
  return files;
}

StatusOr<std::vector<InputFile>> OneTableFile(const std::string& directory, Table table,
                                              DataFormat format) {
  const std::string name = std::string(TableName(table)) + std::string(FileExtension(format));
  const std::string file = (fs::path(directory) / name).string();
  struct stat info;
  if (::lstat(file.c_str(), &info) != 0) {
    if (errno == ENOENT) return Status::NotFound(directory + ": no " + name);
    return SystemError(file, errno);
  }
  if (format == DataFormat::kCsv) return std::vector<InputFile>{{file, table}};
  return std::vector<InputFile>{{file, std::nullopt}};
}

}  // namespace

StatusOr<std::vector<InputFile>> FindInputFiles(const std::string& path, DataFormat format,
                                                std::optional<Table> table) {
  struct stat info;
  if (::stat(path.c_str(), &info) != 0) return SystemError(path, errno);
  if (S_ISDIR(info.st_mode)) {
    if (table) return OneTableFile(path, *table, format);
    return format == DataFormat::kCsv ? CsvTableFiles(path) : JsonlFiles(path);
  }
  if (format == DataFormat::kJsonl) return std::vector<InputFile>{{path, std::nullopt}};
  if (table) return std::vector<InputFile>{{path, table}};
  const auto named = TableByName(fs::path(path).stem().string());
  if (!named || fs::path(path).extension() != ".csv") {
    return Status::InvalidArgument(path +
                                   ": a CSV file must be named after its table (e.g. user.csv)");
  }
  return std::vector<InputFile>{{path, named}};
}

StatusOr<std::string> ReadInputFile(const InputFile& file) {
  return ReadRegularFile(file.path, Symlinks::kRefuse);
}

}  // namespace hubreg::cli
