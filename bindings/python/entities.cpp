// Rows as Python objects: immutable, attributes named after the columns,
// built with keyword arguments, copied with replace(**changes).
#include <pybind11/stl.h>

#include <limits>
#include <sstream>

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

RecordStatus ToRecordStatus(const std::string& text, const char* table) {
  std::optional<RecordStatus> status = ParseRecordStatus(text);
  if (!status) {
    RaiseInvalidArgument(std::string(table) + ": status \"" + text +
                         "\" is not \"active\" or \"disabled\"");
  }
  return *status;
}

Environment ToEnvironment(const std::string& text) {
  std::optional<Environment> environment = ParseEnvironment(text);
  if (!environment) {
    RaiseInvalidArgument("threecolts_app: environment \"" + text +
                         "\" is not \"stage\" or \"prod\"");
  }
  return *environment;
}

std::uint16_t ToPort(long long port) {
  if (port < 0 || port > std::numeric_limits<std::uint16_t>::max()) {
    RaiseInvalidArgument("client: db_port " + std::to_string(port) + " is not in 0..65535");
  }
  return static_cast<std::uint16_t>(port);
}

std::string Repr(const py::handle& value) { return py::repr(value).cast<std::string>(); }

// Adds `<name>=<repr>` pairs; db_password is never among them.
class ReprBuilder {
 public:
  explicit ReprBuilder(const char* type) { text_ << type << '('; }
  template <typename T>
  ReprBuilder& Add(const char* name, const T& value) {
    text_ << (first_ ? "" : ", ") << name << '=' << Repr(py::cast(value));
    first_ = false;
    return *this;
  }
  std::string Done() { return text_.str() + ')'; }

 private:
  std::ostringstream text_;
  bool first_ = true;
};

// Shared by every entity: replace(**changes) builds a new row from this
// one's columns with some of them changed, like dataclasses.replace.
template <typename Class>
void AddReplace(Class& cls) {
  cls.def(
      "replace",
      [](py::object self, py::kwargs changes) {
        py::dict columns = self.attr("_asdict")();
        for (auto item : changes) columns[item.first] = item.second;
        return self.get_type()(**columns);
      },
      "A copy of this row with the given columns changed.");
}

