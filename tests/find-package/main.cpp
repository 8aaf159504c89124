// A C++ program against an installed hubreg: the core in memory, persist on
// disk (the data directory named by argv[1]) and sync (libpq underneath).
#include <cstdio>
#include <string>

#include "hubreg/follower.h"
#include "hubreg/lsn.h"
#include "hubreg/registry.h"
#include "hubreg/store.h"

namespace {

int Fail(const char* what) {
  std::fprintf(stderr, "consumer: %s\n", what);
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) return Fail("usage: consumer DATA_DIR");

  hubreg::Registry registry;
  hubreg::User user;
  user.external_id = "u-1";
  user.email = "ann@example.com";
  auto id = registry.Insert(user);
  if (!id.ok()) return Fail("core: insert failed");
  if (registry.Read().FindUserByEmail("ANN@example.com") == nullptr) return Fail("core: lookup");

  hubreg::StoreOptions options;
  options.path = argv[1];
  auto store = hubreg::Store::Open(options);
  if (!store.ok()) return Fail("persist: open failed");
  hubreg::Batch batch;
  batch.Insert(user);
  if (!(*store)->Apply(batch).ok()) return Fail("persist: apply failed");
  store->reset();
  auto reopened = hubreg::Store::Open(options);
  if (!reopened.ok()) return Fail("persist: reopen failed");
  if ((*reopened)->Read().FindUserByEmail("ann@example.com") == nullptr) {
    return Fail("persist: the user did not survive a reopen");
  }

  auto follow_state = hubreg::ReadFollowState(**reopened);
  if (!follow_state.ok() || follow_state->has_value()) return Fail("sync: follow state");
  auto lsn = hubreg::ParseLsn("16/B374D848");
  if (!lsn || hubreg::FormatLsn(*lsn) != "16/B374D848") return Fail("sync: LSN round trip");
  // Goes through libpq, which must refuse: there is no server in that directory.
  if (hubreg::DropFollowerSlot("host=/nonexistent port=1 dbname=none", "slot").ok()) {
    return Fail("sync: dropping a slot on no server succeeded");
  }

  std::printf("consumer ok: core, persist and sync\n");
  return 0;
}
