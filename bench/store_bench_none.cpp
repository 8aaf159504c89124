// Built instead of the store benchmarks when hubreg::persist is not part of
// the build: nothing to register.
#include "suite.h"

namespace hubreg::bench {

void RegisterStoreBenchmarks(const std::vector<Size>&) {}

}  // namespace hubreg::bench
