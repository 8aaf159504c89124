// Building a registry from complete tables (a snapshot), fast: start-up time
// is what latency-sensitive services that restart often pay.
//
// The first copy of the state is built on two cores at once, in two steps.
// First one thread inserts the users, the other every other table (and
// counts each account's users); each numbers the users' (the accounts')
// nodes by id as it inserts them. Then one thread fills each user's array of
// accounts, the other each account's array of users: each entry holds the
// other end's node, which the numbering gives without a lookup. Links
// are taken in (user, client) order, as snapshots hold them (other inputs are
// sorted first), so a user's accounts are one run of the input, copied into
// its array, and each account's users arrive in id order: the counts size
// the account arrays, a second pass appends to them. Unique keys are
// checked by the inserts themselves, a link's uniqueness by the order.
// Only if something is wrong is the registry built again row by row, to name
// the offending row exactly. The second copy (the writer's standby) is built
// from the same rows in the background; readers can start at once and the
// first writer waits for it.
//
// Bucket arrays are sized before inserting, so nothing rehashes while
// loading.
#include <algorithm>
#include <boost/mpl/size.hpp>
#include <future>
#if defined(__GLIBC__)
#include <malloc.h>
#endif
#include <limits>
#include <string>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include "batch_applier.h"
#include "hubreg/registry.h"
#include "registry_instance.h"

namespace hubreg {
namespace {

using namespace detail;

template <typename Table, std::size_t... kIndex>
void ReserveEach(Table& table, std::size_t rows, std::index_sequence<kIndex...>) {
  (table.template get<kIndex>().reserve(rows), ...);
}

// Sizing every bucket array up front avoids rehashing while loading, and
// mapping the nodes' memory in one go avoids a page fault per 4 KiB.
template <typename Table>
void ReserveAll(Table& table, std::size_t rows) {
  constexpr std::size_t kIndexes = boost::mpl::size<typename Table::index_type_list>::value;
  ReserveEach(table, rows, std::make_index_sequence<kIndexes>());
  table.get_allocator().arena().Reserve(rows);
}

void ReserveParents(Tables& tables, const RegistryRows& rows) {
  ReserveAll(tables.apps, rows.apps.size());
  ReserveAll(tables.users, rows.users.size());
  ReserveAll(tables.organizations, rows.organizations.size());
  ReserveAll(tables.clients, rows.clients.size());
}

bool UserThenClient(const ClientUserLink& a, const ClientUserLink& b) {
  return a.user_id != b.user_id ? a.user_id < b.user_id : a.client_id < b.client_id;
}

// The links in (user, client) order: `rows` itself when it is (a snapshot),
// else a sorted copy in `sorted` (the rows keep their order, so an error can
// name a row as given).
const std::vector<ClientUserLink>& LinksByUser(const std::vector<ClientUserLink>& links,
                                               std::vector<ClientUserLink>& sorted) {
  if (std::is_sorted(links.begin(), links.end(), UserThenClient)) return links;
  sorted = links;
  std::sort(sorted.begin(), sorted.end(), UserThenClient);
  return sorted;
}

// The nodes of one table by a dense number: their id where ids are dense (a
// registry's are: counters), else the order they were added in. Filled as
// the rows are inserted, so the link arrays get their nodes without a lookup.
template <typename Stored>
class NodeNumbers {
 public:
  template <typename Row>
  explicit NodeNumbers(const std::vector<Row>& rows) {
    Id largest = 0;
    for (const Row& row : rows) largest = std::max(largest, row.id);
    dense_ = largest <= 2 * rows.size() + 1024;
    nodes_.assign(dense_ ? largest + 1 : rows.size(), nullptr);
  }
  void Add(const Stored& node) {
    std::size_t number = node.id;
    if (!dense_) number = sparse_.emplace(node.id, sparse_.size()).first->second;
    nodes_[number] = &node;
  }
  std::size_t size() const { return nodes_.size(); }
  // The number of the node with `id`, or size() if there is none.
  std::size_t Of(Id id) const {
    if (dense_) return id < nodes_.size() && nodes_[id] != nullptr ? id : nodes_.size();
    auto it = sparse_.find(id);
    return it == sparse_.end() ? nodes_.size() : it->second;
  }
  const Stored& Node(std::size_t number) const { return *nodes_[number]; }
  // The node with `id`, or nullptr.
  const Stored* Find(Id id) const {
    const std::size_t number = Of(id);
    return number == nodes_.size() ? nullptr : nodes_[number];
  }

