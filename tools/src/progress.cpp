#include "progress.h"

#include <cmath>

namespace hubreg::cli {
namespace {

std::string Amount(double value, std::string_view unit) {
  char text[64];
  if (unit == "bytes") {
    std::snprintf(text, sizeof text, "%.1f MB", value / 1e6);
  } else {
    std::snprintf(text, sizeof text, "%.0f %.*s", value, static_cast<int>(unit.size()),
                  unit.data());
  }
  return text;
}

std::string Duration(double seconds) {
  char text[32];
  if (seconds < 60) {
    std::snprintf(text, sizeof text, "%.0fs", std::ceil(seconds));
  } else {
    std::snprintf(text, sizeof text, "%dm%02ds", static_cast<int>(seconds) / 60,
                  static_cast<int>(seconds) % 60);
  }
  return text;
}

}  // namespace

std::string RenderProgress(std::string_view label, std::uint64_t done, std::uint64_t total,
                           std::string_view unit, double elapsed_seconds, bool bar) {
  constexpr int kBarWidth = 24;
  const double fraction = total == 0 ? 1.0 : std::min(1.0, static_cast<double>(done) / total);
  std::string line(label);
  if (bar) {
    const int filled = static_cast<int>(fraction * kBarWidth);
    line += " [" + std::string(filled, '#') + std::string(kBarWidth - filled, '.') + "]";
  } else {
    line += ":";
  }
  char percent[16];
  std::snprintf(percent, sizeof percent, " %3.0f%%", fraction * 100);
  line += percent;
  line += "  " + Amount(static_cast<double>(done), unit) + " of " +
          Amount(static_cast<double>(total), unit);
  if (elapsed_seconds > 0.05 && done > 0) {
    const double rate = static_cast<double>(done) / elapsed_seconds;
    line += "  " + Amount(rate, unit) + "/s";
    if (done < total) line += "  ETA " + Duration(static_cast<double>(total - done) / rate);
  }
  return line;
}

Progress::Progress(std::FILE* out, bool interactive, std::string label, std::string unit,
                   bool enabled)
    : out_(out),
      interactive_(interactive),
      enabled_(enabled),
      label_(std::move(label)),
      unit_(std::move(unit)) {}

Progress::~Progress() { Finish(); }

double Progress::Elapsed() const {
  return std::chrono::duration<double>(Clock::now() - start_).count();
}

void Progress::Update(std::uint64_t done, std::uint64_t total) {
  done_ = done;
  total_ = total;
  if (!enabled_ || finished_) return;
  const auto now = Clock::now();
  const auto interval = interactive_ ? std::chrono::milliseconds(100) : std::chrono::seconds(5);
  if (drawn_ && now - last_draw_ < interval) return;
  if (!drawn_ && !interactive_ && now - start_ < interval) return;  // quick jobs stay quiet
  last_draw_ = now;
  drawn_ = true;
  drawn_done_ = done_;
  const std::string line = RenderProgress(label_, done_, total_, unit_, Elapsed(), interactive_);
  if (interactive_) {
    std::fprintf(out_, "\r%s\x1b[K", line.c_str());
  } else {
    std::fprintf(out_, "%s\n", line.c_str());
  }
  std::fflush(out_);
}

void Progress::Finish() {
  if (finished_) return;
  finished_ = true;
  if (!enabled_ || !drawn_) return;
  if (!interactive_ && drawn_done_ == done_) return;  // the last line said it already
  const std::string line = RenderProgress(label_, done_, total_, unit_, Elapsed(), interactive_);
  if (interactive_) {
    std::fprintf(out_, "\r%s\x1b[K\n", line.c_str());
  } else {
    std::fprintf(out_, "%s\n", line.c_str());
  }
  std::fflush(out_);
}

}  // namespace hubreg::cli
