#include "batch_applier.h"

#include <algorithm>
#include <limits>
#include <string>

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

Status LinkNotFound(Id client_id, Id user_id) {
  return Status::NotFound(std::string(kClientUserTable) + ": (client_id, user_id) (" +
                          std::to_string(client_id) + ", " + std::to_string(user_id) +
                          ") not found");
}

}  // namespace

Status BatchApplier::Apply(const Mutation& mutation, Mutation* applied) {
  return std::visit([&](const auto& m) { return ApplyOne(m, applied); }, mutation);
}

void BatchApplier::UndoAll() {
  for (auto it = undo_.rbegin(); it != undo_.rend(); ++it) (*it)();
  undo_.clear();
}

template <typename Row>
Status BatchApplier::ApplyOne(const InsertRow<Row>& insert, Mutation* applied) {
  using Traits = TableTraits<Row>;
  Row row = insert.row;
  Id& next_id = Traits::NextId(tables_);
  if (row.id == kNoId) row.id = next_id;
  if (row.created_at == Timestamp{}) row.created_at = now_;
  if (row.updated_at == Timestamp{}) row.updated_at = now_;
  HUBREG_RETURN_IF_ERROR(CheckRow(tables_, row, /*replacing=*/false));

  Traits::Table(tables_).insert(row);
  const Id previous_next_id = next_id;
  if (row.id != std::numeric_limits<Id>::max()) next_id = std::max(next_id, row.id + 1);
  undo_.push_back([this, id = row.id, previous_next_id] {
    Traits::Table(tables_).template get<ById>().erase(id);
    Traits::NextId(tables_) = previous_next_id;
  });
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
  HUBREG_RETURN_IF_ERROR(CheckRow(tables_, row, /*replacing=*/true));

  Row previous = *it;
  // CheckRow has ruled out every collision, so modify cannot fail (and so
  // does not erase the row).
  by_id.modify(it, [&row](auto& stored) { AssignColumns(stored, row); });
  Record<Row>(previous, row);
  undo_.push_back([this, previous = std::move(previous)] {
    auto& index = Traits::Table(tables_).template get<ById>();
    index.modify(index.find(previous.id),
                 [&previous](auto& stored) { AssignColumns(stored, previous); });
  });
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

  std::vector<ClientUserLink> links = RemoveLinksOf(tables_, stored);
  for (const ClientUserLink& link : links) Record<ClientUserLink>(link, std::nullopt);
  Row previous = stored;
  by_id.erase(it);
  Record<Row>(previous, std::nullopt);
  undo_.push_back([this, previous = std::move(previous), links = std::move(links)] {
    Traits::Table(tables_).insert(previous);
    for (const ClientUserLink& link : links) AddLink(tables_, link);
  });
  *applied = erase;
  return Status::Ok();
}

Status BatchApplier::ApplyOne(const InsertRow<ClientUserLink>& insert, Mutation* applied) {
  ClientUserLink link = insert.row;
  if (link.created_at == Timestamp{}) link.created_at = now_;
  HUBREG_RETURN_IF_ERROR(CheckRow(tables_, link, /*replacing=*/false));
  AddLink(tables_, link);
  undo_.push_back([this, link] { RemoveLink(tables_, link.client_id, link.user_id); });
  Record<ClientUserLink>(std::nullopt, link);
  *applied = InsertRow<ClientUserLink>{link};
  return Status::Ok();
}

Status BatchApplier::ApplyOne(const EraseLink& erase, Mutation* applied) {
  std::optional<ClientUserLink> removed = RemoveLink(tables_, erase.client_id, erase.user_id);
  if (!removed) return LinkNotFound(erase.client_id, erase.user_id);
  const ClientUserLink previous = *removed;
  undo_.push_back([this, previous] { AddLink(tables_, previous); });
  Record<ClientUserLink>(previous, std::nullopt);
  *applied = erase;
  return Status::Ok();
}

}  // namespace hubreg::detail
