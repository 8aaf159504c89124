// Registry, View and Batch for Python. Rows are copied out of the registry,
// so Python objects never point into registry memory. The GIL is released
// around everything that can take long or wait: list lookups, writes (a
// write may wait for a view held by another Python thread, which needs the
// GIL to end it), opening, refreshing and snapshots.
#include <pybind11/stl.h>

#include <optional>
#include <thread>
#include <type_traits>
#include <variant>
#include <vector>

#include "handle.h"
#include "hubreg/metrics.h"
#include "py_internal.h"

namespace hubreg::python {
namespace {

using bindings::Handle;

class PyRegistry {
 public:
  explicit PyRegistry(std::shared_ptr<Handle> handle) : handle_(std::move(handle)) {}
  const std::shared_ptr<Handle>& Get() const {
    if (!handle_) RaiseInvalidArgument("the registry is closed");
    return handle_;
  }
  // Views taken from the registry keep what they need alive.
  void Close() { handle_.reset(); }

 private:
  std::shared_ptr<Handle> handle_;
};

class PyView {
 public:
  explicit PyView(std::shared_ptr<Handle> handle)
      : handle_(std::move(handle)), view_(handle_->Read()), owner_(std::this_thread::get_id()) {
    handle_->ViewBegun();
  }
  ~PyView() { End(); }
  PyView(const PyView&) = delete;
  PyView& operator=(const PyView&) = delete;

  const View& Get() const {
    if (!view_) RaiseInvalidArgument("the view has ended");
    return *view_;
  }
  void End() {
    if (view_) {
      view_.reset();
      // A view the garbage collector ends on another thread must not
      // disturb that thread's bookkeeping.
      if (owner_ == std::this_thread::get_id()) handle_->ViewEnded();
    }
  }

