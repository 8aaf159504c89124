// Progress lines: their text, and what a Progress draws on its stream.
#include "progress.h"

#include <doctest/doctest.h>
#include <stdio.h>

#include <algorithm>
#include <cstdlib>
#include <string>

namespace hubreg::cli {
namespace {

TEST_CASE("a progress bar shows the share done, the amounts, the rate and the ETA") {
  CHECK(RenderProgress("import", 25'000'000, 100'000'000, "bytes", 2.0, true) ==
        "import [######..................]  25%  25.0 MB of 100.0 MB  12.5 MB/s  ETA 6s");
  CHECK(RenderProgress("export", 1500, 3000, "rows", 0.5, false) ==
        "export:  50%  1500 rows of 3000 rows  3000 rows/s  ETA 1s");
}

TEST_CASE("a finished or empty job shows no ETA") {
  CHECK(RenderProgress("load", 10, 10, "rows", 1.0, false) ==
        "load: 100%  10 rows of 10 rows  10 rows/s");
  CHECK(RenderProgress("load", 0, 0, "rows", 0.0, false) == "load: 100%  0 rows of 0 rows");
}

TEST_CASE("long ETAs are shown in minutes") {
  CHECK(RenderProgress("demo", 1, 1000, "rows", 1.0, false) ==
        "demo:   0%  1 rows of 1000 rows  1 rows/s  ETA 16m39s");
}

// What a Progress drew on its stream, from construction to destruction.
class Drawn {
 public:
  Drawn() : out_(::open_memstream(&text_, &size_)) { REQUIRE(out_ != nullptr); }
  ~Drawn() {
    if (out_ != nullptr) std::fclose(out_);
    std::free(text_);
  }
  Drawn(const Drawn&) = delete;
  Drawn& operator=(const Drawn&) = delete;
  std::FILE* stream() const { return out_; }
  std::string Text() {
    std::fflush(out_);
    return std::string(text_, size_);
  }

 private:
  char* text_ = nullptr;
  std::size_t size_ = 0;
  std::FILE* out_;
};

TEST_CASE("on a terminal the first update draws the bar in place") {
  Drawn drawn;
  Progress progress(drawn.stream(), true, "load", "rows");
  progress.Update(0, 10);
  CHECK(drawn.Text() == "\rload [........................]   0%  0 rows of 10 rows\x1b[K");
}

TEST_CASE("finishing on a terminal redraws the final state and ends the line, once") {
  Drawn drawn;
  {
    Progress progress(drawn.stream(), true, "load", "rows");
    progress.Update(0, 10);
    progress.Update(10, 10);
    progress.Finish();
  }  // the destructor finishes again: nothing more
  const std::string text = drawn.Text();
  const std::string last = text.substr(text.rfind('\r'));
  CHECK(last.rfind("\rload [########################] 100%  10 rows of 10 rows", 0) == 0);
  CHECK(last.find("ETA") == std::string::npos);
  CHECK(last.size() >= 4);
  CHECK(last.substr(last.size() - 4) == "\x1b[K\n");
  CHECK(std::count(text.begin(), text.end(), '\n') == 1);
}

TEST_CASE("a job that never drew finishes without a line") {
  Drawn drawn;
  {
    Progress progress(drawn.stream(), true, "load", "rows");
    progress.Finish();
  }
  CHECK(drawn.Text().empty());
}

TEST_CASE("a disabled progress draws nothing, not even when finished") {
  Drawn drawn;
  {
    Progress progress(drawn.stream(), true, "load", "rows", /*enabled=*/false);
    progress.Update(5, 10);
    progress.Update(10, 10);
  }
  CHECK(drawn.Text().empty());
}

}  // namespace
}  // namespace hubreg::cli
