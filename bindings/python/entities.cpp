// Rows as Python objects: immutable, attributes named after the columns,
// built with keyword arguments, copied with replace(**changes).
#include <pybind11/stl.h>

#include <limits>

#include "hubreg/columns.h"
#include "py_internal.h"

namespace hubreg::python {
namespace {

// datetime objects used for every conversion. Deliberately leaked: they must
// outlive static destructors that run after the interpreter is gone.
struct DatetimeApi {
  py::object epoch;      // 1970-01-01T00:00:00+00:00
  py::object timedelta;  // datetime.timedelta
  py::object one_micro;  // timedelta(microseconds=1)
  py::object datetime;   // datetime.datetime
};

const DatetimeApi& Datetime() {
  static const DatetimeApi* api = [] {
    py::module_ datetime = py::module_::import("datetime");
    auto* made = new DatetimeApi;
    made->timedelta = datetime.attr("timedelta");
    made->datetime = datetime.attr("datetime");
    made->epoch =
        made->datetime(1970, 1, 1, py::arg("tzinfo") = datetime.attr("timezone").attr("utc"));
    made->one_micro = made->timedelta(py::arg("microseconds") = 1);
    return made;
  }();
  return *api;
}

// The Python type's name, for messages: "str", "int".
std::string TypeName(py::handle value) { return Py_TYPE(value.ptr())->tp_name; }

// A TypeError naming the column and the type it was given, never the value.
[[noreturn]] void WrongType(std::string_view type, std::string_view column, const char* expected,
                            py::handle value) {
  throw py::type_error(std::string(type) + ": " + std::string(column) + " must be " + expected +
                       ", not " + TypeName(value));
}

// Python value -> column value. Each checks the Python type itself, so a
// wrong type is a TypeError that names the column and never a value.
struct FromPython {
  std::string_view type;  // the Python class, for messages
  std::string_view table;
  std::string_view column;