 private:
  std::shared_ptr<Handle> handle_;
  std::optional<View> view_;
  std::thread::id owner_;
};

// A view for one call: the registry's latest state, or the held view.
template <typename Fn>
auto Reading(const PyRegistry& registry, Fn&& fn) {
  View view = registry.Get()->Read();
  return fn(view);
}
template <typename Fn>
auto Reading(const PyView& held, Fn&& fn) {
  return fn(held.Get());
}
// The same without the GIL. `fn` must not touch Python objects.
template <typename Fn>
auto ReadingReleased(const PyRegistry& registry, Fn&& fn) {
  std::shared_ptr<Handle> handle = registry.Get();
  py::gil_scoped_release release;
  View view = handle->Read();
  return fn(view);
}
template <typename Fn>
auto ReadingReleased(const PyView& held, Fn&& fn) {
  const View& view = held.Get();
  py::gil_scoped_release release;
  return fn(view);
}

template <typename Row>
std::optional<Row> Copy(const Row* row) {
  return row == nullptr ? std::nullopt : std::optional<Row>(*row);
}

// Row: the public row type, where the range's elements are the core's own
// (a client as the client table stores it, with its links).
template <typename Row, typename Range>
std::vector<Row> CopyAll(const Range& range) {
  std::vector<Row> rows;
  rows.reserve(range.size());
  for (const auto& row : range) rows.push_back(row);
  return rows;
}

struct Decision {
  AccessVerdict verdict = AccessVerdict::kUnknownAccount;
  std::optional<Client> account;
  std::optional<User> user;
};

template <typename Source>
void DefineLookups(py::class_<Source>& cls) {
  using py::arg;
  cls.def(
         "find_app",
         [](const Source& s, Id id) {
           return Reading(s, [&](const View& v) { return Copy(v.FindApp(id)); });
         },
         arg("id"), "The app with this id, or None.")
      .def(
          "find_app_by_key",
          [](const Source& s, std::string_view key) {
            return Reading(s, [&](const View& v) { return Copy(v.FindAppByKey(key)); });
          },
          arg("app_key"))
      .def(
          "find_organization",
          [](const Source& s, Id id) {
            return Reading(s, [&](const View& v) { return Copy(v.FindOrganization(id)); });
          },
          arg("id"))
      .def(
          "find_organization_by_external_id",
          [](const Source& s, Id app_id, std::string_view external_id) {
            return Reading(s, [&](const View& v) {
              return Copy(v.FindOrganizationByExternalId(app_id, external_id));
            });
          },
          arg("app_id"), arg("external_id"))
      .def(
          "find_client",
          [](const Source& s, Id id) {
            return Reading(s, [&](const View& v) { return Copy(v.FindClient(id)); });
          },
          arg("id"))
      .def(
          "find_client_by_external_id",
          [](const Source& s, std::string_view external_id) {
            return Reading(
                s, [&](const View& v) { return Copy(v.FindClientByExternalId(external_id)); });
          },
          arg("external_id"))
      .def(
          "find_user",
          [](const Source& s, Id id) {
            return Reading(s, [&](const View& v) { return Copy(v.FindUser(id)); });
          },
          arg("id"))
      .def(
          "find_user_by_external_id",
          [](const Source& s, std::string_view external_id) {
            return Reading(
                s, [&](const View& v) { return Copy(v.FindUserByExternalId(external_id)); });
          },
          arg("external_id"))
      .def(
          "find_user_by_email",
          [](const Source& s, std::string_view email) {
            return Reading(s, [&](const View& v) { return Copy(v.FindUserByEmail(email)); });
          },
          arg("email"), "ASCII-case-insensitive.")
      .def(
          "find_link",
          [](const Source& s, Id client_id, Id user_id) {
            return Reading(s, [&](const View& v) { return v.FindLink(client_id, user_id); });
          },
          arg("client_id"), arg("user_id"))
      .def(
          "has_link",
          [](const Source& s, Id client_id, Id user_id) {
            return Reading(s, [&](const View& v) { return v.HasLink(client_id, user_id); });
          },
          arg("client_id"), arg("user_id"))
      .def(
          "owner_of_organization",
          [](const Source& s, Id organization_id) {
            return Reading(
                s, [&](const View& v) { return Copy(v.OwnerOfOrganization(organization_id)); });
          },
          arg("organization_id"), "The owning user, or None if the organization is unknown.")
      .def(
          "clients_of_user",
          [](const Source& s, Id user_id) {
            return ReadingReleased(
                s, [&](const View& v) { return CopyAll<Client>(v.ClientsOfUser(user_id)); });
          },
          arg("user_id"), "The clients (accounts) a user is linked to, as a list.")
      .def(
          "users_of_client",
          [](const Source& s, Id client_id) {
            return ReadingReleased(
                s, [&](const View& v) { return CopyAll<User>(v.UsersOfClient(client_id)); });
          },
          arg("client_id"))
      .def(
          "clients_of_organization",
          [](const Source& s, Id organization_id) {
            return ReadingReleased(s, [&](const View& v) {
              return CopyAll<Client>(v.ClientsOfOrganization(organization_id));
            });
          },
          arg("organization_id"), "0: the v1.0 clients without organization.")
      .def(
          "organizations_owned_by",
          [](const Source& s, Id user_id) {
            return ReadingReleased(s, [&](const View& v) {
              return CopyAll<Organization>(v.OrganizationsOwnedBy(user_id));
            });
          },
          arg("user_id"))
      .def(
          "organizations_of_app",
          [](const Source& s, Id app_id) {
            return ReadingReleased(s, [&](const View& v) {
              return CopyAll<Organization>(v.OrganizationsOfApp(app_id));
            });
          },
          arg("app_id"))
      .def(
          "resolve",
          [](const Source& s, std::string_view account_external_id,
             std::string_view user_external_id, std::optional<std::string_view> app_key,
             std::optional<std::string_view> organization_external_id) {
            return Reading(s, [&](const View& v) {
              AccessDecision d = v.Resolve(
                  {account_external_id, user_external_id, app_key, organization_external_id});
              return Decision{d.verdict, Copy(d.account), Copy(d.user)};
            });
          },
          arg("account_external_id"), arg("user_external_id"), py::kw_only(),
          arg("app_key") = py::none(), arg("organization_external_id") = py::none(),
          "Access check and routing: may this user use this account, and where is its "
          "database.")
      .def("counts",
           [](const Source& s) { return Reading(s, [&](const View& v) { return v.counts(); }); });
}

struct Commit {
  std::uint64_t sequence = 0;
  std::vector<std::optional<Id>> ids;  // per mutation: the row's id for inserts
};

struct InsertedId {
  template <typename Row>
  std::optional<Id> operator()(const InsertRow<Row>& insert) const {
    if constexpr (std::is_same_v<Row, ClientUserLink>) {
      return std::nullopt;
    } else {
      return insert.row.id;
    }
  }
  template <typename Other>
  std::optional<Id> operator()(const Other&) const {
    return std::nullopt;
  }
};

Commit ApplyTo(const PyRegistry& registry, const Batch& batch) {
  std::shared_ptr<Handle> handle = registry.Get();
  std::optional<StatusOr<CommitResult>> result;
  {
    py::gil_scoped_release release;
    result.emplace(handle->Apply(batch));
  }
  RaiseIfError(result->status());
  Commit commit;
  commit.sequence = (*result)->sequence;
  for (const Mutation& mutation : (*result)->applied.mutations()) {
    commit.ids.push_back(std::visit(InsertedId{}, mutation));
  }
  return commit;
}

class PyBatch {
 public:
  PyBatch() = default;
  explicit PyBatch(py::object registry) : registry_(std::move(registry)) {}