#define HUBREG_TIMESTAMP_PROPERTIES(Row)                      \
  def_property_readonly("created_at", [](const Row& row) {    \
    return ToDatetime(row.created_at);                        \
  }).def_property_readonly("updated_at", [](const Row& row) { \
    return ToDatetime(row.updated_at);                        \
  })

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
  using py::arg;

  py::class_<App> app(m, "App", "A row of threecolts_app.");
  app.def(py::init([](Id id, std::string name, std::string app_key, const std::string& environment,
                      py::object created_at, py::object updated_at) {
            return App{id,
                       std::move(name),
                       std::move(app_key),
                       ToEnvironment(environment),
                       ToTimestamp(created_at, "created_at"),
                       ToTimestamp(updated_at, "updated_at")};
          }),
          py::kw_only(), arg("id") = 0, arg("name") = "", arg("app_key") = "",
          arg("environment") = "stage", arg("created_at") = py::none(),
          arg("updated_at") = py::none())
      .def_readonly("id", &App::id)
      .def_readonly("name", &App::name)
      .def_readonly("app_key", &App::app_key)
      .def_property_readonly("environment",
                             [](const App& row) { return std::string(ToString(row.environment)); })
      .HUBREG_TIMESTAMP_PROPERTIES(App)
      .def("_asdict",
           [](py::object self) {
             py::dict d;
             for (const char* c :
                  {"id", "name", "app_key", "environment", "created_at", "updated_at"})
               d[c] = self.attr(c);
             return d;
           })
      .def("__eq__", [](const App& a, const App& b) { return a == b; })
      .def("__repr__", [](const App& row) {
        return ReprBuilder("App")
            .Add("id", row.id)
            .Add("app_key", row.app_key)
            .Add("name", row.name)
            .Add("environment", std::string(ToString(row.environment)))
            .Done();
      });
  AddReplace(app);

  py::class_<Organization> organization(m, "Organization", "A row of threecolts_organization.");
  organization
      .def(py::init([](Id id, Id threecolts_app_id, Id organization_owner_id,
                       std::string external_id, std::string name, py::object created_at,
                       py::object updated_at) {
             return Organization{id,
                                 threecolts_app_id,
                                 organization_owner_id,
                                 std::move(external_id),
                                 std::move(name),
                                 ToTimestamp(created_at, "created_at"),
                                 ToTimestamp(updated_at, "updated_at")};
           }),
           py::kw_only(), arg("id") = 0, arg("threecolts_app_id") = 0,
           arg("organization_owner_id") = 0, arg("external_id") = "", arg("name") = "",
           arg("created_at") = py::none(), arg("updated_at") = py::none())
      .def_readonly("id", &Organization::id)
      .def_readonly("threecolts_app_id", &Organization::threecolts_app_id)
      .def_readonly("organization_owner_id", &Organization::organization_owner_id)
      .def_readonly("external_id", &Organization::external_id)
      .def_readonly("name", &Organization::name)
      .HUBREG_TIMESTAMP_PROPERTIES(Organization)
      .def("_asdict",
           [](py::object self) {
             py::dict d;
             for (const char* c : {"id", "threecolts_app_id", "organization_owner_id",
                                   "external_id", "name", "created_at", "updated_at"})
               d[c] = self.attr(c);
             return d;
           })
      .def("__eq__", [](const Organization& a, const Organization& b) { return a == b; })
      .def("__repr__", [](const Organization& row) {
        return ReprBuilder("Organization")
            .Add("id", row.id)
            .Add("threecolts_app_id", row.threecolts_app_id)
            .Add("organization_owner_id", row.organization_owner_id)
            .Add("external_id", row.external_id)
            .Add("name", row.name)
            .Done();
      });
  AddReplace(organization);

  py::class_<Client> client(m, "Client",
                            "A row of client (an account) with its database connection. "
                            "db_password is an attribute but never part of repr().");
  client
      .def(py::init([](Id id, Id threecolts_organization_id, std::string external_id,
                       std::string name, std::string db_host, long long db_port,
                       std::string db_name, std::string db_user, std::string db_password,
                       const std::string& status, py::object created_at, py::object updated_at) {
             return Client{id,
                           threecolts_organization_id,
                           std::move(external_id),
                           std::move(name),
                           std::move(db_host),
                           ToPort(db_port),
                           std::move(db_name),
                           std::move(db_user),
                           std::move(db_password),
                           ToRecordStatus(status, "client"),
                           ToTimestamp(created_at, "created_at"),
                           ToTimestamp(updated_at, "updated_at")};
           }),
           py::kw_only(), arg("id") = 0, arg("threecolts_organization_id") = 0,
           arg("external_id") = "", arg("name") = "", arg("db_host") = "", arg("db_port") = 0,
           arg("db_name") = "", arg("db_user") = "", arg("db_password") = "",
           arg("status") = "active", arg("created_at") = py::none(), arg("updated_at") = py::none())
      .def_readonly("id", &Client::id)
      .def_readonly("threecolts_organization_id", &Client::threecolts_organization_id)
      .def_readonly("external_id", &Client::external_id)
      .def_readonly("name", &Client::name)
      .def_readonly("db_host", &Client::db_host)
      .def_readonly("db_port", &Client::db_port)
      .def_readonly("db_name", &Client::db_name)
      .def_readonly("db_user", &Client::db_user)
      .def_readonly("db_password", &Client::db_password)
      .def_property_readonly("status",
                             [](const Client& row) { return std::string(ToString(row.status)); })
      .HUBREG_TIMESTAMP_PROPERTIES(Client)
      .def("_asdict",
           [](py::object self) {
             py::dict d;
             for (const char* c :
                  {"id", "threecolts_organization_id", "external_id", "name", "db_host", "db_port",
                   "db_name", "db_user", "db_password", "status", "created_at", "updated_at"})
               d[c] = self.attr(c);
             return d;
           })
      .def("__eq__", [](const Client& a, const Client& b) { return a == b; })
      .def("__repr__", [](const Client& row) {
        return ReprBuilder("Client")
            .Add("id", row.id)
            .Add("threecolts_organization_id", row.threecolts_organization_id)
            .Add("external_id", row.external_id)
            .Add("name", row.name)
            .Add("db_host", row.db_host)
            .Add("db_port", row.db_port)
            .Add("db_name", row.db_name)
            .Add("db_user", row.db_user)
            .Add("status", std::string(ToString(row.status)))
            .Done();
      });
  AddReplace(client);

  py::class_<User> user(m, "User", "A row of user.");
  user.def(py::init([](Id id, std::string external_id, std::string email, std::string name,
                       const std::string& status, py::object created_at, py::object updated_at) {
             return User{id,
                         std::move(external_id),
                         std::move(email),
                         std::move(name),
                         ToRecordStatus(status, "user"),
                         ToTimestamp(created_at, "created_at"),
                         ToTimestamp(updated_at, "updated_at")};
           }),
           py::kw_only(), arg("id") = 0, arg("external_id") = "", arg("email") = "",
           arg("name") = "", arg("status") = "active", arg("created_at") = py::none(),
           arg("updated_at") = py::none())
      .def_readonly("id", &User::id)
      .def_readonly("external_id", &User::external_id)
      .def_readonly("email", &User::email)
      .def_readonly("name", &User::name)
      .def_property_readonly("status",
                             [](const User& row) { return std::string(ToString(row.status)); })
      .HUBREG_TIMESTAMP_PROPERTIES(User)
      .def("_asdict",
           [](py::object self) {
             py::dict d;
             for (const char* c :
                  {"id", "external_id", "email", "name", "status", "created_at", "updated_at"})
               d[c] = self.attr(c);
             return d;
           })
      .def("__eq__", [](const User& a, const User& b) { return a == b; })
      .def("__repr__", [](const User& row) {
        return ReprBuilder("User")
            .Add("id", row.id)
            .Add("external_id", row.external_id)
            .Add("email", row.email)
            .Add("name", row.name)
            .Add("status", std::string(ToString(row.status)))
            .Done();
      });
  AddReplace(user);

  py::class_<ClientUserLink> link(m, "Link", "A row of client_user.");
  link.def(py::init([](Id client_id, Id user_id, py::object created_at) {
             return ClientUserLink{client_id, user_id, ToTimestamp(created_at, "created_at")};
           }),
           py::kw_only(), arg("client_id") = 0, arg("user_id") = 0, arg("created_at") = py::none())
      .def_readonly("client_id", &ClientUserLink::client_id)
      .def_readonly("user_id", &ClientUserLink::user_id)
      .def_property_readonly("created_at",
                             [](const ClientUserLink& row) { return ToDatetime(row.created_at); })
      .def("__eq__", [](const ClientUserLink& a, const ClientUserLink& b) { return a == b; })
      .def("__repr__", [](const ClientUserLink& row) {
        return ReprBuilder("Link")
            .Add("client_id", row.client_id)
            .Add("user_id", row.user_id)
            .Done();
      });
}

}  // namespace hubreg::python
