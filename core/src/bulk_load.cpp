// Building a registry from complete tables (a snapshot). Both copies of the
// state are built at once, one per core: the first with every integrity
// check, the second with plain inserts; the second is dropped if the first
// finds a violation.
#include <boost/mpl/size.hpp>
#include <future>
#include <limits>
#include <string>
#include <utility>

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

// Sizing every bucket array up front avoids rehashing while loading.
template <typename Table>
void ReserveAll(Table& table, std::size_t rows) {
  constexpr std::size_t kIndexes = boost::mpl::size<typename Table::index_type_list>::value;
  ReserveEach(table, rows, std::make_index_sequence<kIndexes>());
}

void Reserve(Tables& tables, const RegistryRows& rows) {
  ReserveAll(tables.apps, rows.apps.size());
  ReserveAll(tables.organizations, rows.organizations.size());
  ReserveAll(tables.clients, rows.clients.size());
  ReserveAll(tables.users, rows.users.size());
  ReserveAll(tables.links, rows.links.size());
}

template <typename Row>
Id NextId(const std::vector<Row>& rows, Id given) {
  Id next = given == kNoId ? 1 : given;
  for (const Row& row : rows) {
    if (row.id >= next && row.id != std::numeric_limits<Id>::max()) next = row.id + 1;
  }
  return next;
}

// Inserts `rows` into `table`, checking each against the rows before it and
// against the tables it refers to. The error names the row's position.
template <typename Table, typename Row>
Status LoadChecked(Tables& tables, Table& table, const std::vector<Row>& rows,
                   std::string_view name) {
  for (std::size_t i = 0; i < rows.size(); ++i) {
    Status status = CheckRow(tables, rows[i], /*replacing=*/false);
    if (!status.ok()) {
      return status.WithContext(std::string(name) + " row " + std::to_string(i + 1));
    }
    table.insert(rows[i]);
  }
  return Status::Ok();
}

Status BuildChecked(Tables& tables, const RegistryRows& rows) {
  Reserve(tables, rows);
  // Parents before children, so every foreign key can be checked on insert.
  HUBREG_RETURN_IF_ERROR(LoadChecked(tables, tables.apps, rows.apps, kAppTable));
  HUBREG_RETURN_IF_ERROR(LoadChecked(tables, tables.users, rows.users, kUserTable));
  HUBREG_RETURN_IF_ERROR(
      LoadChecked(tables, tables.organizations, rows.organizations, kOrganizationTable));
  HUBREG_RETURN_IF_ERROR(LoadChecked(tables, tables.clients, rows.clients, kClientTable));
  HUBREG_RETURN_IF_ERROR(LoadChecked(tables, tables.links, rows.links, kClientUserTable));
  return Status::Ok();
}

void BuildUnchecked(Tables& tables, const RegistryRows& rows) {
  Reserve(tables, rows);
  tables.apps.insert(rows.apps.begin(), rows.apps.end());
  tables.users.insert(rows.users.begin(), rows.users.end());
  tables.organizations.insert(rows.organizations.begin(), rows.organizations.end());
  tables.clients.insert(rows.clients.begin(), rows.clients.end());
  tables.links.insert(rows.links.begin(), rows.links.end());
}

void SetNextIds(Tables& tables, const RegistryRows& rows) {
  tables.next_app_id = NextId(rows.apps, rows.next_app_id);
  tables.next_organization_id = NextId(rows.organizations, rows.next_organization_id);
  tables.next_client_id = NextId(rows.clients, rows.next_client_id);
  tables.next_user_id = NextId(rows.users, rows.next_user_id);
}

}  // namespace

StatusOr<std::unique_ptr<Registry>> Registry::FromRows(RegistryRows rows,
                                                       std::uint64_t sequence) {
  auto first = std::make_unique<Instance>();
  auto second = std::make_unique<Instance>();
  std::future<void> second_built = std::async(std::launch::async, [&] {
    BuildUnchecked(second->tables, rows);
  });
  Status checked = BuildChecked(first->tables, rows);
  second_built.get();
  if (!checked.ok()) return checked;

  for (Instance* instance : {first.get(), second.get()}) {
    SetNextIds(instance->tables, rows);
    instance->sequence = sequence;
  }
  return std::unique_ptr<Registry>(new Registry(std::move(first), std::move(second)));
}

}  // namespace hubreg
