// Registers the benchmarks that go through the durable store.
#include "suite.h"

namespace hubreg::bench {

void RegisterStartupBenchmarks(const std::vector<Size>& sizes);
void RegisterWriteBenchmarks();
void RegisterContentionBenchmarks(const std::vector<Size>& sizes);

void RegisterStoreBenchmarks(const std::vector<Size>& sizes) {
  RegisterStartupBenchmarks(sizes);
  RegisterWriteBenchmarks();
  RegisterContentionBenchmarks(sizes);
}

}  // namespace hubreg::bench
