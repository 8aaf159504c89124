// `hubreg demo`: builds a synthetic registry in a temporary data directory,
// persists it, reopens it and measures the typical lookups. Returns figures;
// printing is the command's job.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "hubreg/generator.h"
#include "hubreg/status.h"
#include "hubreg/view.h"

namespace hubreg::cli {

struct DemoOptions {
  gen::GeneratorOptions sizes = gen::DemoSize();
  std::size_t batch_rows = 100'000;  // mutations per Store::Apply while loading
  double seconds_per_kind = 0.5;     // how long each lookup kind is measured
  std::string keep_dir;              // when set, the data directory is left there
  // Phase names ("generate", "load", ...) with done/total, for progress.
  std::function<void(const std::string& phase, std::uint64_t done, std::uint64_t total)> progress;
};

struct LookupRate {
  std::string kind;  // "user-clients", ...
  std::uint64_t lookups = 0;
  std::uint64_t rows = 0;  // rows returned in all
  double seconds = 0;
  double per_second() const { return seconds > 0 ? static_cast<double>(lookups) / seconds : 0; }
};

struct DemoReport {
  std::string data_dir;
  TableCounts counts;
  double generate_seconds = 0;
  double load_seconds = 0;  // every batch applied and committed
  std::size_t batches = 0;
  double compact_seconds = 0;
  double reopen_seconds = 0;  // Store::Open on the compacted directory, wall clock
  double open_seconds = 0;    // as Store::Stats reports it
  std::uint64_t snapshot_bytes = 0;
  std::uint64_t last_sequence = 0;
  std::vector<LookupRate> lookups;
  std::uint64_t rss_bytes = 0;       // after reopening and the lookups
  std::uint64_t peak_rss_bytes = 0;  // the whole run
  double total_seconds = 0;
};

StatusOr<DemoReport> RunDemo(const DemoOptions& options);

}  // namespace hubreg::cli
