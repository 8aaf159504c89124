#include "command_common.h"

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <iterator>

#include "supervisor.h"

namespace hubreg::cli {
namespace {

bool json_errors = false;
std::vector<std::string> pending_details;  // for the next JSON error

// The stable codes of docs/cli.md, one per ErrorCode.
std::string_view CodeOf(ErrorCode code) {
  switch (code) {
    case ErrorCode::kOk:
      return "ok";
    case ErrorCode::kNotFound:
      return "not_found";
    case ErrorCode::kDuplicate:
      return "duplicate";
    case ErrorCode::kForeignKey:
      return "foreign_key";
    case ErrorCode::kInUse:
      return "in_use";
    case ErrorCode::kInvalidArgument:
      return "invalid_argument";
    case ErrorCode::kCorruption:
      return "corruption";
    case ErrorCode::kIo:
      return "io";
    case ErrorCode::kVersion:
      return "version";
    case ErrorCode::kReadOnly:
      return "read_only";
    case ErrorCode::kResyncRequired:
      return "resync_required";
  }
  return "failed";
}

}  // namespace

void SetJsonErrors(bool json) { json_errors = json; }

void NoteErrorDetails(std::vector<std::string> lines) {
  if (!json_errors) {
    for (const std::string& line : lines) std::fprintf(stderr, "%s\n", line.c_str());
    return;
  }
  pending_details.insert(pending_details.end(), std::make_move_iterator(lines.begin()),
                         std::make_move_iterator(lines.end()));
}

void ReportError(std::string_view code, const std::string& message,
                 const std::vector<std::string>& details) {
  if (!json_errors) {
    for (const std::string& line : details) std::fprintf(stderr, "%s\n", line.c_str());
    std::fprintf(stderr, "hubreg: %s\n", message.c_str());
    return;
  }
  nlohmann::ordered_json out{{"code", code}, {"message", message}};
  if (!details.empty() || !pending_details.empty()) {
    nlohmann::ordered_json lines = pending_details;
    for (const std::string& line : details) lines.push_back(line);
    out["details"] = std::move(lines);
    pending_details.clear();
  }
  std::fprintf(stderr, "%s\n",
               out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
}

int Fail(const std::string& message) {
  ReportError("failed", message);
  return kExitFailure;
}

int Fail(const Status& status) {
  ReportError(CodeOf(status.code()), status.message());
  return kExitFailure;
}

Status CheckDataDirectoryPath(const std::string& data_dir) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(data_dir, ec)) return Status::Ok();
  if (IsSnapshotFile(data_dir)) {
    return Status::InvalidArgument(
        "--data " + data_dir +
        " is a snapshot file, not a data directory: load it into one with `hubreg restore " +
        data_dir + " --data DIR`, or check it with `hubreg verify " + data_dir + "`");
  }
  return Status::InvalidArgument("--data " + data_dir +
                                 " is a file, not a data directory (pass --data DIR)");
}

namespace {

// What reading a data directory needs: a directory (not a file) that exists.
Status CheckReadableDataDirectory(const Context& context) {
  HUBREG_RETURN_IF_ERROR(CheckDataDirectoryPath(context.data_dir));
  std::error_code ec;
  const std::filesystem::file_status status = std::filesystem::status(context.data_dir, ec);
  if (ec && status.type() != std::filesystem::file_type::not_found) {
    return Status::Io(context.data_dir + ": cannot access the data directory: " + ec.message());
  }
  if (!std::filesystem::is_directory(status)) {
    return Status::NotFound("no registry in " + context.data_dir +
                            " (import or restore one first, or pass --data DIR)");
  }
  NoteDataDirectoryInUse(context.data_dir);
  return Status::Ok();
}

}  // namespace

StatusOr<StoredRegistry> ReadStored(const Context& context) {
  HUBREG_RETURN_IF_ERROR(CheckReadableDataDirectory(context));
  return ReadStoredRegistry(context.data_dir);
}

StatusOr<std::unique_ptr<Store>> OpenForReading(const Context& context) {
  HUBREG_RETURN_IF_ERROR(CheckReadableDataDirectory(context));
  StoreOptions options;
  options.path = context.data_dir;
  options.read_only = true;
  options.create_if_missing = false;
  return Store::Open(options);
}

StatusOr<std::unique_ptr<Store>> OpenForWriting(const Context& context,
                                                std::chrono::milliseconds lock_wait,
                                                Compaction compaction) {
  HUBREG_RETURN_IF_ERROR(CheckDataDirectoryPath(context.data_dir));
  NoteDataDirectoryInUse(context.data_dir);
  StoreOptions options;
  options.path = context.data_dir;
  options.writer_lock_wait = lock_wait;
  options.background_compaction = compaction == Compaction::kInBackground;
  options.on_writer_lock_wait = [](long pid) {
    std::fprintf(stderr, "hubreg: waiting for the writer lock held by pid %ld\n", pid);
  };
  return Store::Open(options);
}

bool StderrIsTerminal() { return isatty(fileno(stderr)) == 1; }

std::string ByteSize(std::uint64_t bytes) {
  char text[32];
  const double value = static_cast<double>(bytes);
  if (bytes < 1000) {
    std::snprintf(text, sizeof text, "%llu bytes", static_cast<unsigned long long>(bytes));
  } else if (bytes < 1000 * 1000) {
    std::snprintf(text, sizeof text, "%.1f kB", value / 1e3);
  } else if (bytes < 1000ull * 1000 * 1000) {
    std::snprintf(text, sizeof text, "%.1f MB", value / 1e6);
  } else {
    std::snprintf(text, sizeof text, "%.2f GB", value / 1e9);
  }
  return text;
}

nlohmann::ordered_json CountsJson(const TableCounts& counts) {
  return {{"threecolts_app", counts.apps},
          {"threecolts_organization", counts.organizations},
          {"client", counts.clients},
          {"user", counts.users},
          {"client_user", counts.links}};
}

}  // namespace hubreg::cli
