// `hubreg demo`: the registry at realistic size, persisted, reopened and
// queried, in under a minute.
#include <cstdio>
#include <nlohmann/json.hpp>

#include "command_common.h"
#include "demo_runner.h"
#include "progress.h"

namespace hubreg::cli {
namespace {

std::string Thousands(std::uint64_t n) {
  std::string digits = std::to_string(n);
  for (int i = static_cast<int>(digits.size()) - 3; i > 0; i -= 3) {
    digits.insert(static_cast<std::size_t>(i), ",");
  }
  return digits;
}

void PrintReport(const DemoReport& report, const DemoOptions& options) {
  const TableCounts& c = report.counts;
  std::printf("hubreg demo: a synthetic hub_alpha registry (seed %llu)\n",
              static_cast<unsigned long long>(options.sizes.seed));
  std::printf("  rows:      %s apps, %s organizations, %s accounts, %s users, %s links\n",
              Thousands(c.apps).c_str(), Thousands(c.organizations).c_str(),
              Thousands(c.clients).c_str(), Thousands(c.users).c_str(), Thousands(c.links).c_str());
  std::printf("  generate:  %.2f s\n", report.generate_seconds);
  std::printf("  persist:   %.2f s (%zu %s committed to LMDB), compact %.2f s, snapshot %s\n",
              report.load_seconds, report.batches, report.batches == 1 ? "batch" : "batches",
              report.compact_seconds, ByteSize(report.snapshot_bytes).c_str());
  std::printf("  start-up:  %.3f s to reopen from the snapshot (store open %.3f s)\n",
              report.reopen_seconds, report.open_seconds);
  std::printf("  lookups (one thread, %g s each):\n", options.seconds_per_kind);
  for (const LookupRate& rate : report.lookups) {
    std::printf(
        "    %-24s %12s lookups/s  (%.1f rows per lookup)\n", rate.kind.c_str(),
        Thousands(static_cast<std::uint64_t>(rate.per_second())).c_str(),
        rate.lookups ? static_cast<double>(rate.rows) / static_cast<double>(rate.lookups) : 0.0);
  }
  std::printf("  memory:    %s resident after reopening, peak %s\n",
              ByteSize(report.rss_bytes).c_str(), ByteSize(report.peak_rss_bytes).c_str());
  std::printf("  total:     %.1f s\n", report.total_seconds);
}

void PrintJson(const DemoReport& report) {
  nlohmann::ordered_json lookups = nlohmann::ordered_json::array();
  for (const LookupRate& rate : report.lookups) {
    lookups.push_back({{"kind", rate.kind},
                       {"lookups", rate.lookups},
                       {"rows", rate.rows},
                       {"seconds", rate.seconds},
                       {"per_second", rate.per_second()}});
  }
  const TableCounts& c = report.counts;
  nlohmann::ordered_json out{{"counts",
                              {{"threecolts_app", c.apps},
                               {"threecolts_organization", c.organizations},
                               {"client", c.clients},
                               {"user", c.users},
                               {"client_user", c.links}}},
                             {"generate_seconds", report.generate_seconds},
                             {"load_seconds", report.load_seconds},
                             {"batches", report.batches},
                             {"compact_seconds", report.compact_seconds},
                             {"snapshot_bytes", report.snapshot_bytes},
                             {"reopen_seconds", report.reopen_seconds},
                             {"open_seconds", report.open_seconds},
                             {"last_sequence", report.last_sequence},
                             {"lookups", lookups},
                             {"rss_bytes", report.rss_bytes},
                             {"peak_rss_bytes", report.peak_rss_bytes},
                             {"total_seconds", report.total_seconds}};
  std::printf("%s\n", out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
}

int RunDemoCommand(const Context& context, DemoOptions options) {
  Progress progress(stderr, StderrIsTerminal(), "demo: load", "rows", !context.quiet);
  std::string last_phase;
  options.progress = [&](const std::string& phase, std::uint64_t done, std::uint64_t total) {
    if (phase == "load") {
      progress.Update(done, total);
      return;
    }
    if (phase == last_phase) return;
    last_phase = phase;
    if (phase != "generate") progress.Finish();
    if (!context.quiet && StderrIsTerminal()) std::fprintf(stderr, "demo: %s...\n", phase.c_str());
  };
  StatusOr<DemoReport> report = RunDemo(options);
  progress.Finish();
  if (!report.ok()) return Fail(report.status().WithContext("demo"));
  if (context.json) {
    PrintJson(*report);
  } else {
    PrintReport(*report, options);
  }
  return kExitOk;
}

}  // namespace

void AddDemoCommand(CLI::App& app, Context& context) {
  auto options = std::make_shared<DemoOptions>();
  CLI::App* demo = app.add_subcommand(
      "demo",
      "Build a realistic registry in a temporary directory, persist, reopen and time lookups");
  gen::GeneratorOptions& sizes = options->sizes;
  demo->add_option("--apps", sizes.apps, "Apps (alternately stage and prod)")
      ->capture_default_str();
  demo->add_option("--organizations", sizes.organizations, "Organizations")->capture_default_str();
  demo->add_option("--clients,--accounts", sizes.clients, "Clients (accounts)")
      ->capture_default_str();
  demo->add_option("--users", sizes.users, "Users")->capture_default_str();
  demo->add_option("--links", sizes.links, "client_user links")->capture_default_str();
  demo->add_option("--seed", sizes.seed, "Generator seed")->capture_default_str();
  demo->add_option("--batch-rows", options->batch_rows, "Rows per committed batch while loading")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  demo->add_option("--seconds", options->seconds_per_kind, "Seconds to measure each lookup kind")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  demo->add_option("--keep", options->keep_dir,
                   "Build the registry in this directory and keep it (default: a temporary one)");
  demo->callback([&context, options] { context.exit_code = RunDemoCommand(context, *options); });
}

}  // namespace hubreg::cli
