// Naming the unknown word of a mistyped command line, with the closest
// commands: `hubreg querry` -> "unknown command 'querry'; did you mean
// 'query'?".
#pragma once

#include <CLI/CLI.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hubreg::cli {

// Edit distance between `a` and `b`: insertions, deletions, substitutions
// and swaps of two neighbouring characters each count 1 ("querry" -> "query"
// is 1, "qeury" -> "query" is 1).
std::size_t EditDistance(std::string_view a, std::string_view b);

// The candidates `word` was probably meant to be: those within an edit
// distance of a third of the longer word (at least 1), nearest first, then
// those `word` begins (at least 3 characters); in each group in the order
// given.
std::vector<std::string> ClosestNames(std::string_view word,
                                      const std::vector<std::string>& candidates);

// Walks argv (without argv[0]) through `app`'s subcommands, skipping options
// and their values, and returns the message for the first word given where a
// subcommand was expected that names none:
//   "unknown command 'query user-client'; did you mean 'query user-clients'?"
//   "unknown command 'frob'; the commands are: import, export, ..."
// std::nullopt when every such word names a subcommand.
std::optional<std::string> UnknownCommandMessage(const CLI::App& app,
                                                 const std::vector<std::string>& args);

// When the command line stops where a subcommand is required, the message
// naming the choices: "a command is needed after 'query': user-clients, ...
// (see hubreg query --help)". std::nullopt otherwise.
std::optional<std::string> MissingCommandMessage(const CLI::App& app,
                                                 const std::vector<std::string>& args);

// " (see hubreg query resolve --help)": the help of the deepest subcommand
// the command line names.
std::string HelpHint(const CLI::App& app, const std::vector<std::string>& args);

}  // namespace hubreg::cli
