#include "follow_state.h"

#include <charconv>

namespace hubreg::sync {
namespace {

constexpr std::string_view kMagic = "hubreg-follow 1";

std::string Micros(Timestamp time) {
  return std::to_string(
      std::chrono::duration_cast<std::chrono::microseconds>(time.time_since_epoch()).count());
}

bool ParseMicros(std::string_view text, Timestamp* time) {
  long long micros = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), micros);
  if (error != std::errc() || end != text.data() + text.size()) return false;
  *time = Timestamp(std::chrono::microseconds(micros));
  return true;
}

}  // namespace

std::string EncodeFollowState(const FollowState& state) {
  std::string text(kMagic);
  text += "\nsource " + state.source;
  text += "\nslot " + state.slot;
  text += "\nsystem " + state.system_id;
  text += "\nlsn " + FormatLsn(state.lsn);
  text += "\ncommit_time " + Micros(state.commit_time);
  text += "\napplied_time " + Micros(state.applied_time);
  return text + "\n";
}

StatusOr<FollowState> DecodeFollowState(std::string_view bytes) {
  auto corrupt = [](std::string what) {
    return Status::Corruption("the stored follower position: " + what);
  };
  FollowState state;
  std::size_t line_number = 0;
  bool lsn_seen = false;
  while (!bytes.empty()) {
    const std::size_t newline = bytes.find('\n');
    if (newline == std::string_view::npos) return corrupt("no line ending at the end");
    std::string_view line = bytes.substr(0, newline);
    bytes.remove_prefix(newline + 1);
    ++line_number;
    if (line_number == 1) {
      if (line != kMagic) return corrupt("line 1 is not \"" + std::string(kMagic) + "\"");
      continue;
    }
    const std::size_t space = line.find(' ');
    const std::string_view key = line.substr(0, space);
    const std::string_view value =
        space == std::string_view::npos ? std::string_view() : line.substr(space + 1);
    bool ok = true;
    if (key == "source") {
      state.source = value;
    } else if (key == "slot") {
      state.slot = value;
    } else if (key == "system") {
      state.system_id = value;
    } else if (key == "lsn") {
      std::optional<Lsn> lsn = ParseLsn(value);
      ok = lsn.has_value();
      if (ok) state.lsn = *lsn;
      lsn_seen = ok;
    } else if (key == "commit_time") {
      ok = ParseMicros(value, &state.commit_time);
    } else if (key == "applied_time") {
      ok = ParseMicros(value, &state.applied_time);
    }  // unknown keys: written by a newer build that kept the format; ignored
    if (!ok) return corrupt("line " + std::to_string(line_number) + ": bad " + std::string(key));
  }
  if (line_number == 0) return corrupt("empty");
  if (!lsn_seen) return corrupt("no lsn line");
  return state;
}

}  // namespace hubreg::sync
