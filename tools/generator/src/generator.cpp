// Builds the synthetic registry table by table, parents first. Each table
// draws from its own random stream, so the rows of one table do not depend on
// how many numbers another table consumed.
#include "hubreg/generator.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "random.h"

namespace hubreg::gen {
namespace {

constexpr std::array<std::string_view, 40> kFirstNames = {
    "Ann",   "Ben",   "Chloe", "David", "Emma",   "Felix", "Grace", "Hugo",  "Isla",  "Jonas",
    "Kate",  "Liam",  "Maya",  "Noah",  "Olivia", "Paul",  "Quinn", "Rosa",  "Sam",   "Tara",
    "Umar",  "Vera",  "Will",  "Xena",  "Yusuf",  "Zoe",   "Aiko",  "Bruno", "Carla", "Dmitri",
    "Elena", "Farid", "Gita",  "Hans",  "Ines",   "Jamal", "Keiko", "Lars",  "Mina",  "Nils"};
constexpr std::array<std::string_view, 40> kLastNames = {
    "Smith",   "Jones",  "Garcia",   "Muller",   "Rossi",   "Dubois", "Silva",    "Kowalski",
    "Novak",   "Tanaka", "Kim",      "Nguyen",   "Patel",   "Cohen",  "Larsen",   "Moreau",
    "Fischer", "Lopez",  "Brown",    "Wilson",   "Taylor",  "Clark",  "Lewis",    "Walker",
    "Young",   "Allen",  "King",     "Wright",   "Scott",   "Green",  "Baker",    "Adams",
    "Nelson",  "Hill",   "Campbell", "Mitchell", "Roberts", "Carter", "Phillips", "Evans"};
constexpr std::array<std::string_view, 12> kEmailDomains = {
    "example.com",      "mail.example.org", "corp.example.net", "shop.example.com",
    "example.co.uk",    "example.de",       "example.fr",       "example.io",
    "team.example.com", "example.es",       "example.it",       "example.nl"};
constexpr std::array<std::string_view, 24> kCompanyWords = {
    "Acme",    "Globex",   "Initech",   "Umbrella", "Stark",     "Wayne",
    "Hooli",   "Vandelay", "Wonka",     "Tyrell",   "Cyberdyne", "Soylent",
    "Massive", "Aperture", "Gringotts", "Oceanic",  "Nakatomi",  "Pied Piper",
    "Dunder",  "Prestige", "Monarch",   "Blue Sun", "Sirius",    "Zorg"};
constexpr std::array<std::string_view, 8> kCompanySuffixes = {
    "Retail", "Brands", "Trading", "Outlet", "Goods", "Supply", "Direct", "Market"};
constexpr std::array<std::string_view, 6> kRegions = {"eu-west-1", "eu-central-1",   "us-east-1",
                                                      "us-west-2", "ap-southeast-1", "sa-east-1"};
constexpr std::size_t kHostsPerRegion = 6;  // 36 database hosts in all
constexpr std::string_view kPasswordAlphabet =
    "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";

// Rows are created between 2019-01-01 and 2026-01-01.
constexpr std::int64_t kFirstCreatedSecond = 1'546'300'800;
constexpr std::int64_t kLastCreatedSecond = 1'767'225'600;
constexpr std::uint64_t kMicrosPerSecond = 1'000'000;

template <std::size_t kSize>
std::string_view Pick(Random& random, const std::array<std::string_view, kSize>& words) {
  return words[random.Below(kSize)];
}

// Appends `value` in decimal, zero-padded to at least `width` digits.
void AppendNumber(std::string& out, std::uint64_t value, std::size_t width = 0) {
  char digits[24];
  const auto [end, error] = std::to_chars(digits, digits + sizeof digits, value);
  const std::size_t length = static_cast<std::size_t>(end - digits);
  if (length < width) out.append(width - length, '0');
  out.append(digits, length);
}

// "usr_000123": the external-id form of 3C's exports.
std::string ExternalId(std::string_view prefix, std::uint64_t number) {
  std::string id;
  id.reserve(prefix.size() + 8);
  id.append(prefix);
  AppendNumber(id, number, 6);
  return id;
}

Timestamp MicrosToTimestamp(std::uint64_t micros) {
  return Timestamp(std::chrono::microseconds(static_cast<std::int64_t>(micros)));
}

std::uint64_t RandomCreatedMicros(Random& random) {
  const std::uint64_t first = static_cast<std::uint64_t>(kFirstCreatedSecond) * kMicrosPerSecond;
  const std::uint64_t span =
      static_cast<std::uint64_t>(kLastCreatedSecond - kFirstCreatedSecond) * kMicrosPerSecond;
  return first + random.Below(span);
}

// created_at, and an updated_at at or after it.
std::pair<Timestamp, Timestamp> RandomTimes(Random& random) {
  const std::uint64_t created = RandomCreatedMicros(random);
  const std::uint64_t last = static_cast<std::uint64_t>(kLastCreatedSecond) * kMicrosPerSecond;
  const std::uint64_t updated = random.Chance(300) ? created : random.Between(created, last);
  return {MicrosToTimestamp(created), MicrosToTimestamp(updated)};
}

std::string CompanyName(Random& random, std::uint64_t number) {
  std::string name(Pick(random, kCompanyWords));
  name += ' ';
  name += Pick(random, kCompanySuffixes);
  name += ' ';
  AppendNumber(name, number);
  return name;
}

// Mixed case as people type it: "Ann.Smith12@example.com",
// "ann.smith12@Example.COM", now and then all capitals.
std::string Email(Random& random, std::string_view first, std::string_view last,
                  std::uint64_t number) {
  std::string email;
  email.reserve(first.size() + last.size() + 28);
  email.append(first).append(".").append(last);
  AppendNumber(email, number);
  email += '@';
  const std::size_t domain_start = email.size();
  email.append(Pick(random, kEmailDomains));
  const std::uint64_t style = random.Below(100);
  auto to_lower = [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; };
  auto to_upper = [](char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 32) : c; };
  if (style < 40) {
    std::transform(email.begin(), email.begin() + static_cast<std::ptrdiff_t>(domain_start),
                   email.begin(), to_lower);
  } else if (style < 55) {
    email[domain_start] = to_upper(email[domain_start]);
  } else if (style < 60) {
    std::transform(email.begin(), email.end(), email.begin(), to_upper);
  }
  return email;
}

std::vector<App> GenerateApps(std::size_t count, Random random) {
  std::vector<App> apps(count);
  for (std::size_t i = 0; i < count; ++i) {
    App& app = apps[i];
    app.id = i + 1;
    app.environment = i % 2 == 0 ? Environment::kStage : Environment::kProd;
    const std::string env(ToString(app.environment));
    app.name = "hub_alpha " + env;
    app.app_key = "hub_alpha_" + env;
    if (i >= 2) AppendNumber(app.app_key += '_', i / 2 + 1);
    std::tie(app.created_at, app.updated_at) = RandomTimes(random);
  }
  return apps;
}

// Organization of each account: accounts come in contiguous id ranges per
// organization (as if each organization created its accounts together), with
// sizes skewed so that a few organizations hold many accounts. Every
// organization gets at least one account when there are enough.
std::vector<Id> AccountOrganizations(std::size_t clients, std::size_t organizations,
                                     Random random) {
  std::vector<Id> organization_of(clients, kNoId);
  if (organizations == 0) return organization_of;
  std::vector<std::size_t> sizes(organizations, clients >= organizations ? 1 : 0);
  std::size_t assigned = clients >= organizations ? organizations : 0;
  for (; assigned < clients; ++assigned) {
    // The square of a uniform number piles the draws up at the front.
    const double u = random.Unit();
    ++sizes[static_cast<std::size_t>(u * u * static_cast<double>(organizations))];
  }
  std::size_t next = 0;
  for (std::size_t o = 0; o < organizations; ++o) {
    for (std::size_t k = 0; k < sizes[o]; ++k) organization_of[next++] = o + 1;
  }
  return organization_of;
}

std::vector<Client> GenerateClients(const std::vector<Id>& organization_of, Random random) {
  std::vector<Client> clients(organization_of.size());
  for (std::size_t i = 0; i < clients.size(); ++i) {
    Client& client = clients[i];
    const Id id = i + 1;
    client.id = id;
    client.threecolts_organization_id = organization_of[i];
    client.external_id = ExternalId("acc_", id);
    client.name = CompanyName(random, id);
    const std::size_t host = random.Below(kRegions.size() * kHostsPerRegion);
    client.db_host = "pg-";
    AppendNumber(client.db_host, host % kHostsPerRegion + 1, 2);
    client.db_host.append(".").append(kRegions[host / kHostsPerRegion]).append(".db.hub.internal");
    const std::uint64_t port_kind = random.Below(10);
    client.db_port = port_kind < 7 ? 5432 : port_kind < 9 ? 6432 : 3306;
    client.db_name = ExternalId("acct_", id);
    client.db_user = ExternalId("svc_", id);
    std::string password(24, '\0');
    for (char& c : password) c = kPasswordAlphabet[random.Below(kPasswordAlphabet.size())];
    client.db_password = std::move(password);
    client.status = random.Chance(20) ? RecordStatus::kDisabled : RecordStatus::kActive;
    std::tie(client.created_at, client.updated_at) = RandomTimes(random);
  }
  return clients;
}

std::vector<User> GenerateUsers(std::size_t count, Random random) {
  std::vector<User> users(count);
  for (std::size_t i = 0; i < count; ++i) {
    User& user = users[i];
    const Id id = i + 1;
    user.id = id;
    user.external_id = ExternalId("usr_", id);
    const std::string_view first = Pick(random, kFirstNames);
    const std::string_view last = Pick(random, kLastNames);
    // The id in the address keeps emails unique, case aside.
    user.email = Email(random, first, last, id);
    user.name.reserve(first.size() + last.size() + 1);
    user.name.append(first).append(" ").append(last);
    user.status = random.Chance(30) ? RecordStatus::kDisabled : RecordStatus::kActive;
    std::tie(user.created_at, user.updated_at) = RandomTimes(random);
  }
  return users;
}

// Owners are spread evenly over the users, so that they are mostly distinct.
std::size_t OwnerIndex(std::size_t organization_index, std::size_t organizations,
                       std::size_t users) {
  return organization_index * users / organizations;
}

std::vector<Organization> GenerateOrganizations(std::size_t count, const std::vector<App>& apps,
                                                std::size_t users, Random random) {
  std::vector<Organization> organizations(count);
  for (std::size_t i = 0; i < count; ++i) {
    Organization& organization = organizations[i];
    const Id id = i + 1;
    organization.id = id;
    // Four organizations in five live in a prod app.
    std::size_t app = random.Below(apps.size());
    if (apps[app].environment == Environment::kStage && app + 1 < apps.size() &&
        !random.Chance(200)) {
      ++app;
    }
    organization.threecolts_app_id = apps[app].id;
    organization.organization_owner_id = OwnerIndex(i, count, users) + 1;
    organization.external_id = ExternalId("org_", id);
    organization.name = CompanyName(random, id);
    std::tie(organization.created_at, organization.updated_at) = RandomTimes(random);
  }
  return organizations;
}

// How many accounts each user is linked to: a few heavy users (one in 2,000)
// with hundreds, the rest with a handful, summing exactly to `links`.
std::vector<std::size_t> LinkCounts(std::size_t users, std::size_t clients, std::size_t links,
                                    Random& random) {
  std::vector<std::size_t> counts(users, 0);
  // Heavy users only where they fit the shape; the exact sum below then
  // always has room between the per-user minimum and maximum.
  const std::size_t heavy_users = clients >= 1000 && links <= users * 10 ? users / 2000 : 0;
  std::vector<bool> heavy(users, false);
  std::size_t heavy_links = 0;
  const std::size_t heavy_budget = links / 10;
  for (std::size_t k = 0; k < heavy_users; ++k) {
    const std::size_t stride = users / heavy_users;
    const std::size_t user = k * stride + random.Below(stride);
    const std::size_t count = std::min<std::size_t>(clients, random.Between(100, 800));
    if (heavy_links + count > heavy_budget) break;
    heavy[user] = true;
    counts[user] = count;
    heavy_links += count;
  }
  const std::size_t regular_users =
      users - static_cast<std::size_t>(std::count(heavy.begin(), heavy.end(), true));
  if (regular_users == 0) return counts;
  const std::size_t target = links - heavy_links;
  // Everyone has at least one account when there are links enough.
  const std::size_t minimum = target >= regular_users ? 1 : 0;
  const std::size_t maximum =
      std::min<std::size_t>(clients, std::max<std::size_t>(5, target / regular_users + 2));
  const std::size_t mean = target / regular_users;
  const std::size_t low = std::max(minimum, mean >= 2 ? mean - 2 : minimum);
  const std::size_t high = std::min(maximum, std::max(low, mean + 2));
  std::size_t total = 0;
  for (std::size_t u = 0; u < users; ++u) {
    if (heavy[u]) continue;
    counts[u] = random.Between(low, high);
    total += counts[u];
  }
  // Walk from a random user, nudging counts by one until the sum is exact;
  // [minimum, maximum] always has room because minimum <= mean <= maximum.
  for (std::size_t u = random.Below(users); total != target; u = (u + 1) % users) {
    if (heavy[u]) continue;
    if (total < target && counts[u] < maximum) {
      ++counts[u];
      ++total;
    } else if (total > target && counts[u] > minimum) {
      --counts[u];
      --total;
    }
  }
  return counts;
}

// Each user's accounts are a contiguous window of account ids (wrapping), so
// they are distinct and mostly within one organization; an organization's
// owner's window starts at the organization's first account.
std::vector<ClientUserLink> GenerateLinks(const std::vector<User>& users,
                                          const std::vector<Client>& clients,
                                          const std::vector<Organization>& organizations,
                                          std::size_t links, Random random) {
  std::vector<ClientUserLink> result;
  if (users.empty() || clients.empty()) return result;
  const std::vector<std::size_t> counts = LinkCounts(users.size(), clients.size(), links, random);
  std::vector<std::size_t> window_start(users.size());
  for (std::size_t& start : window_start) start = random.Below(clients.size());
  for (std::size_t c = clients.size(); c-- > 0;) {
    const Id organization = clients[c].threecolts_organization_id;
    if (organization == kNoId) continue;
    window_start[OwnerIndex(organization - 1, organizations.size(), users.size())] = c;
  }
  result.reserve(links);
  for (std::size_t u = 0; u < users.size(); ++u) {
    for (std::size_t k = 0; k < counts[u]; ++k) {
      const Client& client = clients[(window_start[u] + k) % clients.size()];
      ClientUserLink link;
      link.client_id = client.id;
      link.user_id = users[u].id;
      // A link is made after both of its rows.
      const Timestamp after = std::max(client.created_at, users[u].created_at);
      const std::uint64_t last = static_cast<std::uint64_t>(kLastCreatedSecond) * kMicrosPerSecond;
      const std::uint64_t from = static_cast<std::uint64_t>(after.time_since_epoch().count());
      link.created_at = MicrosToTimestamp(random.Between(from, std::max(from, last)));
      result.push_back(link);
    }
  }
  return result;
}

}  // namespace

RegistryRows Generate(const GeneratorOptions& options) {
  Random root(options.seed);
  Random app_random = root.Fork(1);
  Random organization_random = root.Fork(2);
  Random layout_random = root.Fork(3);
  Random client_random = root.Fork(4);
  Random user_random = root.Fork(5);
  Random link_random = root.Fork(6);

  const std::size_t organizations =
      options.apps == 0 || options.users == 0 ? 0 : options.organizations;
  const std::size_t links = std::min<std::size_t>(options.links, options.users * options.clients);

  RegistryRows rows;
  rows.apps = GenerateApps(options.apps, app_random);
  rows.users = GenerateUsers(options.users, user_random);
  rows.organizations =
      GenerateOrganizations(organizations, rows.apps, options.users, organization_random);
  rows.clients = GenerateClients(
      AccountOrganizations(options.clients, organizations, layout_random), client_random);
  rows.links = GenerateLinks(rows.users, rows.clients, rows.organizations, links, link_random);
  return rows;
}

}  // namespace hubreg::gen
