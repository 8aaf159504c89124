#include "command_common.h"

#include <unistd.h>

#include <cstdio>
#include <filesystem>

#include "supervisor.h"

namespace hubreg::cli {

int Fail(const std::string& message) {
  std::fprintf(stderr, "hubreg: %s\n", message.c_str());
  return kExitFailure;
}

int Fail(const Status& status) { return Fail(status.message()); }

StatusOr<std::unique_ptr<Store>> OpenForReading(const Context& context) {
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
  StoreOptions options;
  options.path = context.data_dir;
  options.read_only = true;
  options.create_if_missing = false;
  return Store::Open(options);
}

StatusOr<std::unique_ptr<Store>> OpenForWriting(const Context& context) {
  NoteDataDirectoryInUse(context.data_dir);
  StoreOptions options;
  options.path = context.data_dir;
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
