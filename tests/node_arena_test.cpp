// The arena the tables' nodes live in (core/include/hubreg/detail/node_arena.h):
// slots are reused, other sizes are passed on, containers built on it behave
// like any other, and a copied container owns its memory.
#include "hubreg/detail/node_arena.h"

#include <doctest/doctest.h>

#include <cstdint>
#include <cstring>
#include <set>
#include <string>

#include "hubreg/detail/tables.h"

namespace hubreg {
namespace {

using detail::ArenaAllocator;
using detail::NodeArena;

TEST_CASE("an arena hands out distinct slots and reuses freed ones") {
  NodeArena arena;
  std::set<void*> slots;
  for (int i = 0; i < 10000; ++i) {
    void* slot = arena.Allocate(40);
    std::memset(slot, 0xAB, 40);  // the whole slot is ours (ASan would object otherwise)
    CHECK(slots.insert(slot).second);
  }
  void* freed = *slots.begin();
  arena.Free(freed, 40);
  CHECK(arena.Allocate(40) == freed);
  // A freed slot is handed out again before fresh memory.
  for (void* slot : slots) arena.Free(slot, 40);
  std::set<void*> again;
  for (std::size_t i = 0; i < slots.size(); ++i) again.insert(arena.Allocate(40));
  CHECK(again == slots);
}

TEST_CASE("slots are pointer-aligned and sizes other than the first go to operator new") {
  NodeArena arena;
  void* node = arena.Allocate(13);  // fixes the slot size, rounded up to 16
  CHECK(reinterpret_cast<std::uintptr_t>(node) % alignof(void*) == 0);
  CHECK(arena.Allocate(16) != nullptr);  // the same rounded size: a slot
  const std::size_t mapped = arena.mapped_bytes();
  void* other = arena.Allocate(4096);  // not a slot
  std::memset(other, 0, 4096);
  CHECK(arena.mapped_bytes() == mapped);
  arena.Free(other, 4096);
}

TEST_CASE("Reserve maps room for the announced slots at once") {
  NodeArena arena;
  arena.Reserve(1000);  // slot size unknown yet: nothing to do
  CHECK(arena.mapped_bytes() == 0);
  arena.Allocate(64);
  const std::size_t before = arena.mapped_bytes();
  arena.Reserve(100000);
  CHECK(arena.mapped_bytes() >= before + 100000 * 64);
  const std::size_t reserved = arena.mapped_bytes();
  for (int i = 0; i < 100000; ++i) arena.Allocate(64);
  CHECK(arena.mapped_bytes() == reserved);  // no further mapping was needed
}

TEST_CASE("allocators share their arena when copied or rebound, not when a container is copied") {
  ArenaAllocator<int> ints;
  ArenaAllocator<double> doubles(ints);
  CHECK(ints == doubles);
  CHECK(&ints.arena() == &doubles.arena());
  CHECK(ints != ArenaAllocator<int>());
  CHECK(ints.select_on_container_copy_construction() != ints);
}

TEST_CASE("a table on arenas inserts, erases, rehashes and copies like any container") {
  detail::UserTable users;
  for (Id id = 1; id <= 5000; ++id) {
    User user;
    user.id = id;
    user.external_id = "u-" + std::to_string(id);
    user.email = "someone." + std::to_string(id) + "@example.com";
    REQUIRE(users.insert(user).second);
  }
  for (Id id = 1; id <= 5000; id += 2) users.get<detail::ById>().erase(id);
  CHECK(users.size() == 2500);

  detail::UserTable copy = users;  // must own its nodes: the original goes first
  CHECK(copy.get_allocator() != users.get_allocator());
  users.clear();
  users.rehash(0);
  CHECK(copy.size() == 2500);
  for (Id id = 2; id <= 5000; id += 2) {
    const auto& by_email = copy.get<detail::ByEmail>();
    auto found = by_email.find("SOMEONE." + std::to_string(id) + "@EXAMPLE.COM");
    REQUIRE(found != by_email.end());
    CHECK(found->id == id);
  }
  CHECK(copy.get<detail::ById>().count(1) == 0);
}

}  // namespace
}  // namespace hubreg
