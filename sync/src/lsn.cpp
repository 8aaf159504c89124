#include "hubreg/lsn.h"

#include <charconv>
#include <cstdio>

namespace hubreg {
namespace {

std::optional<std::uint32_t> ParseHalf(std::string_view text) {
  if (text.empty() || text.size() > 8) return std::nullopt;
  std::uint32_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value, 16);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

}  // namespace

std::string FormatLsn(Lsn lsn) {
  char text[32];
  std::snprintf(text, sizeof text, "%X/%X", static_cast<unsigned>(lsn >> 32),
                static_cast<unsigned>(lsn & 0xFFFFFFFFu));
  return text;
}

std::optional<Lsn> ParseLsn(std::string_view text) {
  const std::size_t slash = text.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  // from_chars accepts neither a sign nor "0x", so "+1/2" and "0x1/2" fail here.
  std::optional<std::uint32_t> high = ParseHalf(text.substr(0, slash));
  std::optional<std::uint32_t> low = ParseHalf(text.substr(slash + 1));
  if (!high || !low) return std::nullopt;
  return (static_cast<Lsn>(*high) << 32) | *low;
}

}  // namespace hubreg