 private:
  bool dense_ = true;
  std::vector<const Stored*> nodes_;
  std::unordered_map<Id, std::size_t> sparse_;
};
using UserNumbers = NodeNumbers<StoredUser>;
using ClientNumbers = NodeNumbers<StoredClient>;

// Fills every user's array from its run of `links` (in (user, client)
// order); false on a link to a missing user or account, or a pair given
// twice.
bool FillAccountArrays(Tables& tables, const std::vector<ClientUserLink>& links,
                       const UserNumbers& users, const ClientNumbers& clients) {
  for (auto run = links.begin(); run != links.end();) {
    const Id user_id = run->user_id;
    auto run_end = std::find_if(
        run, links.end(), [user_id](const ClientUserLink& l) { return l.user_id != user_id; });
    const StoredUser* user = users.Find(user_id);
    if (user == nullptr) return false;
    user->accounts.reserve(static_cast<std::size_t>(run_end - run));
    for (auto link = run; link != run_end; ++link) {
      if (link != run && std::prev(link)->client_id == link->client_id) return false;
      const StoredClient* client = clients.Find(link->client_id);
      if (client == nullptr) return false;
      user->accounts.push_back({link->created_at, client});
    }
    run = run_end;
  }
  tables.link_count = links.size();
  return true;
}

// How many users each account has, by the account's number; empty on a
// link to a missing account.
std::vector<std::uint32_t> CountMembers(const std::vector<ClientUserLink>& links,
                                        const ClientNumbers& clients) {
  std::vector<std::uint32_t> counts(clients.size(), 0);
  for (const ClientUserLink& link : links) {
    const std::size_t number = clients.Of(link.client_id);
    if (number == clients.size()) return {};
    ++counts[number];
  }
  return counts;
}

// Fills every account's array from `links` (in (user, client) order, so each
// account's users come in id order), each allocated once at its size from
// `counts` (CountMembers). False on a link to a missing user.
bool FillMemberArrays(const std::vector<ClientUserLink>& links,
                      const std::vector<std::uint32_t>& counts, const UserNumbers& users,
                      const ClientNumbers& clients) {
  if (counts.size() != clients.size()) return false;
  for (std::size_t number = 0; number < counts.size(); ++number) {
    if (counts[number] != 0) clients.Node(number).users.reserve(counts[number]);
  }
  const StoredUser* user = nullptr;
  for (const ClientUserLink& link : links) {
    if (user == nullptr || user->id != link.user_id) user = users.Find(link.user_id);
    if (user == nullptr) return false;
    clients.Node(clients.Of(link.client_id)).users.push_back(user);
  }
  return true;
}

template <typename Row>
Id NextId(const std::vector<Row>& rows, Id given) {
  Id next = given == kNoId ? 1 : given;
  for (const Row& row : rows) {
    if (row.id >= next && row.id != std::numeric_limits<Id>::max()) next = row.id + 1;
  }
  return next;
}

// The first violation of `rows`, naming the row's position.
Status FirstViolation(const RegistryRows& rows) {
  const Tables empty;
  const std::vector<Violation> violations = CheckNewRows(empty, rows, CheckOptions());
  if (violations.empty()) return Status::Corruption("rows rejected by the bulk loader");
  const Violation& first = violations.front();
  return first.ToStatus().WithContext(std::string(first.table) + " row " +
                                      std::to_string(first.row + 1));
}

// Inserts every row; false on a malformed row, a duplicate key or (with
// `check_references`) a dangling foreign key. With `numbers`, numbers each
// node.
template <typename Table, typename Row>
bool InsertAll(const Tables& tables, Table& table, const std::vector<Row>& rows,
               bool check_references, NodeNumbers<typename Table::value_type>* numbers = nullptr) {
  for (const Row& row : rows) {
    if (!PassesAllButUniqueKeys(tables, row, check_references)) return false;
    auto [position, inserted] = table.insert(row);
    if (!inserted) return false;
    if (numbers != nullptr) numbers->Add(*position);
  }
  return true;
}

bool InsertUsers(Tables& tables, const RegistryRows& rows, UserNumbers& numbers) {
  ReserveAll(tables.users, rows.users.size());
  return InsertAll(tables, tables.users, rows.users, false, &numbers);
}

// Organizations name their owner, a user, which the other thread inserts:
// their references are checked once both are done. Also counts each
// account's users, for FillMemberArrays.
bool InsertOthers(Tables& tables, const RegistryRows& rows,
                  const std::vector<ClientUserLink>& links, ClientNumbers& numbers,
                  std::vector<std::uint32_t>& member_counts) {
  ReserveAll(tables.apps, rows.apps.size());
  ReserveAll(tables.organizations, rows.organizations.size());
  ReserveAll(tables.clients, rows.clients.size());
  if (!InsertAll(tables, tables.apps, rows.apps, false) ||
      !InsertAll(tables, tables.organizations, rows.organizations, false) ||
      !InsertAll(tables, tables.clients, rows.clients, true, &numbers)) {
    return false;
  }
  member_counts = CountMembers(links, numbers);
  return member_counts.size() == numbers.size();
}

bool OrganizationReferencesExist(const Tables& tables, const RegistryRows& rows) {
  return std::all_of(rows.organizations.begin(), rows.organizations.end(),
                     [&](const Organization& organization) {
                       return PassesAllButUniqueKeys(tables, organization, true);
                     });
}

template <typename Table, typename Row>
void InsertEach(Table& table, const std::vector<Row>& rows,
                NodeNumbers<typename Table::value_type>* numbers = nullptr) {
  for (const Row& row : rows) {
    auto position = table.insert(row).first;
    if (numbers != nullptr) numbers->Add(*position);
  }
}

void InsertUnchecked(Tables& tables, const RegistryRows& rows,
                     const std::vector<ClientUserLink>& links) {
  UserNumbers users(rows.users);
  ClientNumbers clients(rows.clients);
  InsertEach(tables.apps, rows.apps);
  InsertEach(tables.users, rows.users, &users);
  InsertEach(tables.organizations, rows.organizations);
  InsertEach(tables.clients, rows.clients, &clients);
  FillAccountArrays(tables, links, users, clients);
  FillMemberArrays(links, CountMembers(links, clients), users, clients);
}

// The rows of a large load (hundreds of MB, much of it strings) have just
// been freed; malloc would keep those pages for later allocations that a
// registry, which now allocates little, never makes. Hand them back.
void ReturnFreedMemory() {
#if defined(__GLIBC__)
  ::malloc_trim(0);
#endif
}

void SetNextIds(Tables& tables, const RegistryRows& rows) {
  tables.next_app_id = NextId(rows.apps, rows.next_app_id);
  tables.next_organization_id = NextId(rows.organizations, rows.next_organization_id);
  tables.next_client_id = NextId(rows.clients, rows.next_client_id);
  tables.next_user_id = NextId(rows.users, rows.next_user_id);
}

}  // namespace

StatusOr<std::unique_ptr<Registry>> Registry::FromRows(RegistryRows rows, std::uint64_t sequence) {
  std::vector<ClientUserLink> sorted;
  const std::vector<ClientUserLink>& links = LinksByUser(rows.links, sorted);
  auto first = std::make_unique<Instance>();
  // Two steps on two cores: the tables, then the link arrays, which hold
  // the nodes of both ends.
  Tables& tables = first->tables;
  UserNumbers users(rows.users);
  ClientNumbers clients(rows.clients);
  std::vector<std::uint32_t> member_counts;
  std::future<bool> users_inserted =
      std::async(std::launch::async, [&] { return InsertUsers(tables, rows, users); });
  const bool others_inserted = InsertOthers(tables, rows, links, clients, member_counts);
  if (!users_inserted.get() || !others_inserted || !OrganizationReferencesExist(tables, rows)) {
    return FirstViolation(rows);
  }
  std::future<bool> accounts_filled = std::async(
      std::launch::async, [&] { return FillAccountArrays(tables, links, users, clients); });
  const bool members_filled = FillMemberArrays(links, member_counts, users, clients);
  if (!accounts_filled.get() || !members_filled) return FirstViolation(rows);
  SetNextIds(first->tables, rows);
  first->sequence = sequence;

  std::unique_ptr<Registry> registry(new Registry(std::move(first), std::make_unique<Instance>()));
  registry->standby_builder_ =
      std::thread([standby = registry->instances_[1].get(), rows = std::move(rows),
                   sorted = std::move(sorted), sequence]() mutable {
        // The rows passed every check above: insert them unchecked. No
        // reader or writer touches the standby before joining this thread.
        ReserveParents(standby->tables, rows);
        InsertUnchecked(standby->tables, rows, sorted.empty() ? rows.links : sorted);
        SetNextIds(standby->tables, rows);
        standby->sequence = sequence;
        rows = RegistryRows();
        sorted = std::vector<ClientUserLink>();
        ReturnFreedMemory();
      });
  return registry;
}

}  // namespace hubreg
