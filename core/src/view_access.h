// Internal: the tables behind a View, for core code that works on them
// directly (the integrity checker, access-changed events). View names this
// struct its friend; nothing outside core/ can reach it.
#pragma once

#include "hubreg/detail/tables.h"
#include "hubreg/view.h"

namespace hubreg::detail {

struct ViewAccess {
  static const Tables& Of(const View& view) { return *view.tables_; }
};

}  // namespace hubreg::detail
