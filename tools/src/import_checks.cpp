// The rules between rows of an import: unique ids and keys, references.
// Each offending row is reported with where it is, and where the key it
// clashes with was first seen.
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "importer.h"

namespace hubreg::cli {
namespace {

// Unique keys seen so far, with where each was first seen.
template <typename Key, typename Hash = std::hash<Key>>
using Seen = std::unordered_map<Key, RowOrigin, Hash>;

struct PairHash {
  std::size_t operator()(const std::pair<Id, Id>& p) const noexcept {
    return std::hash<Id>{}(p.first * 0x9E3779B97F4A7C15ull ^ p.second);
  }
};
struct AppKeyHash {
  std::size_t operator()(const std::pair<Id, std::string>& p) const noexcept {
    return std::hash<std::string>{}(p.second) ^ (p.first * 0x9E3779B97F4A7C15ull);
  }
};

std::string Lower(std::string_view text) {
  std::string lower(text);
  for (char& c : lower) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return lower;
}

class Checker {
 public:
  Checker(const ImportedRows& imported, std::vector<RowError>* errors)
      : imported_(imported), errors_(errors) {}

  void Error(RowOrigin origin, std::string column, std::string reason) {
    errors_->push_back(
        {imported_.files[origin.file], origin.line, std::move(column), std::move(reason)});
  }
  std::string Where(RowOrigin origin) const {
    return imported_.files[origin.file] + ":" + std::to_string(origin.line);
  }

  // Records `key`; reports and returns false when it was seen before.
  template <typename Map, typename Key>
  bool Unique(Map& seen, Key key, RowOrigin origin, const std::string& column,
              const std::string& shown) {
    const auto [it, inserted] = seen.emplace(std::move(key), origin);
    if (inserted) return true;
    Error(origin, column, shown + " is already used at " + Where(it->second));
    return false;
  }

