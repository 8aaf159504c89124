// Internal to the benchmark program: the floor for point lookups, plain
// std::unordered_map from each key to a copy of the row (one node per row,
// like a Boost.MultiIndex index, but one index per map and no integrity).
#pragma once

#include <string>
#include <string_view>
#include <unordered_map>

#include "hubreg/registry.h"

namespace hubreg::bench {

class HashMapRegistry {
 public:
  explicit HashMapRegistry(const RegistryRows& rows);

  const User* FindUser(Id id) const;
  const User* FindUserByExternalId(std::string_view external_id) const;
  // Folds the key to lower case first, as the stored keys are.
  const User* FindUserByEmail(std::string_view email) const;

 private:
  struct StringHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view text) const noexcept {
      return std::hash<std::string_view>{}(text);
    }
  };
  std::unordered_map<Id, User> by_id_;
  std::unordered_map<std::string, User, StringHash, std::equal_to<>> by_external_id_;
  std::unordered_map<std::string, User, StringHash, std::equal_to<>> by_email_;
};

}  // namespace hubreg::bench
