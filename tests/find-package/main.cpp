// Uses the installed headers and libraries of the core, persist and the C API.
#include <cstdio>

#include "hubreg/hubreg.h"
#include "hubreg/registry.h"
#include "hubreg/store.h"

int main() {
  hubreg::Registry registry;
  hubreg::User user;
  user.external_id = "u-1";
  user.email = "ann@example.com";
  auto id = registry.Insert(user);
  if (!id.ok() || registry.Read().FindUserByEmail("ANN@example.com") == nullptr) return 1;
  hubreg_registry* c_registry = nullptr;
  if (hubreg_open_memory(&c_registry) != HUBREG_OK) return 1;
  hubreg_close(c_registry);
  hubreg::StoreOptions options;  // only checks that store.h is installed and usable
  std::printf("consumer ok: user %llu, default data dir %s\n", static_cast<unsigned long long>(*id),
              options.path.c_str());
  return 0;
}