 private:
  const ImportedRows& imported_;
  std::vector<RowError>* errors_;
};

}  // namespace

void CheckImport(const ImportedRows& imported, const View& existing,
                 std::vector<RowError>* errors) {
  Checker check(imported, errors);
  const RegistryRows& rows = imported.rows;
  const auto id_text = [](Id id) { return std::to_string(id); };
  const auto in_registry = [](std::string shown) {
    return shown + " already exists in the registry";
  };

  std::unordered_set<Id> app_ids;
  {
    Seen<Id> ids;
    Seen<std::string> keys;
    for (std::size_t i = 0; i < rows.apps.size(); ++i) {
      const App& app = rows.apps[i];
      const RowOrigin at = imported.app_origins[i];
      if (existing.FindApp(app.id)) {
        check.Error(at, "id", in_registry(id_text(app.id)));
      } else {
        check.Unique(ids, app.id, at, "id", id_text(app.id));
      }
      if (existing.FindAppByKey(app.app_key)) {
        check.Error(at, "app_key", in_registry(QuoteValue(app.app_key)));
      } else {
        check.Unique(keys, app.app_key, at, "app_key", QuoteValue(app.app_key));
      }
      app_ids.insert(app.id);
    }
  }
  std::unordered_set<Id> user_ids;
  {
    Seen<Id> ids;
    Seen<std::string> external_ids, emails;
    ids.reserve(rows.users.size());
    external_ids.reserve(rows.users.size());
    emails.reserve(rows.users.size());
    user_ids.reserve(rows.users.size());
    for (std::size_t i = 0; i < rows.users.size(); ++i) {
      const User& user = rows.users[i];
      const RowOrigin at = imported.user_origins[i];
      if (existing.FindUser(user.id)) {
        check.Error(at, "id", in_registry(id_text(user.id)));
      } else {
        check.Unique(ids, user.id, at, "id", id_text(user.id));
      }
      if (existing.FindUserByExternalId(user.external_id)) {
        check.Error(at, "external_id", in_registry(QuoteValue(user.external_id)));
      } else {
        check.Unique(external_ids, user.external_id, at, "external_id",
                     QuoteValue(user.external_id));
      }
      if (existing.FindUserByEmail(user.email)) {
        check.Error(at, "email", in_registry(QuoteValue(user.email)));
      } else {
        check.Unique(emails, Lower(user.email), at, "email", QuoteValue(user.email));
      }
      user_ids.insert(user.id);
    }
  }
  const auto app_exists = [&](Id id) { return app_ids.count(id) || existing.FindApp(id); };
  const auto user_exists = [&](Id id) { return user_ids.count(id) || existing.FindUser(id); };
  const auto missing = [&](Id id, std::string_view table) {
    return id_text(id) + " does not exist in " + std::string(table);
  };

  std::unordered_set<Id> organization_ids;
  {
    Seen<Id> ids;
    Seen<std::pair<Id, std::string>, AppKeyHash> keys;
    for (std::size_t i = 0; i < rows.organizations.size(); ++i) {
      const Organization& org = rows.organizations[i];
      const RowOrigin at = imported.organization_origins[i];
      if (existing.FindOrganization(org.id)) {
        check.Error(at, "id", in_registry(id_text(org.id)));
      } else {
        check.Unique(ids, org.id, at, "id", id_text(org.id));
      }
      if (!app_exists(org.threecolts_app_id)) {
        check.Error(at, "threecolts_app_id", missing(org.threecolts_app_id, kAppTable));
      }
      if (!user_exists(org.organization_owner_id)) {
        check.Error(at, "organization_owner_id", missing(org.organization_owner_id, kUserTable));
      }
      if (existing.FindOrganizationByExternalId(org.threecolts_app_id, org.external_id)) {
        check.Error(at, "external_id",
                    in_registry(QuoteValue(org.external_id) + " in threecolts_app " +
                                id_text(org.threecolts_app_id)));
      } else {
        check.Unique(
            keys, std::make_pair(org.threecolts_app_id, org.external_id), at, "external_id",
            QuoteValue(org.external_id) + " in threecolts_app " + id_text(org.threecolts_app_id));
      }
      organization_ids.insert(org.id);
    }
  }
  std::unordered_set<Id> client_ids;
  {
    Seen<Id> ids;
    Seen<std::string> external_ids;
    for (std::size_t i = 0; i < rows.clients.size(); ++i) {
      const Client& client = rows.clients[i];
      const RowOrigin at = imported.client_origins[i];
      if (existing.FindClient(client.id)) {
        check.Error(at, "id", in_registry(id_text(client.id)));
      } else {
        check.Unique(ids, client.id, at, "id", id_text(client.id));
      }
      const Id org = client.threecolts_organization_id;
      if (org != kNoId && !organization_ids.count(org) && !existing.FindOrganization(org)) {
        check.Error(at, "threecolts_organization_id", missing(org, kOrganizationTable));
      }
      // A client row holds a password, and a file whose columns are not
      // where its header says may have it here: the line says which value.
      if (existing.FindClientByExternalId(client.external_id)) {
        check.Error(at, "external_id", in_registry("the value"));
      } else {
        check.Unique(external_ids, client.external_id, at, "external_id", "the value");
      }
      client_ids.insert(client.id);
    }
  }
  {
    Seen<std::pair<Id, Id>, PairHash> pairs;
    pairs.reserve(rows.links.size());
    for (std::size_t i = 0; i < rows.links.size(); ++i) {
      const ClientUserLink& link = rows.links[i];
      const RowOrigin at = imported.link_origins[i];
      const bool client_known =
          client_ids.count(link.client_id) || existing.FindClient(link.client_id);
      const bool user_known = user_exists(link.user_id);
      if (!client_known) check.Error(at, "client_id", missing(link.client_id, kClientTable));
      if (!user_known) check.Error(at, "user_id", missing(link.user_id, kUserTable));
      const std::string shown =
          "link (" + id_text(link.client_id) + ", " + id_text(link.user_id) + ")";
      if (existing.HasLink(link.client_id, link.user_id)) {
        check.Error(at, "user_id", in_registry(shown));
      } else {
        check.Unique(pairs, std::make_pair(link.client_id, link.user_id), at, "user_id", shown);
      }
    }
  }
}

}  // namespace hubreg::cli
