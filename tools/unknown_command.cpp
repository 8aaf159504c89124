#include "unknown_command.h"

#include <algorithm>
#include <numeric>

namespace hubreg::cli {
namespace {

// The option `token` names, looked up in `app` and, since options fall
// through to the parent, in its parents.
const CLI::Option* FindOption(const CLI::App* app, const std::string& token) {
  for (; app != nullptr; app = app->get_parent()) {
    if (const CLI::Option* option = app->get_option_no_throw(token)) return option;
  }
  return nullptr;
}

std::string Quoted(const std::string& path, const std::string& name) {
  return "'" + (path.empty() ? name : path + " " + name) + "'";
}

}  // namespace

std::size_t EditDistance(std::string_view a, std::string_view b) {
  // Optimal string alignment: the Levenshtein table plus one look back for
  // a swap; three rows suffice.
  std::vector<std::size_t> before(b.size() + 1), previous(b.size() + 1), current(b.size() + 1);
  std::iota(previous.begin(), previous.end(), 0);
  for (std::size_t i = 1; i <= a.size(); ++i) {
    current[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      current[j] = std::min({previous[j] + 1, current[j - 1] + 1, substitution});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        current[j] = std::min(current[j], before[j - 2] + 1);
      }
    }
    std::swap(before, previous);
    std::swap(previous, current);
  }
  return previous[b.size()];
}

std::vector<std::string> ClosestNames(std::string_view word,
                                      const std::vector<std::string>& candidates) {
  std::vector<std::pair<std::size_t, std::string>> near;
  std::vector<std::string> extended;
  for (const std::string& name : candidates) {
    const std::size_t limit = std::max<std::size_t>(1, std::max(word.size(), name.size()) / 3);
    const std::size_t distance = EditDistance(word, name);
    if (distance <= limit) {
      near.emplace_back(distance, name);
    } else if (word.size() >= 3 && name.starts_with(word)) {
      extended.push_back(name);
    }
  }
  std::stable_sort(near.begin(), near.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<std::string> names;
  for (auto& [distance, name] : near) names.push_back(std::move(name));
  names.insert(names.end(), extended.begin(), extended.end());
  return names;
}

namespace {

// Where a walk of the command line through the subcommands ended.
struct Walk {
  const CLI::App* command;             // the last subcommand named (or the app)
  std::string path;                    // their names, "query resolve"
  std::optional<std::string> unknown;  // a word where a subcommand was expected, naming none
};

std::vector<std::string> SubcommandNames(const CLI::App& command) {
  std::vector<std::string> names;
  for (const CLI::App* sub : command.get_subcommands([](const CLI::App*) { return true; })) {
    if (!sub->get_name().empty()) names.push_back(sub->get_name());  // not option groups
  }
  return names;
}

std::string Listed(const std::vector<std::string>& names) {
  std::string text;
  for (std::size_t k = 0; k < names.size(); ++k) text += (k == 0 ? "" : ", ") + names[k];
  return text;
}

std::string SeeHelp(const std::string& path) {
  return " (see hubreg " + (path.empty() ? std::string() : path + " ") + "--help)";
}

Walk WalkCommands(const CLI::App& app, const std::vector<std::string>& args) {
  Walk walk{&app, "", std::nullopt};
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& token = args[i];
    if (token == "--") break;
    if (token.size() > 1 && token[0] == '-') {
      // An option's value is the next word unless given as --name=value.
      if (token.find('=') != std::string::npos) continue;
      const CLI::Option* option = FindOption(walk.command, token);
      // After an unknown option, whether the next word is its value cannot
      // be told: CLI11's own message names the option.
      if (option == nullptr) break;
      if (option->get_expected_min() > 0) ++i;
      continue;
    }
    if (SubcommandNames(*walk.command).empty()) continue;  // a positional argument
    const CLI::App* found = nullptr;
    for (const CLI::App* sub :
         walk.command->get_subcommands([](const CLI::App*) { return true; })) {
      if (!sub->get_name().empty() && sub->check_name(token)) found = sub;
    }
    if (found == nullptr) {
      walk.unknown = token;
      break;
    }
    walk.command = found;
    walk.path += (walk.path.empty() ? "" : " ") + found->get_name();
  }
  return walk;
}

}  // namespace

std::optional<std::string> UnknownCommandMessage(const CLI::App& app,
                                                 const std::vector<std::string>& args) {
  const Walk walk = WalkCommands(app, args);
  if (!walk.unknown) return std::nullopt;
  const std::vector<std::string> names = SubcommandNames(*walk.command);
  std::string message = "unknown command " + Quoted(walk.path, *walk.unknown);
  const std::vector<std::string> closest = ClosestNames(*walk.unknown, names);
  if (closest.size() == 1) {
    message += "; did you mean " + Quoted(walk.path, closest.front()) + "?";
  } else if (!closest.empty()) {
    message += "; did you mean one of";
    for (std::size_t k = 0; k < closest.size(); ++k) {
      message += (k == 0 ? " " : ", ") + Quoted(walk.path, closest[k]);
    }
    message += "?";
  } else {
    message += "; the commands" + (walk.path.empty() ? std::string() : " of '" + walk.path + "'") +
               " are: " + Listed(names);
  }
  return message + SeeHelp(walk.path);
}

std::optional<std::string> MissingCommandMessage(const CLI::App& app,
                                                 const std::vector<std::string>& args) {
  const Walk walk = WalkCommands(app, args);
  const std::vector<std::string> names = SubcommandNames(*walk.command);
  if (walk.unknown || names.empty() || walk.command->get_require_subcommand_min() == 0) {
    return std::nullopt;
  }
  return "a command is needed" +
         (walk.path.empty() ? std::string() : " after '" + walk.path + "'") + ": " + Listed(names) +
         SeeHelp(walk.path);
}

std::string HelpHint(const CLI::App& app, const std::vector<std::string>& args) {
  return SeeHelp(WalkCommands(app, args).path);
}

}  // namespace hubreg::cli
