// Progress of long operations (import, export, restore, demo) on stderr: on
// a terminal a bar redrawn in place with rate and ETA; otherwise a plain line
// every few seconds, so logs stay readable.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

namespace hubreg::cli {

// One line of progress, without a line ending, e.g.
// "import [#######.............]  35%  12.0 MB of 34.2 MB  41.3 MB/s  ETA 1s".
// `unit` is "bytes" (shown in MB) or a plural noun such as "rows".
std::string RenderProgress(std::string_view label, std::uint64_t done, std::uint64_t total,
                           std::string_view unit, double elapsed_seconds, bool bar);

class Progress {
 public:
  // `out` is the stream to draw on (stderr in the command); `interactive`
  // chooses the bar (pass isatty(fileno(out))). `enabled` false draws nothing.
  Progress(std::FILE* out, bool interactive, std::string label, std::string unit,
           bool enabled = true);
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  // Draws at most 10 times a second on a terminal, every 5 s otherwise.
  void Update(std::uint64_t done, std::uint64_t total);
  // Draws the final state and ends the line. Called by the destructor too.
  void Finish();

 private:
  using Clock = std::chrono::steady_clock;
  double Elapsed() const;

  std::FILE* out_;
  bool interactive_;
  bool enabled_;
  std::string label_;
  std::string unit_;
  Clock::time_point start_ = Clock::now();
  Clock::time_point last_draw_{};
  std::uint64_t done_ = 0;
  std::uint64_t total_ = 0;
  std::uint64_t drawn_done_ = 0;  // what the last line showed
  bool drawn_ = false;
  bool finished_ = false;
};

}  // namespace hubreg::cli
