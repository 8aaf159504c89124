// The registry's integrity rules, written once (core/src/row_checks.cpp):
// required fields, ids, unique keys and foreign keys. A batch checks each
// mutation with them as it applies it (Registry::Apply, first violation);
// CheckNewRows checks a whole set of new rows at once and reports every
// violation with its position, for an import or a bulk load.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "hubreg/registry.h"
#include "hubreg/status.h"
#include "hubreg/view.h"

namespace hubreg {

// One broken rule of one row of a set.
struct Violation {
  std::string_view table;  // the table's name, e.g. kUserTable
  std::size_t row = 0;     // index of the row in its table's vector of the set
  std::string column;      // the column at fault, e.g. "email"
  ErrorCode code = ErrorCode::kInvalidArgument;
  // Why, as it follows the column: `must not be empty`, `7 does not exist in
  // user`, `"ann@x.com" is already used by id 4`. Never holds a password.
  std::string reason;

  // "<table>: <column> <reason>", e.g. `user: email "a@b" is already used by
  // id 4`: the message Registry::Apply gives for the same row.
  Status ToStatus() const;
  bool operator==(const Violation&) const = default;
};

struct CheckOptions {
  // Names row `row` of `table` of the set when another row of the set clashes
  // with it, e.g. "user.csv:3" (a clash then reads `... is already used at
  // user.csv:3`). When empty, a clash names the earlier row's id, as a clash
  // with the state does.
  std::function<std::string(std::string_view table, std::size_t row)> name_row;
  // Whether the text values of client rows are quoted in reasons. An import
  // turns this off: a file whose columns are not where its header says may
  // hold a password in any of them, and the position says which value.
  bool show_client_values = true;
};

// Every violation of inserting all of `rows` into `state` (the next ids of
// `rows` are ignored): each row is checked on its own, against the state and
// against the rows before it in its table, and its foreign keys against the
// state and the whole set. Tables are checked parents first (apps, users,
// organizations, clients, links), rows in order, a row's columns in the
// order of its rules (id, fields, foreign keys, unique keys). Empty when the
// rows may be inserted. Thread-safe as the View is; reads `rows` only.
std::vector<Violation> CheckNewRows(const View& state, const RegistryRows& rows,
                                    const CheckOptions& options = {});

}  // namespace hubreg
