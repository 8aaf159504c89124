// What every subcommand of `hubreg` shares: the global options, opening the
// data directory, reporting a failure as one line on stderr.
#pragma once

#include <CLI/CLI.hpp>
#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "hubreg/status.h"
#include "hubreg/store.h"
#include "hubreg/stored_registry.h"

namespace hubreg::cli {

// Exit statuses, as documented in docs/cli.md.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;  // the operation failed (bad rows, damaged file, ...)
inline constexpr int kExitUsage = 2;    // the command line is wrong

struct Context {
  std::string data_dir = "./hubreg-data";
  bool json = false;
  bool quiet = false;  // no progress output
  int exit_code = kExitOk;
};

// How errors are reported on stderr: one line "hubreg: <message>", or with
// --json one JSON object {"code": CODE, "message": ..., "details": [...]}
// (docs/cli.md lists the codes). main sets it before anything can fail.
void SetJsonErrors(bool json);

// Reports an error with its stable code ("not_found", "usage", ...) and
// `details` (lines such as bad rows, printed before the message in text).
void ReportError(std::string_view code, const std::string& message,
                 const std::vector<std::string>& details = {});

// Lines that explain the next error reported (the bad rows of an export):
// printed at once in text, carried as "details" of the JSON object.
void NoteErrorDetails(std::vector<std::string> lines);

// Reports the error (code from the status; "failed" for a bare message) and
// returns kExitFailure.
int Fail(const Status& status);
int Fail(const std::string& message);

// Whether `data_dir` is a usable data directory path: a regular file there
// (a snapshot file, most likely) is refused with a hint of the right command.
Status CheckDataDirectoryPath(const std::string& data_dir);

// Opens the data directory for reading (it must hold a registry) or for
// writing (created when missing). A writer held off by another waits up to
// `lock_wait` for it, saying so once on stderr. A long-running writer (a
// follower) compacts on a thread of its own (StoreOptions::
// background_compaction); a one-shot command compacts before it exits.
enum class Compaction { kOnCommit, kInBackground };
StatusOr<std::unique_ptr<Store>> OpenForReading(const Context& context);
StatusOr<std::unique_ptr<Store>> OpenForWriting(
    const Context& context, std::chrono::milliseconds lock_wait = std::chrono::milliseconds(0),
    Compaction compaction = Compaction::kOnCommit);
// The rows the data directory holds, without building the registry
// (hubreg/stored_registry.h): for one-shot commands. Same checks and errors
// as OpenForReading.
StatusOr<StoredRegistry> ReadStored(const Context& context);

// Whether progress should be drawn as a bar (stderr is a terminal).
bool StderrIsTerminal();

// Rows per table, keyed by the schema's table names, for --json output.
nlohmann::ordered_json CountsJson(const TableCounts& counts);

// "812 bytes", "4.2 kB", "12.3 MB", "1.20 GB".
std::string ByteSize(std::uint64_t bytes);

// The subcommand groups; each adds its subcommands to `app`, whose callbacks
// set context.exit_code.
void AddDataCommands(CLI::App& app, Context& context);      // import, export
void AddSyncCommand(CLI::App& app, Context& context);       // sync
void AddFollowCommand(CLI::App& app, Context& context);     // follow
void AddQueryCommands(CLI::App& app, Context& context);     // query ...
void AddSnapshotCommands(CLI::App& app, Context& context);  // snapshot, restore, verify, stats
void AddDemoCommand(CLI::App& app, Context& context);       // demo
void AddWatchCommand(CLI::App& app, Context& context);      // watch
void AddInspectCommands(CLI::App& app, Context& context);   // get, inspect

}  // namespace hubreg::cli
