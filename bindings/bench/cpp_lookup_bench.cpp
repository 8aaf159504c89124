// The C++ figure for bindings/bench: the same lookups as c_lookup_bench.c,
// through hubreg::View directly.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "hubreg/registry.h"

namespace {

double NowNs() {
  return std::chrono::duration<double, std::nano>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

int main(int argc, char** argv) {
  const long users = argc > 1 ? std::atol(argv[1]) : 100000;
  const long lookups = argc > 2 ? std::atol(argv[2]) : 1000000;
  hubreg::Registry registry;
  std::vector<std::string> keys;
  hubreg::Batch batch;
  for (long i = 0; i < users; ++i) {
    keys.push_back("U-" + std::to_string(i + 1));
    hubreg::User user;
    user.external_id = keys.back();
    user.email = "user" + std::to_string(i + 1) + "@example.com";
    user.name = keys.back();
    batch.Insert(std::move(user));
    if (batch.size() == 10000 || i + 1 == users) {
      auto applied = registry.Apply(batch);
      if (!applied.ok()) {
        std::fprintf(stderr, "%s\n", applied.status().ToString().c_str());
        return 1;
      }
      batch = hubreg::Batch();
    }
  }
  std::vector<long> order(lookups);
  unsigned long long state = 42;
  for (long i = 0; i < lookups; ++i) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    order[i] = static_cast<long>((state >> 33) % static_cast<unsigned long long>(users));
  }
  unsigned long long sum = 0;

  double start = NowNs();
  {
    hubreg::View view = registry.Read();
    for (long i = 0; i < lookups; ++i) {
      // C strings, as the C and Python callers have them.
      if (const hubreg::User* user = view.FindUserByExternalId(keys[order[i]].c_str())) {
        sum += user->id;
      }
    }
  }
  const double one_view = (NowNs() - start) / static_cast<double>(lookups);

  start = NowNs();
  for (long i = 0; i < lookups; ++i) {
    hubreg::View view = registry.Read();
    if (const hubreg::User* user = view.FindUserByExternalId(keys[order[i]].c_str())) {
      sum += user->id;
    }
  }
  const double view_each = (NowNs() - start) / static_cast<double>(lookups);

  std::printf("c++  find_user_by_external_id  one view:         %7.1f ns/lookup\n", one_view);
  std::printf("c++  find_user_by_external_id  view per lookup:  %7.1f ns/lookup\n", view_each);
  std::printf("(%ld users, %ld lookups, checksum %llu)\n", users, lookups, sum);
  return 0;
}
