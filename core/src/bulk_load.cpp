// Building a registry from complete tables (a snapshot), fast: start-up time
// is what latency-sensitive services that restart often pay.
//
// The first copy of the state is built on two cores at once: one thread
// inserts the users and then fills each user's array of accounts, the other
// inserts every other table and then each account's array of users. Links
// are taken in (user, client) order, as snapshots hold them (other inputs are
// sorted first), so a user's accounts are one run of the input, copied into
// its array, and each account's users arrive in id order: a counting pass
// sizes the account arrays, a second pass appends to them. Unique keys are
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

// Fills every user's array from its run of `links` (in (user, client)
// order); false on a link to a missing user or a pair given twice.
bool FillAccountArrays(Tables& tables, const std::vector<ClientUserLink>& links) {
  for (auto run = links.begin(); run != links.end();) {
    const Id user_id = run->user_id;
    auto run_end = std::find_if(
        run, links.end(), [user_id](const ClientUserLink& l) { return l.user_id != user_id; });
    const StoredUser* user = FindStoredUser(tables, user_id);
    if (user == nullptr) return false;
    user->accounts.reserve(static_cast<std::size_t>(run_end - run));
    for (auto link = run; link != run_end; ++link) {
      if (link != run && std::prev(link)->client_id == link->client_id) return false;
      user->accounts.push_back({link->client_id, link->created_at});
    }
    run = run_end;
  }
  tables.link_count = links.size();
  return true;
}

// The clients of a state by a dense number: their id where ids are dense (a
// registry's are: counters), else an order of their own.
class ClientNumbers {
 public:
  explicit ClientNumbers(const ClientTable& clients) {
    Id largest = 0;
    for (const StoredClient& client : clients) largest = std::max(largest, client.id);
    dense_ = largest <= 2 * clients.size() + 1024;
    nodes_.assign(dense_ ? largest + 1 : clients.size(), nullptr);
    for (const StoredClient& client : clients) {
      std::size_t number = client.id;
      if (!dense_) number = sparse_.emplace(client.id, sparse_.size()).first->second;
      nodes_[number] = &client;
    }
  }
  std::size_t size() const { return nodes_.size(); }
  // The number of the client with `id`, or size() if there is none.
  std::size_t Of(Id id) const {
    if (dense_) return id < nodes_.size() && nodes_[id] != nullptr ? id : nodes_.size();
    auto it = sparse_.find(id);
    return it == sparse_.end() ? nodes_.size() : it->second;
  }
  const StoredClient& Node(std::size_t number) const { return *nodes_[number]; }

 private:
  bool dense_ = true;
  std::vector<const StoredClient*> nodes_;
  std::unordered_map<Id, std::size_t> sparse_;
};

// Fills every account's array from `links` (in (user, client) order, so each
// account's users come in id order): counts first, so each array is
// allocated once at its size. False on a link to a missing account.
bool FillMemberArrays(Tables& tables, const std::vector<ClientUserLink>& links) {
  const ClientNumbers numbers(tables.clients);
  std::vector<std::uint32_t> counts(numbers.size(), 0);
  for (const ClientUserLink& link : links) {
    const std::size_t number = numbers.Of(link.client_id);
    if (number == numbers.size()) return false;
    ++counts[number];
  }
  for (std::size_t number = 0; number < counts.size(); ++number) {
    if (counts[number] != 0) numbers.Node(number).users.reserve(counts[number]);
  }
  for (const ClientUserLink& link : links) {
    numbers.Node(numbers.Of(link.client_id)).users.push_back(link.user_id);
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
// `check_references`) a dangling foreign key.
template <typename Table, typename Row>
bool InsertAll(const Tables& tables, Table& table, const std::vector<Row>& rows,
               bool check_references) {
  for (const Row& row : rows) {
    if (!PassesAllButUniqueKeys(tables, row, check_references)) return false;
    if (!table.insert(row).second) return false;
  }
  return true;
}

bool InsertUsersAndAccounts(Tables& tables, const RegistryRows& rows,
                            const std::vector<ClientUserLink>& links) {
  ReserveAll(tables.users, rows.users.size());
  return InsertAll(tables, tables.users, rows.users, false) && FillAccountArrays(tables, links);
}

// Organizations name their owner, a user, which the other thread inserts:
// their references are checked once both are done.
bool InsertOthersAndMembers(Tables& tables, const RegistryRows& rows,
                            const std::vector<ClientUserLink>& links) {
  ReserveAll(tables.apps, rows.apps.size());
  ReserveAll(tables.organizations, rows.organizations.size());
  ReserveAll(tables.clients, rows.clients.size());
  return InsertAll(tables, tables.apps, rows.apps, false) &&
         InsertAll(tables, tables.organizations, rows.organizations, false) &&
         InsertAll(tables, tables.clients, rows.clients, true) && FillMemberArrays(tables, links);
}

bool OrganizationReferencesExist(const Tables& tables, const RegistryRows& rows) {
  return std::all_of(rows.organizations.begin(), rows.organizations.end(),
                     [&](const Organization& organization) {
                       return PassesAllButUniqueKeys(tables, organization, true);
                     });
}

template <typename Table, typename Row>
void InsertEach(Table& table, const std::vector<Row>& rows) {
  for (const Row& row : rows) table.insert(row);
}

void InsertUnchecked(Tables& tables, const RegistryRows& rows,
                     const std::vector<ClientUserLink>& links) {
  InsertEach(tables.apps, rows.apps);
  InsertEach(tables.users, rows.users);
  InsertEach(tables.organizations, rows.organizations);
  InsertEach(tables.clients, rows.clients);
  FillAccountArrays(tables, links);
  FillMemberArrays(tables, links);
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
  std::future<bool> users_inserted = std::async(
      std::launch::async, [&] { return InsertUsersAndAccounts(first->tables, rows, links); });
  const bool others_valid = InsertOthersAndMembers(first->tables, rows, links);
  if (!users_inserted.get() || !others_valid || !OrganizationReferencesExist(first->tables, rows)) {
    return FirstViolation(rows);
  }
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