  Batch& batch() { return batch_; }
  const std::optional<Commit>& commit() const { return commit_; }

  // The context manager's end: on an exception throw the mutations away;
  // otherwise apply them to the registry the batch came from (a standalone
  // Batch keeps them for Registry.apply).
  bool Exit(py::handle exception_type) {
    if (!exception_type.is_none()) {
      batch_.mutations().clear();
    } else if (!registry_.is_none()) {
      commit_ = ApplyTo(registry_.cast<const PyRegistry&>(), batch_);
    }
    return false;
  }
  void Applied(Commit commit) { commit_ = std::move(commit); }

 private:
  Batch batch_;
  py::object registry_ = py::none();
  std::optional<Commit> commit_;
};

const char* kRowTypes = "App, Organization, Client, User or Link";

void AddInsert(Batch& batch, py::handle row) {
  if (py::isinstance<App>(row)) {
    batch.Insert(row.cast<App>());
  } else if (py::isinstance<Organization>(row)) {
    batch.Insert(row.cast<Organization>());
  } else if (py::isinstance<Client>(row)) {
    batch.Insert(row.cast<Client>());
  } else if (py::isinstance<User>(row)) {
    batch.Insert(row.cast<User>());
  } else if (py::isinstance<ClientUserLink>(row)) {
    batch.Insert(row.cast<ClientUserLink>());
  } else {
    RaiseInvalidArgument(std::string("insert expects ") + kRowTypes + ", not " +
                         py::str(row.get_type().attr("__name__")).cast<std::string>());
  }
}

void AddUpdate(Batch& batch, py::handle row) {
  if (py::isinstance<App>(row)) {
    batch.Update(row.cast<App>());
  } else if (py::isinstance<Organization>(row)) {
    batch.Update(row.cast<Organization>());
  } else if (py::isinstance<Client>(row)) {
    batch.Update(row.cast<Client>());
  } else if (py::isinstance<User>(row)) {
    batch.Update(row.cast<User>());
  } else {
    RaiseInvalidArgument("update expects App, Organization, Client or User, not " +
                         py::str(row.get_type().attr("__name__")).cast<std::string>());
  }
}

// Mutation methods shared by Registry (applied at once) and Batch (queued).
// `add` puts one mutation into a Batch; `finish` does what the class does
// with it and returns what the method returns.
template <typename Self, typename Finish>
void DefineMutations(py::class_<Self>& cls, py::module_& m, Finish finish) {
  using py::arg;
  cls.def(
         "insert",
         [finish](Self& self, py::handle row) {
           return finish(self, [&](Batch& b) { AddInsert(b, row); });
         },
         arg("row"), "Inserts an App, Organization, Client, User or Link; id 0 is assigned.")
      .def(
          "update",
          [finish](Self& self, py::handle row) {
            return finish(self, [&](Batch& b) { AddUpdate(b, row); });
          },
          arg("row"), "Replaces the row with the same id, e.g. reg.update(user.replace(name=...)).")
      .def(
          "link",
          [finish](Self& self, Id client_id, Id user_id) {
            return finish(self, [&](Batch& b) { b.Link(client_id, user_id); });
          },
          arg("client_id"), arg("user_id"))
      .def(
          "unlink",
          [finish](Self& self, Id client_id, Id user_id) {
            return finish(self, [&](Batch& b) { b.Unlink(client_id, user_id); });
          },
          arg("client_id"), arg("user_id"));
  // Per table: insert_<table>(**columns), update_<table>(**columns), erase_<table>(id).
  auto per_table = [&](const char* table, const char* type_name, auto erase) {
    py::object type = m.attr(type_name);
    cls.def((std::string("insert_") + table).c_str(),
            [finish, type](Self& self, py::kwargs columns) {
              py::object row = type(**columns);
              return finish(self, [&](Batch& b) { AddInsert(b, row); });
            })
        .def((std::string("update_") + table).c_str(),
             [finish, type](Self& self, py::kwargs columns) {
               py::object row = type(**columns);
               return finish(self, [&](Batch& b) { AddUpdate(b, row); });
             })
        .def((std::string("erase_") + table).c_str(),
             [finish, erase](Self& self, Id id) {
               return finish(self, [&](Batch& b) { erase(b, id); });
             },
             arg("id"));
  };
  per_table("app", "App", [](Batch& b, Id id) { b.Erase<App>(id); });
  per_table("organization", "Organization", [](Batch& b, Id id) { b.Erase<Organization>(id); });
  per_table("client", "Client", [](Batch& b, Id id) { b.Erase<Client>(id); });
  per_table("user", "User", [](Batch& b, Id id) { b.Erase<User>(id); });
}

bindings::Sync ParseSync(const std::string& text) {
  if (text == "full") return bindings::Sync::kFull;
  if (text == "no_meta_sync") return bindings::Sync::kNoMetaSync;
  if (text == "no_sync") return bindings::Sync::kNoSync;
  RaiseInvalidArgument("sync \"" + text + "\" is not \"full\", \"no_meta_sync\" or \"no_sync\"");
}

// Every StoreStats field (StoreStatsFields), as `hubreg stats --json` has it.
py::dict StatsDict(const StoreStats& stats) {
  py::dict out;
  for (const StatsField& field : StoreStatsFields()) {
    const py::str key(field.name.data(), field.name.size());
    std::visit(
        [&](const auto& value) {
          using T = std::decay_t<decltype(value)>;
          if constexpr (std::is_same_v<T, const TableCounts*>) {
            py::dict counts;
            for (const TableCountField& table : TableCountFields()) {
              counts[py::str(table.table.data(), table.table.size())] = value->*table.count;
            }
            out[key] = counts;
          } else if constexpr (std::is_same_v<T, std::string_view>) {
            out[key] = py::str(value.data(), value.size());
          } else {
            out[key] = value;
          }
        },
        field.get(stats));
  }
  return out;
}

}  // namespace

void RegisterRegistry(py::module_& m) {
  using py::arg;

  py::class_<TableCounts>(m, "Counts", "Row counts of one registry state.")
      .def_readonly("apps", &TableCounts::apps)
      .def_readonly("organizations", &TableCounts::organizations)
      .def_readonly("clients", &TableCounts::clients)
      .def_readonly("users", &TableCounts::users)
      .def_readonly("links", &TableCounts::links)
      .def("__eq__", [](const TableCounts& a, const TableCounts& b) { return a == b; })
      .def("__repr__", [](const TableCounts& c) {
        return "Counts(apps=" + std::to_string(c.apps) +
               ", organizations=" + std::to_string(c.organizations) +
               ", clients=" + std::to_string(c.clients) + ", users=" + std::to_string(c.users) +
               ", links=" + std::to_string(c.links) + ")";
      });

  py::class_<Decision>(m, "Decision",
                       "The answer of resolve(): verdict, and the rows involved. When allowed, "
                       "account holds the connection details (db_host, db_port, db_name, "
                       "db_user, db_password).")
      .def_property_readonly("verdict",
                             [](const Decision& d) { return std::string(ToString(d.verdict)); })
      .def_property_readonly("allowed",
                             [](const Decision& d) { return d.verdict == AccessVerdict::kAllowed; })
      .def_readonly("account", &Decision::account)
      .def_readonly("user", &Decision::user)
      .def("__bool__", [](const Decision& d) { return d.verdict == AccessVerdict::kAllowed; })
      .def("__repr__", [](const Decision& d) {
        std::string text = "Decision(verdict='" + std::string(ToString(d.verdict)) + "'";
        if (d.account) text += ", account=" + d.account->external_id;
        if (d.user) text += ", user=" + d.user->external_id;
        return text + ")";
      });

  py::class_<Commit>(m, "Commit", "What apply() did: sequence number and inserted ids.")
      .def_readonly("sequence", &Commit::sequence)
      .def_readonly("ids", &Commit::ids,
                    "Per mutation: the id of the inserted row, None for other mutations.")
      .def("__repr__", [](const Commit& c) {
        return "Commit(sequence=" + std::to_string(c.sequence) +
               ", mutations=" + std::to_string(c.ids.size()) + ")";
      });

  py::class_<PyView> view(m, "View",
                          "A consistent read-only view: every lookup sees the same state. Use "
                          "as a context manager and keep it short (writes wait for it).");
  view.def_property_readonly("sequence", [](const PyView& v) { return v.Get().sequence(); })
      .def("close", &PyView::End, "Ends the view.")
      .def("__enter__", [](py::object self) { return self; })
      .def("__exit__", [](PyView& v, py::args) {
        v.End();
        return false;
      });
  DefineLookups(view);

  py::class_<PyBatch> batch(m, "Batch",
                            "Mutations applied together, atomically. From Registry.batch() "
                            "as a context manager: applied when the block ends normally, "
                            "discarded on an exception.");
  batch.def(py::init<>())
      .def("__len__", [](PyBatch& b) { return b.batch().size(); })
      .def_property_readonly("commit", &PyBatch::commit,
                             "The Commit once applied by the context manager, else None.")
      .def("__enter__", [](py::object self) { return self; })
      .def("__exit__",
           [](PyBatch& b, py::handle type, py::handle, py::handle) { return b.Exit(type); });
  DefineMutations(batch, m, [](PyBatch& self, auto add) { add(self.batch()); });

  py::class_<PyRegistry> registry(
      m, "Registry",
      "A registry. Registry() is an empty one in memory; hubreg.open(path) opens a data "
      "directory. Lookups return rows (copies) or None, list lookups return lists.");
  registry.def(py::init([] { return PyRegistry(Handle::InMemory()); }))
      .def_property_readonly("read_only", [](const PyRegistry& r) { return r.Get()->read_only(); })
      .def_property_readonly("persistent",
                             [](const PyRegistry& r) { return r.Get()->persistent(); })
      .def_property_readonly("path", [](const PyRegistry& r) { return r.Get()->path(); })
      .def_property_readonly("last_sequence",
                             [](const PyRegistry& r) { return r.Get()->LastSequence(); })
      .def(
          "view", [](const PyRegistry& r) { return std::make_unique<PyView>(r.Get()); },
          "A consistent view; use `with reg.view() as v:`.")
      .def(
          "batch", [](py::object self) { return PyBatch(self); },
          "A batch applied to this registry when its `with` block ends.")
      .def(
          "apply",
          [](const PyRegistry& r, PyBatch& b) {
            Commit commit = ApplyTo(r, b.batch());
            b.Applied(commit);
            return commit;
          },
          arg("batch"), "Applies the batch atomically; raises on the first failing mutation.")
      .def(
          "save_snapshot",
          [](const PyRegistry& r, const std::string& file) {
            std::shared_ptr<Handle> handle = r.Get();
            if (handle->ThisThreadHoldsView()) {
              RaiseInvalidArgument(
                  "this thread holds a view of the registry; end it before saving a snapshot");
            }
            Status saved;
            {
              py::gil_scoped_release release;
              saved = handle->SaveSnapshot(file);
            }
            RaiseIfError(saved);
          },
          arg("file"))
      .def(
          "refresh",
          [](const PyRegistry& r) {
            std::shared_ptr<Handle> handle = r.Get();
            if (handle->ThisThreadHoldsView()) {
              RaiseInvalidArgument(
                  "this thread holds a view of the registry; end it before refreshing");
            }
            Status refreshed;
            {
              py::gil_scoped_release release;
              refreshed = handle->Refresh();
            }
            RaiseIfError(refreshed);
          },
          "Read-only registries: catch up with the writing process.")
      .def(
          "changes",
          [](const PyRegistry& r, std::optional<std::uint64_t> since,
             std::optional<double> timeout) { return MakeChanges(r.Get(), since, timeout); },
          py::kw_only(), arg("since") = py::none(), arg("timeout") = py::none(),
          "The change feed: an iterator of ChangeBatch after `since` (default: the latest "
          "sequence); it ends when no batch comes within `timeout` seconds (None: waits "
          "forever). Raises ResyncRequiredError (with restart_sequence) when `since` is no "
          "longer kept.")
      .def(
          "stats",
          [](const PyRegistry& r) {
            StatusOr<StoreStats> stats = r.Get()->Stats();
            RaiseIfError(stats.status());
            return StatsDict(*stats);
          },
          "The store's statistics as a dict: every hubreg::StoreStats field under its name "
          "(the keys of `hubreg stats --json`), counts keyed by table name. Data directories "
          "only.")
      .def(
          "stats_prometheus",
          [](const PyRegistry& r, std::string_view prefix, std::string_view path) {
            StatusOr<StoreStats> stats = r.Get()->Stats();
            RaiseIfError(stats.status());
            return RenderPrometheus(*stats, prefix, path);
          },
          py::kw_only(), arg("prefix") = "hubreg", arg("path") = "",
          "The same statistics as Prometheus text (format 0.0.4) for a /metrics endpoint, as "
          "`hubreg stats --format prometheus` prints them: names \"<prefix>_<metric>\" (an "
          "empty prefix leaves them bare), every sample labelled path=\"<path>\" unless `path` "
          "is empty. Data directories only.")
      .def(
          "compact",
          [](const PyRegistry& r) {
            std::shared_ptr<Handle> handle = r.Get();
            Status compacted;
            {
              py::gil_scoped_release release;
              compacted = handle->Compact();
            }
            RaiseIfError(compacted);
          },
          "Folds the journal into a new snapshot (writable data directories only).")
      .def("close", &PyRegistry::Close)
      .def("__enter__", [](py::object self) { return self; })
      .def("__exit__", [](PyRegistry& r, py::args) {
        r.Close();
        return false;
      });
  DefineLookups(registry);
  DefineMutations(registry, m, [](PyRegistry& self, auto add) {
    Batch one;
    add(one);
    Commit commit = ApplyTo(self, one);
    return commit.ids.front();
  });

  m.def(
      "open",
      [](const std::string& path, bool read_only, bool create, const std::string& sync) {
        bindings::OpenOptions options;
        options.path = path;
        options.read_only = read_only;
        options.create_if_missing = create;
        options.sync = ParseSync(sync);
        std::optional<StatusOr<std::unique_ptr<Handle>>> opened;
        {
          py::gil_scoped_release release;
          opened.emplace(Handle::Open(options));
        }
        RaiseIfError(opened->status());
        return PyRegistry(std::shared_ptr<Handle>(std::move(*opened).value()));
      },
      arg("path"), py::kw_only(), arg("read_only") = false, arg("create") = true,
      arg("sync") = "full",
      "Opens (or creates) a data directory. sync: 'full', 'no_meta_sync' or 'no_sync'.");
  m.def(
      "restore_snapshot",
      [](const std::string& file, const std::string& path, bool overwrite) {
        Status restored;
        {
          py::gil_scoped_release release;
          restored = bindings::RestoreSnapshot(file, path, overwrite);
        }
        RaiseIfError(restored);
      },
      arg("file"), arg("path"), py::kw_only(), arg("overwrite") = false,
      "Loads a snapshot file into the data directory `path`.");
}

}  // namespace hubreg::python
