// Internal to the benchmark program: the sizes chosen for this run and the
// functions that register each group of benchmarks for them. Benchmarks are
// registered at run time because the sizes are chosen at run time
// (--sizes=S,M,L or HUBREG_BENCH_SIZES), so that CI can run size S alone.
//
// Names are slash-separated and parsed by bench/report.py:
//   lookup/<operation>/<engine>/<mode>/<size>
//   startup/<method>/<size>, write/<kind>, memory/<size>,
//   under_writes/<readers>/<size>, link_write/<kind>/<size>, sync/<kind>/<size>,
//   follow/<kind>/<size>, compaction/stall/<size>, wake/<what>, feed/commit_rate/<subscribers>,
//   feed/commit_rate_stuck, oneshot/<method>/<size>
#pragma once

#include <string_view>
#include <vector>

#include "hubreg/generator.h"

namespace hubreg::bench {

enum class Size { kS, kM, kL };

std::string_view SizeName(Size size);
gen::GeneratorOptions OptionsFor(Size size);

void RegisterLookupBenchmarks(const std::vector<Size>& sizes);
void RegisterMemoryBenchmarks(const std::vector<Size>& sizes);
void RegisterSnapshotFileBenchmarks(const std::vector<Size>& sizes);
void RegisterStoreBenchmarks(const std::vector<Size>& sizes);
void RegisterSyncBenchmarks(const std::vector<Size>& sizes);
void RegisterAccessChangeBenchmarks(const std::vector<Size>& sizes);
void RegisterLinkWriteBenchmarks(const std::vector<Size>& sizes);
void RegisterFollowBenchmarks(const std::vector<Size>& sizes);
// What a compaction holds up a committing thread for (compaction_bench.cpp).
void RegisterCompactionBenchmarks(const std::vector<Size>& sizes);

// `hubreg_bench --hubreg_open_store=DIR`: the child process of the
// startup/snapshot_new_process benchmark. Opens DIR, prints the seconds
// Store::Open took and exits; 1 with the error on stderr if it failed.
inline constexpr std::string_view kOpenStoreFlag = "--hubreg_open_store=";
int RunOpenStoreChild(const char* path);

// Waiting for commits across processes (wake_bench.cpp): `hubreg_bench
// --hubreg_wake_child=MODE:DIR` is the waiting read-only process.
void RegisterWakeBenchmarks();
inline constexpr std::string_view kWakeChildFlag = "--hubreg_wake_child=";
int RunWakeChild(const char* mode_and_path);

// One-shot reads (oneshot_bench.cpp): `hubreg_bench --hubreg_oneshot=MODE:DIR`
// is the child that opens DIR (MODE store: Store::Open; rows: the stored
// rows) and answers one query, printing the seconds it took.
void RegisterOneShotBenchmarks(const std::vector<Size>& sizes);
inline constexpr std::string_view kOneShotFlag = "--hubreg_oneshot=";
int RunOneShotChild(const char* mode_and_path);

// The writer's commit rate with change-feed subscribers (feed_bench.cpp).
void RegisterFeedBenchmarks();

// Encoding journal records and batches, hubreg's encoder beside cereal's
// archive (codec_bench.cpp).
void RegisterCodecBenchmarks();

}  // namespace hubreg::bench
