// The headers most benchmark files include, compiled once into the suite's
// precompiled header (bench/CMakeLists.txt; tests/precompiled.h says why).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "hubreg/registry.h"
#include "hubreg/store.h"
