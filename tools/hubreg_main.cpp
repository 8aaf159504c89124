// `hubreg`: import, export, query, back up and restore the hub_alpha
// registry, and the demo. Parses the command line and hands each subcommand
// to its command_*.cpp file; the work is done in hubreg_cli_lib and persist.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <exception>
#include <functional>
#include <string>
#include <vector>

#include "command_common.h"
#include "hubreg/version.h"
#include "supervisor.h"
#include "unknown_command.h"

int main(int argc, char** argv) {
  using namespace hubreg::cli;
  Context context;
  CLI::App app{"hubreg: the hub_alpha account registry (see docs/cli.md)", "hubreg"};
  app.fallthrough();  // --data and --json are accepted after the subcommand too
  app.require_subcommand(1);
  app.add_option("--data", context.data_dir, "Data directory of the registry")
      ->capture_default_str();
  app.add_flag("--json", context.json, "Machine-readable output (JSON)");
  app.add_flag("-q,--quiet", context.quiet, "No progress output");

  AddDataCommands(app, context);
  AddSyncCommand(app, context);
  AddFollowCommand(app, context);
  AddQueryCommands(app, context);
  AddSnapshotCommands(app, context);
  AddDemoCommand(app, context);
  AddWatchCommand(app, context);
  AddInspectCommands(app, context);
  // Subcommands accept the global options too; their help says so.
  const std::function<void(CLI::App*)> add_footer = [&](CLI::App* command) {
    for (CLI::App* sub : command->get_subcommands({})) {
      sub->footer(
          "Global options (before or after the subcommand): --data DIR (default ./hubreg-data), "
          "--json, -q/--quiet. See docs/cli.md.");
      add_footer(sub);
    }
  };
  add_footer(&app);
  // After the subcommands, so that they do not inherit them.
  app.set_help_all_flag("--help-all", "Show the help of every subcommand");
  app.set_version_flag("--version", "hubreg " HUBREG_VERSION_STRING,
                       "Print the version of hubreg and exit");

  // Errors are JSON as soon as --json is anywhere on the command line, even
  // when the command line itself is what is wrong.
  const std::vector<std::string> args(argv + 1, argv + argc);
  const auto end_of_options = std::find(args.begin(), args.end(), "--");
  SetJsonErrors(std::find(args.begin(), end_of_options, "--json") != end_of_options);

  // In a child process, so that a crash inside LMDB on a damaged data
  // directory becomes an error message (supervisor.h).
  return RunSupervised([&] {
    try {
      app.parse(argc, argv);
    } catch (const CLI::Success& e) {  // --help, --help-all, --version
      return app.exit(e);
    } catch (const CLI::ParseError& e) {
      if (const std::optional<std::string> unknown = UnknownCommandMessage(app, args)) {
        ReportError("unknown_command", *unknown);
      } else if (const std::optional<std::string> missing =
                     dynamic_cast<const CLI::RequiredError*>(&e) != nullptr
                         ? MissingCommandMessage(app, args)
                         : std::nullopt) {
        ReportError("usage", *missing);
      } else {
        ReportError("usage", e.what() + HelpHint(app, args));
      }
      return kExitUsage;
    } catch (const std::exception& e) {
      // The library reports errors as Status; this is out of memory or a bug.
      ReportError("internal", std::string("internal error: ") + e.what());
      return kExitFailure;
    }
    return context.exit_code;
  });
}
