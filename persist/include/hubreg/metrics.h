// StoreStats as data, and as Prometheus metrics.
//
// Every face that shows a store's statistics (`hubreg stats --json`, the
// Prometheus text below, the Python module's Registry.stats()) walks
// StoreStatsFields(), so a field added to StoreStats is one entry there.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <variant>

#include "hubreg/store.h"

namespace hubreg {

enum class MetricType { kGauge, kCounter };

// One field of StoreStats. The value points into the StoreStats it was read
// from (a string or the row counts), so it lives as long as that does.
struct StatsField {
  using Value = std::variant<std::uint64_t, double, std::string_view, const TableCounts*>;

  std::string_view name;    // the StoreStats member, and its key in JSON: "journal_bytes"
  std::string_view metric;  // the Prometheus name after "<prefix>_": "journal_bytes"
  MetricType type;
  std::string_view help;  // one line, for HELP
  Value (*get)(const StoreStats& stats);
};

// Every field of StoreStats, in declaration order.
std::span<const StatsField> StoreStatsFields();

// The row counts by table name (kAppTable ... kClientUserTable), in schema order.
struct TableCountField {
  std::string_view table;
  std::size_t TableCounts::*count;
};
std::span<const TableCountField> TableCountFields();

// The stats in the Prometheus text exposition format (version 0.0.4), for a
// service to serve on its /metrics: a HELP and a TYPE line per metric, names
// "<prefix>_<metric>" (counters end in _total, units in the name: _bytes,
// _seconds), the row counts as one gauge "<prefix>_rows" with a `table`
// label, and last_compaction_error as the gauge
// "<prefix>_last_compaction_failed" (1 or 0; a metric carries no text).
// With a non-empty `path`, every sample also has the label path="<path>",
// escaped as the format requires (\\, \", \n). Characters of `prefix` that
// a metric name cannot hold become '_'; an empty prefix leaves the names
// bare. Ends with a newline.
std::string RenderPrometheus(const StoreStats& stats, std::string_view prefix = "hubreg",
                             std::string_view path = {});

}  // namespace hubreg
