#include "dataset.h"

#include <array>
#include <cstdio>
#include <cstdlib>
#include <map>

#include "hubreg/generator.h"

namespace hubreg::bench {

std::string_view SizeName(Size size) {
  switch (size) {
    case Size::kS:
      return "S";
    case Size::kM:
      return "M";
    case Size::kL:
      return "L";
  }
  return "?";
}

gen::GeneratorOptions OptionsFor(Size size) {
  switch (size) {
    case Size::kS:
      return gen::SizeS();
    case Size::kM:
      return gen::SizeM();
    case Size::kL:
      return gen::SizeL();
  }
  return gen::SizeS();
}

std::uint64_t RawBytes(const User& user) {
  return sizeof user.id + user.external_id.size() + user.email.size() + user.name.size() +
         sizeof user.status + 2 * sizeof(Timestamp);
}

std::uint64_t RawBytes(const Client& client) {
  return sizeof client.id + sizeof client.threecolts_organization_id + client.external_id.size() +
         client.name.size() + client.db_host.size() + sizeof client.db_port +
         client.db_name.size() + client.db_user.size() + client.db_password.Reveal().size() +
         sizeof client.status + 2 * sizeof(Timestamp);
}

std::uint64_t RawBytes(const Organization& organization) {
  return 3 * sizeof(Id) + organization.external_id.size() + organization.name.size() +
         2 * sizeof(Timestamp);
}

std::uint64_t RawBytes(const App& app) {
  return sizeof app.id + app.name.size() + app.app_key.size() + sizeof app.environment +
         2 * sizeof(Timestamp);
}

std::uint64_t RawBytes(const ClientUserLink& link) {
  return sizeof link.client_id + sizeof link.user_id + sizeof link.created_at;
}

std::uint64_t RawBytes(const RegistryRows& rows) {
  std::uint64_t total = 0;
  for (const App& row : rows.apps) total += RawBytes(row);
  for (const Organization& row : rows.organizations) total += RawBytes(row);
  for (const Client& row : rows.clients) total += RawBytes(row);
  for (const User& row : rows.users) total += RawBytes(row);
  for (const ClientUserLink& row : rows.links) total += RawBytes(row);
  return total;
}

void WaitForStandbyCopy(Registry& registry) {
  // Id 0 is never a row's id, so this erase is always refused.
  const Status refused = registry.Erase<User>(kNoId);
  static_cast<void>(refused);
}

namespace {

// Flips the case of every letter, as a caller typing an address might.
std::string SwapCase(std::string text) {
  for (char& c : text) {
    if (c >= 'a' && c <= 'z') {
      c = static_cast<char>(c - 32);
    } else if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c + 32);
    }
  }
  return text;
}

QueryKeys MakeKeys(const RegistryRows& rows) {
  QueryKeys keys;
  std::vector<std::size_t> order(rows.users.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  Shuffle(order, 1);
  // Strings are built in the shuffled order, so that walking the key arrays
  // in order is sequential in memory and only the lookups themselves miss.
  for (std::size_t i : order) keys.user_ids.push_back(rows.users[i].id);
  for (std::size_t i : order) keys.user_external_ids.push_back(rows.users[i].external_id);
  for (std::size_t k = 0; k < order.size(); ++k) {
    const std::string& email = rows.users[order[k]].email;
    keys.user_emails.push_back(k % 2 == 0 ? email : SwapCase(email));
  }
  for (const Client& client : rows.clients) keys.client_ids.push_back(client.id);
  Shuffle(keys.client_ids, 2);
  for (const Organization& organization : rows.organizations) {
    keys.organization_ids.push_back(organization.id);
  }
  Shuffle(keys.organization_ids, 3);
  std::vector<std::size_t> links(rows.links.size());
  for (std::size_t i = 0; i < links.size(); ++i) links[i] = i;
  Shuffle(links, 4);
  // At most one access key per user is enough variety and bounds memory.
  links.resize(std::min(links.size(), rows.users.size()));
  keys.access.reserve(links.size());
  keys.links.reserve(links.size());
  for (std::size_t i : links) {
    const ClientUserLink& link = rows.links[i];
    keys.access.push_back(
        {rows.clients[link.client_id - 1].external_id, rows.users[link.user_id - 1].external_id});
    keys.links.push_back({link.client_id, link.user_id});
  }
  return keys;
}

}  // namespace

const Dataset& GetDataset(Size size) {
  static std::map<Size, std::unique_ptr<Dataset>> datasets;
  std::unique_ptr<Dataset>& slot = datasets[size];
  if (slot) return *slot;
  slot = std::make_unique<Dataset>();
  slot->size = size;
  slot->rows = gen::Generate(OptionsFor(size));
  slot->keys = MakeKeys(slot->rows);
  auto registry = Registry::FromRows(slot->rows, 1);
  if (!registry.ok()) {
    std::fprintf(stderr, "hubreg_bench: generated rows refused: %s\n",
                 registry.status().ToString().c_str());
    std::abort();
  }
  slot->registry = std::move(*registry);
  // Lookups are measured with nothing else running in the process.
  WaitForStandbyCopy(*slot->registry);
  return *slot;
}

}  // namespace hubreg::bench
