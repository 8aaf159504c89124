#include "batch_applier.h"

#include <algorithm>
#include <limits>
#include <string>

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

// The links that go with a deleted row. Plain overloads, not a template:
// the user table stores StoredUser, which must still pick the User one.
std::vector<ClientUserLink> LinksOf(const Tables&, const App&) { return {}; }
std::vector<ClientUserLink> LinksOf(const Tables&, const Organization&) { return {}; }
std::vector<ClientUserLink> LinksOf(const Tables& t, const Client& row) {
  auto [first, last] = t.links.get<ByClient>().equal_range(row.id);
  return {first, last};
}
std::vector<ClientUserLink> LinksOf(const Tables& t, const User& row) {
  auto [first, last] = t.links.get<ByUser>().equal_range(row.id);
  return {first, last};
}

void EraseLinkRow(Tables& t, Id client_id, Id user_id) {
  auto& by_pair = t.links.get<ByPair>();
  auto it = by_pair.find(std::make_tuple(client_id, user_id));
  if (it != by_pair.end()) by_pair.erase(it);
}

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
  // CheckRow has ruled out every collision, so replace cannot fail.
  by_id.replace(it, row);
  Record<Row>(previous, row);
  undo_.push_back([this, previous = std::move(previous)] {
    auto& index = Traits::Table(tables_).template get<ById>();
    index.replace(index.find(previous.id), previous);
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

  std::vector<ClientUserLink> links = LinksOf(tables_, stored);
  for (const ClientUserLink& link : links) {
    EraseLinkRow(tables_, link.client_id, link.user_id);
    Record<ClientUserLink>(link, std::nullopt);
  }
  Row previous = stored;
  by_id.erase(it);
  Record<Row>(previous, std::nullopt);
  undo_.push_back([this, previous = std::move(previous), links = std::move(links)] {
    Traits::Table(tables_).insert(previous);
    tables_.links.insert(links.begin(), links.end());
  });
  *applied = erase;
  return Status::Ok();
}

Status BatchApplier::ApplyOne(const InsertRow<ClientUserLink>& insert, Mutation* applied) {
  ClientUserLink link = insert.row;
  if (link.created_at == Timestamp{}) link.created_at = now_;
  HUBREG_RETURN_IF_ERROR(CheckRow(tables_, link, /*replacing=*/false));
  tables_.links.insert(link);
  undo_.push_back([this, link] { EraseLinkRow(tables_, link.client_id, link.user_id); });
  Record<ClientUserLink>(std::nullopt, link);
  *applied = InsertRow<ClientUserLink>{link};
  return Status::Ok();
}

Status BatchApplier::ApplyOne(const EraseLink& erase, Mutation* applied) {
  auto& by_pair = tables_.links.get<ByPair>();
  auto it = by_pair.find(std::make_tuple(erase.client_id, erase.user_id));
  if (it == by_pair.end()) return LinkNotFound(erase.client_id, erase.user_id);
  ClientUserLink previous = *it;
  by_pair.erase(it);
  undo_.push_back([this, previous] { tables_.links.insert(previous); });
  Record<ClientUserLink>(previous, std::nullopt);
  *applied = erase;
  return Status::Ok();
}

}  // namespace hubreg::detail
