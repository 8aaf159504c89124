// Steady writes stay bounded (issue 16): a writer process commits
// single-mutation batches to a size-S registry with automatic compaction on,
// a read-only process refreshes beside it every 50 ms, and after warm-up
// neither data.mdb nor the writer's resident memory may keep growing: the
// file may grow in a few sample intervals only (a leak grows it in nearly
// all), by at most a snapshot and a journal window, and resident memory by
// no more than the file. The store keeps its default change-feed window
// (100,000 batches of the journal kept past compaction, at most 64 MiB): the
// bounds count it beside the snapshot and the journal after it.
//
// Under a minute in a release build (600,000 batches, the default 4 MiB
// journal window; the feed's window is full after about 120,000). Sanitizer builds run a tenth of
// the batches with a 1 MiB window and check only the bounds: too few compactions follow the warm-up
// to tell a leak from settling, and ASan's allocator keeps freed memory in
// quarantine, so resident memory grows by design there.
// HUBREG_SOAK_BATCHES sets the number of batches.
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include "store_testutil.h"

using namespace hubreg;
using namespace hubreg::test;

namespace {

const std::string kWriter = HUBREG_SOAK_WRITER;
const std::string kReader = HUBREG_CRASH_WRITER;

std::uint64_t Batches() {
  if (const char* text = std::getenv("HUBREG_SOAK_BATCHES")) return std::stoull(text);
  return kSanitized ? 60'000 : 600'000;
}

// One line of soak_writer's CSV.
struct Sample {
  std::uint64_t batches = 0;
  std::uint64_t file_bytes = 0;
  std::uint64_t map_size = 0;
  std::uint64_t rss_bytes = 0;
  std::uint64_t snapshot_bytes = 0;
  std::uint64_t journal_bytes = 0;
  std::uint64_t feed_window_bytes = 0;
};

Sample ParseSample(const std::string& line) {
  std::vector<std::string> fields;
  std::stringstream stream(line);
  for (std::string field; std::getline(stream, field, ',');) fields.push_back(field);
  REQUIRE(fields.size() == 14);
  Sample sample;
  sample.batches = std::stoull(fields[1]);
  sample.file_bytes = std::stoull(fields[2]);
  sample.map_size = std::stoull(fields[3]);
  sample.rss_bytes = std::stoull(fields[5]);
  sample.snapshot_bytes = std::stoull(fields[10]);
  sample.journal_bytes = std::stoull(fields[11]);
  sample.feed_window_bytes = std::stoull(fields[12]);
  return sample;
}

// The largest value of `field` over samples [from, to).
template <typename Field>
std::uint64_t MaxOf(const std::vector<Sample>& samples, std::size_t from, std::size_t to,
                    Field field) {
  std::uint64_t most = 0;
  for (std::size_t i = from; i < to; ++i) most = std::max(most, samples[i].*field);
  return most;
}

}  // namespace

