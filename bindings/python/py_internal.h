// Internal to the Python module: the pieces each source file registers, and
// the conversions they share.
#pragma once

#include <pybind11/pybind11.h>

#include <cstdint>
#include <memory>
#include <optional>

#include "hubreg/model.h"
#include "hubreg/status.h"

namespace hubreg::bindings {
class Handle;
}  // namespace hubreg::bindings

namespace hubreg::python {

namespace py = pybind11;

// errors.cpp: hubreg.Error and one subclass per ErrorCode.
void RegisterErrors(py::module_& m);
// Raises the Python exception for `status`. REQUIRES: !status.ok().
[[noreturn]] void Raise(const Status& status);
inline void RaiseIfError(const Status& status) {
  if (!status.ok()) Raise(status);
}
// Raises hubreg.InvalidArgumentError(message).
[[noreturn]] void RaiseInvalidArgument(const std::string& message);

// entities.cpp: App, Organization, Client, User, Link.
void RegisterEntities(py::module_& m);
// Timestamps are timezone-aware datetimes in UTC on the Python side.
py::object ToDatetime(Timestamp t);
// None -> the epoch ("now" in an insert), int -> microseconds, aware datetime.
Timestamp ToTimestamp(py::handle value, const char* column);

// registry_py.cpp: Registry, View, Batch, Decision, Counts, Commit, open().
void RegisterRegistry(py::module_& m);

// feed_py.cpp: ChangeBatch, Change, AccessChange and the Changes iterator.
void RegisterFeed(py::module_& m);
// Registry.changes(since, timeout): the batches after `since` (default: the
// latest sequence), ending when none comes within `timeout` seconds (None:
// never).
py::object MakeChanges(std::shared_ptr<bindings::Handle> handle, std::optional<std::uint64_t> since,
                       std::optional<double> timeout);

}  // namespace hubreg::python
