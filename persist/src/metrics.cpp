#include "hubreg/metrics.h"

#include <array>
#include <charconv>
#include <type_traits>

#include "hubreg/model.h"

namespace hubreg {
namespace {

using Value = StatsField::Value;

template <auto Member>
Value Get(const StoreStats& stats) {
  const auto& value = stats.*Member;
  using T = std::remove_cvref_t<decltype(value)>;
  if constexpr (std::is_same_v<T, TableCounts>) {
    return &value;
  } else if constexpr (std::is_same_v<T, std::string>) {
    return std::string_view(value);
  } else if constexpr (std::is_floating_point_v<T>) {
    return static_cast<double>(value);
  } else {
    return static_cast<std::uint64_t>(value);
  }
}

constexpr MetricType kGauge = MetricType::kGauge;
constexpr MetricType kCounter = MetricType::kCounter;

const std::array kFields{
    StatsField{"counts", "rows", kGauge, "Rows per table.", &Get<&StoreStats::counts>},
    StatsField{"last_sequence", "last_sequence", kGauge,
               "Sequence number of the last batch applied.", &Get<&StoreStats::last_sequence>},
    StatsField{"snapshot_sequence", "snapshot_sequence", kGauge,
               "Sequence number the stored snapshot covers.", &Get<&StoreStats::snapshot_sequence>},
    StatsField{"snapshot_bytes", "snapshot_bytes", kGauge, "Size of the stored snapshot.",
               &Get<&StoreStats::snapshot_bytes>},
    StatsField{"journal_batches", "journal_batches", kGauge,
               "Batches in the journal after the snapshot.", &Get<&StoreStats::journal_batches>},
    StatsField{"journal_bytes", "journal_bytes", kGauge, "Size of the journal after the snapshot.",
               &Get<&StoreStats::journal_bytes>},
    StatsField{"map_size", "map_size_bytes", kGauge, "Size of the LMDB map.",
               &Get<&StoreStats::map_size>},
    StatsField{"map_used", "map_used_bytes", kGauge, "Bytes of the LMDB map in use.",
               &Get<&StoreStats::map_used>},
    StatsField{"open_seconds", "open_seconds", kGauge,
               "How long opening the store took (snapshot load and journal replay).",
               &Get<&StoreStats::open_seconds>},
    StatsField{"compactions", "compactions_total", kCounter,
               "Compactions since the store was opened, automatic and requested.",
               &Get<&StoreStats::compactions>},
    StatsField{"last_compaction_error", "last_compaction_failed", kGauge,
               "1 when the last automatic compaction failed (its message is in hubreg stats "
               "--json), else 0.",
               &Get<&StoreStats::last_compaction_error>},
    StatsField{"retired_registries", "retired_registries", kGauge,
               "Earlier registries a read-only store keeps for Views still alive.",
               &Get<&StoreStats::retired_registries>},
    StatsField{"commit_signal", "commit_signal", kGauge,
               "1 when waits for the writer's commits sleep on the commit signal, 0 when they "
               "look at LMDB every 50 ms (the signal file is missing or damaged).",
               &Get<&StoreStats::commit_signal>},
    StatsField{"replacements", "replacements_total", kCounter,
               "Times a read-only store found its data directory replaced (a restore) and "
               "reloaded.",
               &Get<&StoreStats::replacements>},
    StatsField{"copies", "copies_total", kCounter,
               "Copying compactions the writer made, or a read-only store followed without "
               "reloading.",
               &Get<&StoreStats::copies>},
    StatsField{"last_refresh_error", "last_refresh_failed", kGauge,
               "1 when the last background refresh failed (its message is in hubreg stats "
               "--json), else 0.",
               &Get<&StoreStats::last_refresh_error>},
};

const std::array kTableCounts{
    TableCountField{kAppTable, &TableCounts::apps},
    TableCountField{kOrganizationTable, &TableCounts::organizations},
    TableCountField{kClientTable, &TableCounts::clients},
    TableCountField{kUserTable, &TableCounts::users},
    TableCountField{kClientUserTable, &TableCounts::links},
};

// A metric name is [a-zA-Z_:][a-zA-Z0-9_:]*.
std::string MetricPrefix(std::string_view prefix) {
  std::string out;
  for (const char c : prefix) {
    const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
    const bool digit = c >= '0' && c <= '9';
    out += letter || (digit && !out.empty()) ? c : '_';
  }
  if (!out.empty()) out += '_';
  return out;
}

// Label values escape backslash, double quote and line feed.
std::string EscapeLabelValue(std::string_view value) {
  std::string out;
  for (const char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string Number(std::uint64_t value) { return std::to_string(value); }

std::string Number(double value) {
  char text[64];
  const auto result = std::to_chars(text, text + sizeof text, value);
  return std::string(text, result.ptr);
}

}  // namespace

std::span<const StatsField> StoreStatsFields() { return kFields; }

std::span<const TableCountField> TableCountFields() { return kTableCounts; }

std::string RenderPrometheus(const StoreStats& stats, std::string_view prefix,
                             std::string_view path) {
  const std::string name_prefix = MetricPrefix(prefix);
  const std::string path_label =
      path.empty() ? std::string() : "path=\"" + EscapeLabelValue(path) + "\"";
  const auto labels = [&](const std::string& extra) {
    std::string all = path_label;
    if (!extra.empty()) all += (all.empty() ? "" : ",") + extra;
    return all.empty() ? all : "{" + all + "}";
  };

  std::string out;
  for (const StatsField& field : kFields) {
    const std::string name = name_prefix + std::string(field.metric);
    out += "# HELP " + name + " " + std::string(field.help) + "\n";
    out += "# TYPE " + name + (field.type == MetricType::kCounter ? " counter\n" : " gauge\n");
    const Value value = field.get(stats);
    if (const auto* counts = std::get_if<const TableCounts*>(&value)) {
      for (const TableCountField& table : kTableCounts) {
        out += name + labels("table=\"" + std::string(table.table) + "\"") + " " +
               Number(static_cast<std::uint64_t>((*counts)->*table.count)) + "\n";
      }
    } else if (const auto* text = std::get_if<std::string_view>(&value)) {
      out += name + labels("") + (text->empty() ? " 0\n" : " 1\n");
    } else {
      std::visit(
          [&](const auto& number) {
            if constexpr (!std::is_pointer_v<std::decay_t<decltype(number)>> &&
                          !std::is_same_v<std::decay_t<decltype(number)>, std::string_view>) {
              out += name + labels("") + " " + Number(number) + "\n";
            }
          },
          value);
    }
  }
  return out;
}

}  // namespace hubreg