TEST_CASE("steady single-mutation batches with compaction keep data.mdb and memory flat") {
  TempDir dir;
  const std::string path = dir.Path("data");
  const std::uint64_t batches = Batches();
  constexpr std::uint64_t kSamples = 60;
  MESSAGE(batches << " batches" << std::string(kSanitized ? ", sanitizer build: bounds only" : ""));
  // The default journal window (4 MiB: a compaction about every 40,000
  // batches), or 1 MiB under sanitizers, to see as many compactions.
  const std::uint64_t window = kSanitized ? 1u << 20 : StoreOptions().min_journal_bytes;
  Child writer({kWriter, path, "--users=10000", "--batches=" + std::to_string(batches),
                "--sample=" + std::to_string(std::max<std::uint64_t>(1, batches / kSamples)),
                "--min-journal-bytes=" + std::to_string(window)});
  // The header comes once the registry is generated and stored.
  REQUIRE(writer.ReadLine(120000).value_or("").rfind("seconds,batches,", 0) == 0);
  Child reader({kReader, "reader", path});

  std::vector<Sample> samples;
  std::uint64_t refreshes = 0, advanced = 0, last_sequence = 0;
  auto last_line = std::chrono::steady_clock::now();
  for (bool writing = true; writing;) {
    // The writer's next sample, or 50 ms without one: then the reader
    // refreshes, as a read-only process polling every 50 ms would.
    std::optional<std::string> line = writer.ReadLine(50);
    if (line) {
      samples.push_back(ParseSample(*line));
      last_line = std::chrono::steady_clock::now();
    }
    // A writer that died or hangs sends nothing more.
    REQUIRE(std::chrono::steady_clock::now() - last_line < std::chrono::minutes(2));
    writing = samples.empty() || samples.back().batches < batches;
    reader.Send("refresh");
    std::optional<std::string> answer = reader.ReadLine(60000);
    REQUIRE(answer);
    std::istringstream fields(*answer);
    int code = -1;
    std::uint64_t sequence = 0, users = 0;
    fields >> code >> sequence >> users;
    CAPTURE(*answer);
    REQUIRE(code == 0);
    REQUIRE(sequence >= last_sequence);
    REQUIRE(users == 10000);
    if (sequence > last_sequence) ++advanced;
    last_sequence = sequence;
    ++refreshes;
  }
  REQUIRE(WIFEXITED(writer.Wait()));
  reader.Send("refresh");
  CHECK(reader.ReadLine(60000) == "0 " + std::to_string(batches + 1) + " 10000");

  REQUIRE(samples.size() >= 30);
  const std::size_t warm = samples.size() / 3;  // the first third is warm-up
  const std::size_t end = samples.size();
  const Sample& first = samples[warm - 1];
  const Sample& last = samples.back();
  // The journal window: the entries after the snapshot (up to a compaction's
  // worth) and the change feed's window before it.
  const std::uint64_t journal = MaxOf(samples, 0, end, &Sample::journal_bytes) +
                                MaxOf(samples, 0, end, &Sample::feed_window_bytes);
  // A leak grows data.mdb in (nearly) every sample interval; issue 16's, one
  // snapshot per compaction, in every fourth (a compaction every ~4 samples,
  // 10 of the 40 after warm-up). A reader descheduled inside a read
  // transaction instead adds a step now and then (the pages the writer frees
  // meanwhile cannot be reused; storage.md): at most half that many.
  std::size_t growing = 0;
  for (std::size_t i = warm; i < end; ++i) {
    if (samples[i].file_bytes > samples[i - 1].file_bytes) ++growing;
  }
  const std::uint64_t file_growth = last.file_bytes - first.file_bytes;
  const std::uint64_t rss_growth =
      last.rss_bytes > first.rss_bytes ? last.rss_bytes - first.rss_bytes : 0;
  // 10 bytes a batch: a leak of 40 bytes a batch, as issue 16 measured, is 4x.
  const std::uint64_t margin = 10 * (last.batches - first.batches);
  MESSAGE(refreshes << " refreshes (" << advanced << " saw new batches); after warm-up data.mdb "
                    << first.file_bytes << " -> " << last.file_bytes << " bytes (grew in "
                    << growing << " of " << end - warm << " intervals), RSS " << first.rss_bytes
                    << " -> " << last.rss_bytes << " bytes; map " << last.map_size
                    << " bytes; snapshot " << last.snapshot_bytes
                    << ", journal window (with the feed's) up to " << journal << " bytes");
  CHECK(refreshes >= samples.size());
  CHECK(advanced > 1);
  CHECK(file_growth <= last.snapshot_bytes + journal);
  if (!kSanitized) {
    // A tenth of the batches leaves too few compactions after warm-up to
    // tell a leak from settling; sanitizer builds check the bounds only.
    CHECK(growing <= 5);
    // Resident memory follows the file's pages the writer touched, and no
    // more (its own memory must be flat).
    CHECK(rss_growth <= file_growth + margin);
  }
  // Issue 16's bound: at most 3x the snapshot plus the journal window.
  CHECK(last.file_bytes <= 3 * (last.snapshot_bytes + journal));
}
