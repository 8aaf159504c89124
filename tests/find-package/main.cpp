// Uses the installed headers and libraries of both layers.
#include <cstdio>

#include "hubreg/registry.h"
#include "hubreg/store.h"

int main() {
  hubreg::Registry registry;
  hubreg::User user;
  user.external_id = "u-1";
  user.email = "ann@example.com";
  auto id = registry.Insert(user);
  if (!id.ok() || registry.Read().FindUserByEmail("ANN@example.com") == nullptr) return 1;
  hubreg::StoreOptions options;  // only checks that store.h is installed and usable
  std::printf("consumer ok: user %llu, default data dir %s\n", static_cast<unsigned long long>(*id),
              options.path.c_str());
  return 0;
}
