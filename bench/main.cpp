// The benchmark program: picks the sizes, registers every group for them and
// hands the remaining flags to Google Benchmark.
//
//   hubreg_bench --sizes=S,M,L --benchmark_out=results.json --benchmark_out_format=json
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "suite.h"

namespace {

using hubreg::bench::Size;

// "S,M,L" -> sizes; unknown letters are reported and skipped.
std::vector<Size> ParseSizes(std::string_view text) {
  std::vector<Size> sizes;
  for (char letter : text) {
    switch (letter) {
      case 'S':
      case 's':
        sizes.push_back(Size::kS);
        break;
      case 'M':
      case 'm':
        sizes.push_back(Size::kM);
        break;
      case 'L':
      case 'l':
        sizes.push_back(Size::kL);
        break;
      case ',':
      case ' ':
        break;
      default:
        std::fprintf(stderr, "hubreg_bench: unknown size '%c' ignored\n", letter);
    }
  }
  return sizes;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 2 && std::string_view(argv[1]).starts_with(hubreg::bench::kOpenStoreFlag)) {
    return hubreg::bench::RunOpenStoreChild(argv[1] + hubreg::bench::kOpenStoreFlag.size());
  }
  if (argc == 2 && std::string_view(argv[1]).starts_with(hubreg::bench::kOneShotFlag)) {
    return hubreg::bench::RunOneShotChild(argv[1] + hubreg::bench::kOneShotFlag.size());
  }
  if (argc == 2 && std::string_view(argv[1]).starts_with(hubreg::bench::kWakeChildFlag)) {
    return hubreg::bench::RunWakeChild(argv[1] + hubreg::bench::kWakeChildFlag.size());
  }
  std::string sizes_text = "S,M,L";
  if (const char* env = std::getenv("HUBREG_BENCH_SIZES")) sizes_text = env;
  std::vector<char*> remaining;
  constexpr std::string_view kSizesFlag = "--sizes=";
  for (int i = 0; i < argc; ++i) {
    if (std::string_view(argv[i]).starts_with(kSizesFlag)) {
      sizes_text = argv[i] + kSizesFlag.size();
    } else {
      remaining.push_back(argv[i]);
    }
  }
  const std::vector<Size> sizes = ParseSizes(sizes_text);
  benchmark::AddCustomContext("hubreg_sizes", sizes_text);

  hubreg::bench::RegisterLookupBenchmarks(sizes);
  hubreg::bench::RegisterMemoryBenchmarks(sizes);
  hubreg::bench::RegisterSnapshotFileBenchmarks(sizes);
  hubreg::bench::RegisterStoreBenchmarks(sizes);
  hubreg::bench::RegisterSyncBenchmarks(sizes);
  hubreg::bench::RegisterAccessChangeBenchmarks(sizes);
  hubreg::bench::RegisterLinkWriteBenchmarks(sizes);
  hubreg::bench::RegisterFollowBenchmarks(sizes);
  hubreg::bench::RegisterCompactionBenchmarks(sizes);
  hubreg::bench::RegisterWakeBenchmarks();
  hubreg::bench::RegisterFeedBenchmarks();
  hubreg::bench::RegisterCodecBenchmarks();
  hubreg::bench::RegisterOneShotBenchmarks(sizes);

  int remaining_count = static_cast<int>(remaining.size());
  benchmark::Initialize(&remaining_count, remaining.data());
  if (benchmark::ReportUnrecognizedArguments(remaining_count, remaining.data())) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
