#include "batch_applier.h"

#include <algorithm>
#include <boost/mpl/size.hpp>
#include <iterator>
#include <limits>
#include <string>
#include <utility>

#include "link_arrays.h"

namespace hubreg::detail {
namespace {

template <typename Row>
struct TableTraits;

template <>
struct TableTraits<App> {
  static constexpr std::string_view kName = kAppTable;
  static AppTable& Table(Tables& t) { return t.apps; }
  static Id& NextId(Tables& t) { return t.next_app_id; }
};
template <>
struct TableTraits<Organization> {
  static constexpr std::string_view kName = kOrganizationTable;
  static OrganizationTable& Table(Tables& t) { return t.organizations; }
  static Id& NextId(Tables& t) { return t.next_organization_id; }
};
template <>
struct TableTraits<Client> {
  static constexpr std::string_view kName = kClientTable;
  static ClientTable& Table(Tables& t) { return t.clients; }
  static Id& NextId(Tables& t) { return t.next_client_id; }
};
template <>
struct TableTraits<User> {
  static constexpr std::string_view kName = kUserTable;
  static UserTable& Table(Tables& t) { return t.users; }
  static Id& NextId(Tables& t) { return t.next_user_id; }
};

Status StillReferenced(std::string_view table, Id id, std::size_t count, std::string_view referrer,
                       std::string_view column) {
  if (count == 0) return Status::Ok();
  return Status::InUse(std::string(table) + ": id " + std::to_string(id) +
                       " is still referenced by " + std::to_string(count) + " " +
                       std::string(referrer) + " row(s) through " + std::string(column));
}

// Deleting is refused while rows of another table point at the row; links
// are not such a reason, they go with their client or user.
Status CheckNotReferenced(const Tables& t, const App& row) {
  return StillReferenced(kAppTable, row.id, t.organizations.get<ByApp>().count(row.id),
                         kOrganizationTable, "threecolts_app_id");
}
Status CheckNotReferenced(const Tables& t, const Organization& row) {
  return StillReferenced(kOrganizationTable, row.id, t.clients.get<ByOrganization>().count(row.id),
                         kClientTable, "threecolts_organization_id");
}
Status CheckNotReferenced(const Tables&, const Client&) { return Status::Ok(); }
Status CheckNotReferenced(const Tables& t, const User& row) {
  return StillReferenced(kUserTable, row.id, t.organizations.get<ByOwner>().count(row.id),
                         kOrganizationTable, "organization_owner_id");
}

// The links that go with a deleted row, taken out of the other ends' arrays.
// Plain overloads, not a template: the user table stores StoredUser, which
// must still pick the User one.
std::vector<ClientUserLink> RemoveLinksOf(Tables&, const App&) { return {}; }
std::vector<ClientUserLink> RemoveLinksOf(Tables&, const Organization&) { return {}; }
std::vector<ClientUserLink> RemoveLinksOf(Tables& t, const Client& row) {
  return RemoveLinksOfClient(t, row.id);
}
std::vector<ClientUserLink> RemoveLinksOf(Tables& t, const User& row) {
  return RemoveLinksOfUser(t, row.id);
}

// An update replaces a row's columns in its node, keeping what the node
// holds besides (a user's and an account's links).
void AssignColumns(App& stored, const App& row) { stored = row; }
void AssignColumns(Organization& stored, const Organization& row) { stored = row; }
void AssignColumns(StoredClient& stored, const Client& row) { stored.Assign(row); }
void AssignColumns(StoredUser& stored, const User& row) { stored.Assign(row); }

// Whether `row` has the same value as `stored` in every indexed column,
// byte for byte (so also for the case-insensitive email index). The
// static_asserts stop a build that adds an index without adding its columns.
template <typename Table>
constexpr std::size_t kIndexCount = boost::mpl::size<typename Table::index_type_list>::value;
bool SameKeys(const App& stored, const App& row) {
  static_assert(kIndexCount<AppTable> == 2, "compare every indexed column of App");
  return stored.id == row.id && stored.app_key == row.app_key;
}
bool SameKeys(const Organization& stored, const Organization& row) {
  static_assert(kIndexCount<OrganizationTable> == 4,
                "compare every indexed column of Organization");
  return stored.id == row.id && stored.threecolts_app_id == row.threecolts_app_id &&
         stored.external_id == row.external_id &&
         stored.organization_owner_id == row.organization_owner_id;
}
bool SameKeys(const StoredClient& stored, const Client& row) {
  static_assert(kIndexCount<ClientTable> == 3, "compare every indexed column of Client");
  return stored.id == row.id && stored.external_id == row.external_id &&
         stored.threecolts_organization_id == row.threecolts_organization_id;
}
bool SameKeys(const StoredUser& stored, const User& row) {
  static_assert(kIndexCount<UserTable> == 3, "compare every indexed column of User");
  return stored.id == row.id && stored.external_id == row.external_id && stored.email == row.email;
}

// Replaces the columns of the row at `it` in place when no indexed column
// changes, and says whether it did. Every index then keeps the node where it
// is; Boost's modify would hash each key again (and for strings, walk the
// bucket) only to find that out: a quarter of a follower's commit thread
// when a burst updated names and statuses. The node itself is not const
// (Boost constructs it mutable and hands out const references to protect
// the keys), and this copy of the state has no reader.
template <typename Iterator, typename Row>
bool UpdateInPlace(Iterator it, const Row& row) {
  if (!SameKeys(*it, row)) return false;
  AssignColumns(const_cast<typename std::iterator_traits<Iterator>::value_type&>(*it), row);
  return true;
}

// Why inserting (updating) `row` was refused: CheckRow's first violation,
// which exists for every refusal (the rules cover each unique index).
template <typename Row>
Status Refusal(const Tables& tables, const Row& row, bool replacing) {
  Status status = CheckRow(tables, row, replacing);
  if (!status.ok()) return status;
  return Status::Corruption(std::string(TableTraits<Row>::kName) + ": id " +
                            std::to_string(row.id) + " collides on a key no rule checks");
}

Status LinkNotFound(Id client_id, Id user_id) {
  return Status::NotFound(std::string(kClientUserTable) + ": (client_id, user_id) (" +
                          std::to_string(client_id) + ", " + std::to_string(user_id) +
                          ") not found");
}

Status Diverged(std::string_view table, std::string what) {
  return Status::Corruption(std::string(table) + ": " + what + " on replay");
}

template <typename Table>
void ReserveEveryIndex(Table& table, std::size_t rows) {
  [&]<std::size_t... kIndex>(std::index_sequence<kIndex...>) {
    (table.template get<kIndex>().reserve(rows), ...);
  }
  (std::make_index_sequence<kIndexCount<Table>>());
}

struct Replayer {
  Tables& tables;

