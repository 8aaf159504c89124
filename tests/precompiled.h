// The headers most tests include, compiled once per build into a precompiled
// header every test program reuses (tests/CMakeLists.txt). The core's headers
// instantiate Boost.MultiIndex and doctest is large: parsed in every file they
// took about a third of a test's compile time, and the builds are most of what
// CI spends. Only headers every test can reach belong here (doctest, the
// standard library, hubreg::core).
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "hubreg/registry.h"
