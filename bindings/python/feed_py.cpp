// The change feed for Python (docs/bindings.md): Registry.changes() is an
// iterator of ChangeBatch objects. It waits without the GIL, in short slices
// so that Ctrl-C (KeyboardInterrupt) is noticed while it waits.
#include <pybind11/stl.h>

#include <algorithm>
#include <chrono>
#include <optional>
#include <vector>

#include "handle.h"
#include "hubreg/columns.h"
#include "py_internal.h"

namespace hubreg::python {
namespace {

using bindings::Handle;
using Clock = std::chrono::steady_clock;

// How long one wait lasts before signals are checked again.
constexpr std::chrono::milliseconds kWaitSlice{50};

struct PyChange {
  std::string table;
  std::string op;
  py::object before;  // a row object (hubreg.Client, ...) or None
  py::object after;
};

struct PyChangeBatch {
  std::uint64_t sequence = 0;
  Timestamp committed_at{};
  std::vector<PyChange> changes;
  std::vector<AccessChange> access;
  std::vector<Id> connection_changed;
};

template <typename Row>
py::object RowObject(const std::optional<Row>& row) {
  return row ? py::cast(*row) : py::none();
}

PyChangeBatch ToPython(ChangeBatch&& batch) {
  PyChangeBatch out;
  out.sequence = batch.sequence;
  out.committed_at = batch.committed_at;
  for (const Change& change : batch.changes) {
    std::visit(
        [&]<typename Row>(const RowChange<Row>& row_change) {
          const char* op = !row_change.before ? "insert" : !row_change.after ? "delete" : "update";
          out.changes.push_back({std::string(kTableOf<Row>), op, RowObject(row_change.before),
                                 RowObject(row_change.after)});
        },
        change);
  }
  out.access = std::move(batch.access);
  out.connection_changed = std::move(batch.connection_changed);
  return out;
}

class PyChanges {
 public:
  PyChanges(std::shared_ptr<Handle> handle, std::uint64_t after,
            std::optional<std::chrono::milliseconds> timeout)
      : handle_(std::move(handle)), position_(after), timeout_(timeout) {}

  std::uint64_t position() const { return position_; }

  PyChangeBatch Next() {
    const Clock::time_point start = Clock::now();
    for (;;) {
      std::chrono::milliseconds slice = kWaitSlice;
      if (timeout_) {
        const auto left =
            *timeout_ - std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
        slice = std::clamp(left, std::chrono::milliseconds(0), kWaitSlice);
      }
      std::optional<StatusOr<std::optional<ChangeBatch>>> next;
      {
        py::gil_scoped_release release;
        next.emplace(handle_->Changes(position_, slice));
      }
      if (PyErr_CheckSignals() != 0) throw py::error_already_set();
      if (!next->ok()) RaiseFeedError(next->status());
      if (next->value().has_value()) {
        position_ = next->value()->sequence;
        return ToPython(std::move(*next->value()));
      }
      if (timeout_ && Clock::now() - start >= *timeout_) throw py::stop_iteration();
    }
  }

 private:
  void RaiseFeedError(const Status& status) const {
    if (status.code() != ErrorCode::kResyncRequired) Raise(status);
    const std::uint64_t restart = handle_->RestartSequence();
    try {
      Raise(status);
    } catch (py::error_already_set& error) {
      error.value().attr("restart_sequence") = restart;
      throw;
    }
  }

  std::shared_ptr<Handle> handle_;
  std::uint64_t position_;
  std::optional<std::chrono::milliseconds> timeout_;
};

}  // namespace

py::object MakeChanges(std::shared_ptr<Handle> handle, std::optional<std::uint64_t> since,
                       std::optional<double> timeout) {
  std::optional<std::chrono::milliseconds> wait;
  if (timeout) {
    if (!(*timeout >= 0)) RaiseInvalidArgument("changes: timeout must be >= 0 seconds or None");
    wait = std::chrono::milliseconds(static_cast<std::int64_t>(*timeout * 1000));
  }
  const std::uint64_t after = since ? *since : handle->LastSequence();
  return py::cast(PyChanges(std::move(handle), after, wait));
}

void RegisterFeed(py::module_& m) {
  py::class_<PyChange>(m, "Change", "One row a batch changed.")
      .def_readonly("table", &PyChange::table, "The table's name, e.g. 'client'.")
      .def_readonly("op", &PyChange::op, "'insert', 'update' or 'delete'.")
      .def_readonly("before", &PyChange::before, "The row before (None for an insert).")
      .def_readonly("after", &PyChange::after, "The row after (None for a delete).")
      .def("__iter__",
           [](const PyChange& c) {
             return py::iter(py::make_tuple(c.table, c.op, c.before, c.after));
           })
      .def("__repr__",
           [](const PyChange& c) { return "Change(table='" + c.table + "', op='" + c.op + "')"; });

  py::class_<AccessChange>(m, "AccessChange",
                           "A (user, account) pair whose access answer changed in a batch.")
      .def_readonly("user_id", &AccessChange::user_id)
      .def_readonly("client_id", &AccessChange::client_id)
      .def_property_readonly("before",
                             [](const AccessChange& a) { return std::string(ToString(a.before)); })
      .def_property_readonly("after",
                             [](const AccessChange& a) { return std::string(ToString(a.after)); })
      .def_readonly("organization_before", &AccessChange::organization_before)
      .def_readonly("organization_after", &AccessChange::organization_after)
      .def("__repr__", [](const AccessChange& a) {
        return "AccessChange(user_id=" + std::to_string(a.user_id) +
               ", client_id=" + std::to_string(a.client_id) + ", before='" +
               std::string(ToString(a.before)) + "', after='" + std::string(ToString(a.after)) +
               "')";
      });

  py::class_<PyChangeBatch>(m, "ChangeBatch", "One committed batch of the change feed.")
      .def_readonly("sequence", &PyChangeBatch::sequence)
      .def_property_readonly("committed_at",
                             [](const PyChangeBatch& b) { return ToDatetime(b.committed_at); })
      .def_readonly("changes", &PyChangeBatch::changes,
                    "Change objects, in the order they happened.")
      .def_readonly("access", &PyChangeBatch::access, "AccessChange objects.")
      .def_readonly("connection_changed", &PyChangeBatch::connection_changed,
                    "Ids of the accounts whose connection details changed or that were deleted.")
      .def("__repr__", [](const PyChangeBatch& b) {
        return "ChangeBatch(sequence=" + std::to_string(b.sequence) +
               ", changes=" + std::to_string(b.changes.size()) + ")";
      });

  py::class_<PyChanges>(m, "Changes",
                        "Iterator over the change feed, from Registry.changes(since, timeout).")
      .def_property_readonly("position", &PyChanges::position,
                             "The sequence of the last batch returned (the cursor).")
      .def("__iter__", [](py::object self) { return self; })
      .def("__next__", &PyChanges::Next);
}

}  // namespace hubreg::python
