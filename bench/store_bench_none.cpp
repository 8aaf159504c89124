// Built instead of the store benchmarks when the durable store is not part of
// the build (or HUBREG_BENCH_STORE is OFF): nothing to register. The snapshot
// file benchmarks have their own stand-in for builds without hubreg::persist.
#include "suite.h"

namespace hubreg::bench {

void RegisterStoreBenchmarks(const std::vector<Size>&) {}
int RunOpenStoreChild(const char*) { return 1; }
#ifndef HUBREG_BENCH_WITH_PERSIST
void RegisterSnapshotFileBenchmarks(const std::vector<Size>&) {}
#endif

}  // namespace hubreg::bench
