// The stats as data (StoreStatsFields) and as Prometheus text: the text is
// parsed back here, as a scraper would read it.
#include "hubreg/metrics.h"

#include <doctest/doctest.h>

#include <map>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "hubreg/model.h"

namespace {

using hubreg::StatsField;
using hubreg::StoreStats;

// How many members an aggregate has: the largest N for which T{x1..xN}
// compiles, where each x converts to anything (the idea behind Boost.PFR).
struct AnyField {
  template <typename T>
  operator T() const;
};

template <typename T, typename... Fields>
constexpr std::size_t MemberCount() {
  if constexpr (requires { T{Fields{}..., AnyField{}}; }) {
    return MemberCount<T, Fields..., AnyField>();
  } else {
    return sizeof...(Fields);
  }
}

// A StoreStats whose every field holds a value of its own.
StoreStats DistinctStats() {
  StoreStats stats;
  stats.counts = {.apps = 2, .organizations = 3, .clients = 5, .users = 7, .links = 11};
  stats.last_sequence = 13;
  stats.snapshot_sequence = 12;
  stats.snapshot_bytes = 1'000'001;
  stats.journal_batches = 4;
  stats.journal_bytes = 5'000'003;
  stats.map_size = 67'108'864;
  stats.map_used = 49'152;
  stats.open_seconds = 0.25;
  stats.compactions = 17;
  stats.last_compaction_error = "I/O error: disk full";
  stats.retired_registries = 19;
  return stats;
}

struct Family {
  std::string help;
  std::string type;
  std::vector<std::pair<std::string, std::string>> samples;  // labels, value
};

// Reads the text exposition format: HELP and TYPE lines, then samples
// `name{labels} value` of the family just declared.
std::map<std::string, Family> Parse(const std::string& text) {
  std::map<std::string, Family> families;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    REQUIRE_MESSAGE(!line.empty(), "no empty lines in the exposition");
    if (line.starts_with("# HELP ") || line.starts_with("# TYPE ")) {
      const std::string rest = line.substr(7);
      const std::size_t space = rest.find(' ');
      REQUIRE(space != std::string::npos);
      Family& family = families[rest.substr(0, space)];
      (line[2] == 'H' ? family.help : family.type) = rest.substr(space + 1);
      continue;
    }
    REQUIRE_MESSAGE(line[0] != '#', line);
    const std::size_t value_at = line.rfind(' ');
    REQUIRE(value_at != std::string::npos);
    std::string name = line.substr(0, value_at);
    std::string labels;
    if (const std::size_t brace = name.find('{'); brace != std::string::npos) {
      REQUIRE(name.back() == '}');
      labels = name.substr(brace + 1, name.size() - brace - 2);
      name.resize(brace);
    }
    REQUIRE_MESSAGE(families.contains(name), "a sample before its HELP/TYPE: " << line);
    families[name].samples.emplace_back(labels, line.substr(value_at + 1));
  }
  return families;
}

}  // namespace

TEST_CASE("StoreStatsFields lists every member of StoreStats once, in order") {
  CHECK_MESSAGE(
      hubreg::StoreStatsFields().size() == MemberCount<StoreStats>(),
      "a StoreStats member was added: add it to StoreStatsFields (persist/src/metrics.cpp)");
  std::set<std::string_view> names;
  for (const StatsField& field : hubreg::StoreStatsFields()) {
    CHECK_MESSAGE(names.insert(field.name).second, field.name);
  }
  CHECK(hubreg::StoreStatsFields().front().name == "counts");
  CHECK(hubreg::TableCountFields().size() == MemberCount<hubreg::TableCounts>());
}

TEST_CASE("the Prometheus text has a typed, described family for every stats field") {
  const StoreStats stats = DistinctStats();
  const std::map<std::string, Family> families = Parse(hubreg::RenderPrometheus(stats));
  CHECK(families.size() == hubreg::StoreStatsFields().size());

  const auto value = [&](const std::string& name, const std::string& labels = "") {
    REQUIRE_MESSAGE(families.contains(name), name);
    for (const auto& [sample_labels, sample_value] : families.at(name).samples) {
      if (sample_labels == labels) return sample_value;
    }
    FAIL("no sample " << name << "{" << labels << "}");
    return std::string();
  };
  CHECK(value("hubreg_rows", "table=\"threecolts_app\"") == "2");
  CHECK(value("hubreg_rows", "table=\"threecolts_organization\"") == "3");
  CHECK(value("hubreg_rows", "table=\"client\"") == "5");
  CHECK(value("hubreg_rows", "table=\"user\"") == "7");
  CHECK(value("hubreg_rows", "table=\"client_user\"") == "11");
  CHECK(value("hubreg_last_sequence") == "13");
  CHECK(value("hubreg_snapshot_sequence") == "12");
  CHECK(value("hubreg_snapshot_bytes") == "1000001");
  CHECK(value("hubreg_journal_batches") == "4");
  CHECK(value("hubreg_journal_bytes") == "5000003");
  CHECK(value("hubreg_map_size_bytes") == "67108864");
  CHECK(value("hubreg_map_used_bytes") == "49152");
  CHECK(value("hubreg_open_seconds") == "0.25");
  CHECK(value("hubreg_compactions_total") == "17");
  CHECK(value("hubreg_last_compaction_failed") == "1");
  CHECK(value("hubreg_retired_registries") == "19");

  for (const auto& [name, family] : families) {
    CAPTURE(name);
    CHECK(!family.help.empty());
    CHECK((family.type == "counter") == name.ends_with("_total"));
    CHECK((family.type == "gauge" || family.type == "counter"));
    CHECK(!family.samples.empty());
  }
}

TEST_CASE("a compaction that did not fail is 0, and the text names no error") {
  StoreStats stats = DistinctStats();
  stats.last_compaction_error.clear();
  const std::string text = hubreg::RenderPrometheus(stats);
  CHECK(Parse(text).at("hubreg_last_compaction_failed").samples.front().second == "0");
  CHECK(hubreg::RenderPrometheus(DistinctStats()).find("disk full") == std::string::npos);
}

TEST_CASE("a path label is escaped and added to every sample") {
  const std::string path = "/srv/a \"b\"\\c\nd";
  const std::map<std::string, Family> families =
      Parse(hubreg::RenderPrometheus(DistinctStats(), "hubreg", path));
  const std::string label = R"(path="/srv/a \"b\"\\c\nd")";
  for (const auto& [name, family] : families) {
    for (const auto& [labels, value] : family.samples) {
      CAPTURE(name);
      CHECK(labels.starts_with(label));
    }
  }
  CHECK(families.at("hubreg_rows").samples.front().first == label + R"(,table="threecolts_app")");
}

TEST_CASE("the prefix names the metrics, and is made a valid metric name") {
  CHECK(Parse(hubreg::RenderPrometheus(DistinctStats(), "svc")).contains("svc_journal_bytes"));
  CHECK(Parse(hubreg::RenderPrometheus(DistinctStats(), "my-svc.1"))
            .contains("my_svc_1_journal_bytes"));
  CHECK(Parse(hubreg::RenderPrometheus(DistinctStats(), "9x")).contains("_x_journal_bytes"));
  CHECK(Parse(hubreg::RenderPrometheus(DistinctStats(), "")).contains("journal_bytes"));
}