  std::string Text(py::handle value) const {
    if (!py::isinstance<py::str>(value)) WrongType(type, column, "a str", value);
    return value.cast<std::string>();
  }
  void operator()(py::handle value, Id& out) const {
    if (!py::isinstance<py::int_>(value) || py::isinstance<py::bool_>(value)) {
      WrongType(type, column, "an int", value);
    }
    if (value.cast<py::int_>() < py::int_(0)) {
      RaiseInvalidArgument(std::string(table) + ": " + std::string(column) +
                           " must not be negative");
    }
    out = value.cast<Id>();
  }
  void operator()(py::handle value, std::string& out) const { out = Text(value); }
  void operator()(py::handle value, Secret& out) const {
    if (!py::isinstance<py::str>(value)) WrongType(type, column, "a str", value);
    out = value.cast<std::string>();
  }
  void operator()(py::handle value, std::uint16_t& out) const {
    if (!py::isinstance<py::int_>(value) || py::isinstance<py::bool_>(value)) {
      WrongType(type, column, "an int", value);
    }
    const py::int_ number = value.cast<py::int_>();
    if (number < py::int_(0) || number > py::int_(std::numeric_limits<std::uint16_t>::max())) {
      RaiseInvalidArgument(std::string(table) + ": " + std::string(column) + " " +
                           py::repr(number).cast<std::string>() + " is not in 0..65535");
    }
    out = number.cast<std::uint16_t>();
  }
  void operator()(py::handle value, Environment& out) const {
    const std::string text = Text(value);
    const std::optional<Environment> parsed = ParseEnvironment(text);
    if (!parsed) {
      RaiseInvalidArgument(std::string(table) + ": " + std::string(column) + " " +
                           QuoteForMessage(text, 60) + " is not \"stage\" or \"prod\"");
    }
    out = *parsed;
  }
  void operator()(py::handle value, RecordStatus& out) const {
    const std::string text = Text(value);
    const std::optional<RecordStatus> parsed = ParseRecordStatus(text);
    if (!parsed) {
      RaiseInvalidArgument(std::string(table) + ": " + std::string(column) + " " +
                           QuoteForMessage(text, 60) + " is not \"active\" or \"disabled\"");
    }
    out = *parsed;
  }
  void operator()(py::handle value, Timestamp& out) const {
    out = ToTimestamp(value, std::string(column).c_str());
  }
};

// Column value -> Python value.
py::object ToPython(Id value) { return py::int_(value); }
py::object ToPython(std::uint16_t value) { return py::int_(value); }
py::object ToPython(const std::string& value) { return py::str(value); }
py::object ToPython(const Secret& value) { return py::str(value.Reveal()); }
py::object ToPython(Environment value) { return py::str(std::string(ToString(value))); }
py::object ToPython(RecordStatus value) { return py::str(std::string(ToString(value))); }
py::object ToPython(Timestamp value) { return ToDatetime(value); }

// Sets the columns named in `columns` on `row`. An unknown keyword is a
// TypeError naming it (cut short and escaped), as Python's own would.
template <typename Row>
void SetColumns(std::string_view type, Row& row, const py::dict& columns) {
  for (auto item : columns) {
    const std::string key = py::str(item.first).cast<std::string>();
    bool found = false;
    ForEachColumn<Row>([&](const auto& column) {
      if (found || column.name != key) return;
      found = true;
      FromPython{type, kTableOf<Row>, column.name}(item.second, row.*column.member);
    });
    if (!found) {
      throw py::type_error(std::string(type) + "() got an unexpected keyword argument " +
                           QuoteForMessage(key, 40));
    }
  }
}

// Registers a row type whose columns are those of hubreg/columns.h: built
// with keyword arguments (defaults: 0, "", the first enum value, None), one
// read-only attribute per column, _asdict(), replace(**changes), == and a
// repr that shows every column but timestamps and secrets.
template <typename Row>
void RegisterRow(py::module_& m, const char* name, const char* doc) {
  const std::string type = name;
  py::class_<Row> cls(m, name, doc);
  cls.def(py::init([type](py::args args, py::kwargs columns) {
            if (!args.empty()) {
              throw py::type_error(type + "() takes keyword arguments only (one per column)");
            }
            Row row;
            SetColumns(type, row, columns);
            return row;
          }),
          "Keyword arguments, one per column; a column left out is 0, \"\", the first "
          "value of its enum, or None (\"now\" for a timestamp).");
  ForEachColumn<Row>([&](const auto& column) {
    const auto member = column.member;
    cls.def_property_readonly(std::string(column.name).c_str(),
                              [member](const Row& row) { return ToPython(row.*member); });
  });
  cls.def("_asdict", [](const Row& row) {
    py::dict d;
    ForEachColumn<Row>([&](const auto& column) {
      d[py::str(std::string(column.name))] = ToPython(row.*column.member);
    });
    return d;
  });
  cls.def(
      "replace",
      [type](const Row& row, py::kwargs changes) {
        Row copy = row;
        SetColumns(type, copy, changes);
        return copy;
      },
      "A copy of this row with the given columns changed.");
  cls.def("__eq__", [](const Row& a, const Row& b) { return a == b; });
  cls.def("__repr__", [type](const Row& row) {
    std::string text = type + "(";
    bool first = true;
    ForEachColumn<Row>([&](const auto& column) {
      if (column.info().secret() || column.kind == ColumnKind::kTimestamp) return;
      text += (first ? "" : ", ") + std::string(column.name) + "=" +
              py::repr(ToPython(row.*column.member)).template cast<std::string>();
      first = false;
    });
    return text + ")";
  });
}

}  // namespace

py::object ToDatetime(Timestamp t) {
  const DatetimeApi& api = Datetime();
  return api.epoch + api.timedelta(py::arg("microseconds") = t.time_since_epoch().count());
}

Timestamp ToTimestamp(py::handle value, const char* column) {
  if (value.is_none()) return Timestamp{};
  if (py::isinstance<py::int_>(value)) {
    return Timestamp(std::chrono::microseconds(value.cast<std::int64_t>()));
  }
  const DatetimeApi& api = Datetime();
  if (!py::isinstance(value, api.datetime)) {
    RaiseInvalidArgument(std::string(column) +
                         " must be a datetime, microseconds since the epoch, or None");
  }
  if (value.attr("tzinfo").is_none()) {
    RaiseInvalidArgument(std::string(column) +
                         " is a naive datetime; give one with a timezone (e.g. UTC)");
  }
  py::object micros = (value - api.epoch).attr("__floordiv__")(api.one_micro);
  return Timestamp(std::chrono::microseconds(micros.cast<std::int64_t>()));
}

void RegisterEntities(py::module_& m) {
  RegisterRow<App>(m, "App", "A row of threecolts_app.");
  RegisterRow<Organization>(m, "Organization", "A row of threecolts_organization.");
  RegisterRow<Client>(m, "Client",
                      "A row of client (an account) with its database connection. "
                      "db_password is an attribute but never part of repr() or of a message.");
  RegisterRow<User>(m, "User", "A row of user.");
  RegisterRow<ClientUserLink>(m, "Link", "A row of client_user.");
}

}  // namespace hubreg::python
