#include "hashmap_baseline.h"

#include <algorithm>

namespace hubreg::bench {
namespace {

char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

template <typename Map, typename Key>
const User* FindIn(const Map& map, const Key& key) {
  auto it = map.find(key);
  return it == map.end() ? nullptr : &it->second;
}

}  // namespace

HashMapRegistry::HashMapRegistry(const RegistryRows& rows) {
  by_id_.reserve(rows.users.size());
  by_external_id_.reserve(rows.users.size());
  by_email_.reserve(rows.users.size());
  for (const User& user : rows.users) {
    by_id_.emplace(user.id, user);
    by_external_id_.emplace(user.external_id, user);
    std::string email = user.email;
    std::transform(email.begin(), email.end(), email.begin(), Lower);
    by_email_.emplace(std::move(email), user);
  }
}

const User* HashMapRegistry::FindUser(Id id) const { return FindIn(by_id_, id); }

const User* HashMapRegistry::FindUserByExternalId(std::string_view external_id) const {
  return FindIn(by_external_id_, external_id);
}

const User* HashMapRegistry::FindUserByEmail(std::string_view email) const {
  char folded[256];
  if (email.size() > sizeof folded) return nullptr;
  std::transform(email.begin(), email.end(), folded, Lower);
  return FindIn(by_email_, std::string_view(folded, email.size()));
}

}  // namespace hubreg::bench