  template <typename Row>
  Status operator()(InsertRow<Row>& insert) const {
    using Traits = TableTraits<Row>;
    const Id id = insert.row.id;
    if (!Traits::Table(tables).insert(std::move(insert.row)).second) {
      return Diverged(Traits::kName, "id " + std::to_string(id) + " collides on insert");
    }
    Id& next_id = Traits::NextId(tables);
    if (id != std::numeric_limits<Id>::max()) next_id = std::max(next_id, id + 1);
    return Status::Ok();
  }
  template <typename Row>
  Status operator()(const UpdateRow<Row>& update) const {
    using Traits = TableTraits<Row>;
    auto& by_id = Traits::Table(tables).template get<ById>();
    auto it = by_id.find(update.row.id);
    if (it == by_id.end()) {
      return Diverged(Traits::kName, "id " + std::to_string(update.row.id) + " cannot be updated");
    }
    if (UpdateInPlace(it, update.row)) return Status::Ok();
    if (!by_id.modify(it, [&](auto& stored) { AssignColumns(stored, update.row); })) {
      return Diverged(Traits::kName, "id " + std::to_string(update.row.id) + " cannot be updated");
    }
    return Status::Ok();
  }
  template <typename Row>
  Status operator()(const EraseRow<Row>& erase) const {
    using Traits = TableTraits<Row>;
    auto& by_id = Traits::Table(tables).template get<ById>();
    auto it = by_id.find(erase.id);
    if (it == by_id.end()) return Diverged(Traits::kName, "id " + std::to_string(erase.id));
    const Row& stored = *it;
    RemoveLinksOf(tables, stored);
    by_id.erase(it);
    return Status::Ok();
  }
  Status operator()(InsertRow<ClientUserLink>& insert) const {
    const ClientUserLink& link = insert.row;
    const StoredUser* user = FindStoredUser(tables, link.user_id);
    const StoredClient* client = FindStoredClient(tables, link.client_id);
    if (user == nullptr || client == nullptr || Linked(tables, link.client_id, link.user_id)) {
      return Diverged(kClientUserTable, "(" + std::to_string(link.client_id) + ", " +
                                            std::to_string(link.user_id) + ") cannot be linked");
    }
    AddLink(tables, link);
    return Status::Ok();
  }
  Status operator()(const EraseLink& erase) const {
    if (!RemoveLink(tables, erase.client_id, erase.user_id)) {
      return LinkNotFound(erase.client_id, erase.user_id);
    }
    return Status::Ok();
  }
};

}  // namespace

Status Replay(Tables& tables, Mutation&& applied) { return std::visit(Replayer{tables}, applied); }

void ReserveForInserts(Tables& tables, std::span<const Batch> batches) {
  std::size_t apps = 0, organizations = 0, clients = 0, users = 0;
  for (const Batch& batch : batches) {
    for (const Mutation& mutation : batch.mutations()) {
      if (std::holds_alternative<InsertRow<App>>(mutation)) ++apps;
      if (std::holds_alternative<InsertRow<Organization>>(mutation)) ++organizations;
      if (std::holds_alternative<InsertRow<Client>>(mutation)) ++clients;
      if (std::holds_alternative<InsertRow<User>>(mutation)) ++users;
    }
  }
  // Boost's reserve does nothing when the buckets already suffice.
  if (apps > 0) ReserveEveryIndex(tables.apps, tables.apps.size() + apps);
  if (organizations > 0) {
    ReserveEveryIndex(tables.organizations, tables.organizations.size() + organizations);
  }
  if (clients > 0) ReserveEveryIndex(tables.clients, tables.clients.size() + clients);
  if (users > 0) ReserveEveryIndex(tables.users, tables.users.size() + users);
}

Status BatchApplier::Apply(const Mutation& mutation, Mutation* applied) {
  return std::visit([&](const auto& m) { return ApplyOne(m, applied); }, mutation);
}

void BatchApplier::UndoAll() {
  for (std::size_t i = changes_.size(); i > first_change_; --i) {
    std::visit([this](const auto& change) { Revert(change); }, changes_[i - 1]);
  }
  changes_.resize(first_change_);
  tables_.next_app_id = next_ids_[0];
  tables_.next_organization_id = next_ids_[1];
  tables_.next_client_id = next_ids_[2];
  tables_.next_user_id = next_ids_[3];
}

// The inverse of the mutation that recorded `change`: an insert is erased,
// an update's row put back, an erased row inserted again (its links, which
// were recorded before it, are reverted after it).
template <typename Row>
void BatchApplier::Revert(const RowChange<Row>& change) {
  auto& by_id = TableTraits<Row>::Table(tables_).template get<ById>();
  if (!change.before) {
    by_id.erase(change.after->id);
  } else if (!change.after) {
    TableTraits<Row>::Table(tables_).insert(*change.before);
  } else {
    const Row& previous = *change.before;
    auto it = by_id.find(previous.id);
    if (!UpdateInPlace(it, previous)) {
      by_id.modify(it, [&previous](auto& stored) { AssignColumns(stored, previous); });
    }
  }
}

void BatchApplier::Revert(const RowChange<ClientUserLink>& change) {
  if (change.after) {
    RemoveLink(tables_, change.after->client_id, change.after->user_id);
  } else {
    AddLink(tables_, *change.before);
  }
}

template <typename Row>
Status BatchApplier::ApplyOne(const InsertRow<Row>& insert, Mutation* applied) {
  using Traits = TableTraits<Row>;
  Row row = insert.row;
  Id& next_id = Traits::NextId(tables_);
  if (row.id == kNoId) row.id = next_id;
  if (row.created_at == Timestamp{}) row.created_at = now_;
  if (row.updated_at == Timestamp{}) row.updated_at = now_;
  // Inserting checks the unique keys (a collision changes nothing), so the
  // rules are checked without them first, and CheckRow names a key taken.
  if (!PassesAllButUniqueKeys(tables_, row, /*check_references=*/true) ||
      !Traits::Table(tables_).insert(row).second) {
    return Refusal(tables_, row, /*replacing=*/false);
  }
  if (row.id != std::numeric_limits<Id>::max()) next_id = std::max(next_id, row.id + 1);
  Record<Row>(std::nullopt, row);
  *applied = InsertRow<Row>{std::move(row)};
  return Status::Ok();
}

template <typename Row>
Status BatchApplier::ApplyOne(const UpdateRow<Row>& update, Mutation* applied) {
  using Traits = TableTraits<Row>;
  auto& by_id = Traits::Table(tables_).template get<ById>();
  auto it = by_id.find(update.row.id);
  if (it == by_id.end()) {
    return Status::NotFound(std::string(Traits::kName) + ": id " + std::to_string(update.row.id) +
                            " not found");
  }
  Row row = update.row;
  if (row.created_at == Timestamp{}) row.created_at = it->created_at;
  if (row.updated_at == Timestamp{}) row.updated_at = now_;
  if (!PassesAllButUniqueKeys(tables_, row, /*check_references=*/true)) {
    return Refusal(tables_, row, /*replacing=*/true);
  }
  Row previous = *it;
  // A collision on a unique key is the only way modify fails: the rollback
  // puts the columns back (without it Boost would erase the row).
  if (!UpdateInPlace(it, row) &&
      !by_id.modify(
          it, [&row](auto& stored) { AssignColumns(stored, row); },
          [&previous](auto& stored) { AssignColumns(stored, previous); })) {
    return Refusal(tables_, row, /*replacing=*/true);
  }
  Record<Row>(std::move(previous), row);
  *applied = UpdateRow<Row>{std::move(row)};
  return Status::Ok();
}

template <typename Row>
Status BatchApplier::ApplyOne(const EraseRow<Row>& erase, Mutation* applied) {
  using Traits = TableTraits<Row>;
  auto& by_id = Traits::Table(tables_).template get<ById>();
  auto it = by_id.find(erase.id);
  if (it == by_id.end()) {
    return Status::NotFound(std::string(Traits::kName) + ": id " + std::to_string(erase.id) +
                            " not found");
  }
  const Row& stored = *it;  // the public row, even where the table stores more
  HUBREG_RETURN_IF_ERROR(CheckNotReferenced(tables_, stored));

  for (const ClientUserLink& link : RemoveLinksOf(tables_, stored)) {
    Record<ClientUserLink>(link, std::nullopt);
  }
  Row previous = stored;
  by_id.erase(it);
  Record<Row>(std::move(previous), std::nullopt);
  *applied = erase;
  return Status::Ok();
}

Status BatchApplier::ApplyOne(const InsertRow<ClientUserLink>& insert, Mutation* applied) {
  ClientUserLink link = insert.row;
  if (link.created_at == Timestamp{}) link.created_at = now_;
  HUBREG_RETURN_IF_ERROR(CheckRow(tables_, link, /*replacing=*/false));
  AddLink(tables_, link);
  Record<ClientUserLink>(std::nullopt, link);
  *applied = InsertRow<ClientUserLink>{link};
  return Status::Ok();
}

Status BatchApplier::ApplyOne(const EraseLink& erase, Mutation* applied) {
  std::optional<ClientUserLink> removed = RemoveLink(tables_, erase.client_id, erase.user_id);
  if (!removed) return LinkNotFound(erase.client_id, erase.user_id);
  Record<ClientUserLink>(*removed, std::nullopt);
  *applied = erase;
  return Status::Ok();
}

}  // namespace hubreg::detail
