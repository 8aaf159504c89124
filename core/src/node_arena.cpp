#include "hubreg/detail/node_arena.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <new>

// Under AddressSanitizer, free slots are poisoned so that a use after free
// inside the arena is still reported.
#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define HUBREG_POISON(address, bytes) ASAN_POISON_MEMORY_REGION(address, bytes)
#define HUBREG_UNPOISON(address, bytes) ASAN_UNPOISON_MEMORY_REGION(address, bytes)
#else
#define HUBREG_POISON(address, bytes) static_cast<void>(0)
#define HUBREG_UNPOISON(address, bytes) static_cast<void>(0)
#endif

namespace hubreg::detail {
namespace {

// Mappings start small (tests and small registries create many tables) and
// double with the arena's size, so a table of n nodes has O(log n) of them.
constexpr std::size_t kFirstMappingBytes = 64 * 1024;
constexpr std::size_t kLargestMappingBytes = 256 * 1024 * 1024;
// Pages of a mapping grown into one by one are populated this many bytes at
// a time, ahead of the bump pointer: one madvise call instead of a page
// fault per page, which on a paravirtualised guest costs several
// microseconds (a registry growing by inserts, such as a follower's).
constexpr std::size_t kPopulateAheadBytes = 256 * 1024;

std::size_t RoundUp(std::size_t value, std::size_t multiple) {
  return (value + multiple - 1) / multiple * multiple;
}

std::size_t PageBytes() {
  static const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  return page;
}

}  // namespace

NodeArena::~NodeArena() {
  for (const Mapping& mapping : mappings_) {
    HUBREG_UNPOISON(mapping.base, mapping.bytes);
    ::munmap(mapping.base, mapping.bytes);
  }
}

void* NodeArena::Allocate(std::size_t bytes) {
  if (slot_bytes_ == 0) slot_bytes_ = RoundUp(std::max(bytes, sizeof(FreeSlot)), alignof(void*));
  if (RoundUp(std::max(bytes, sizeof(FreeSlot)), alignof(void*)) != slot_bytes_) {
    return ::operator new(bytes);
  }
  if (free_ != nullptr) {
    FreeSlot* slot = free_;
    HUBREG_UNPOISON(slot, slot_bytes_);
    free_ = slot->next;
    return slot;
  }
  if (static_cast<std::size_t>(end_ - next_) < slot_bytes_) {
    const std::size_t grow = std::clamp(mapped_bytes_, kFirstMappingBytes, kLargestMappingBytes);
    Map(std::max(grow, slot_bytes_), /*populate=*/false);
  }
  if (next_ + slot_bytes_ > populated_) PopulateAhead();
  void* slot = next_;
  next_ += slot_bytes_;
  return slot;
}

void NodeArena::Free(void* slot, std::size_t bytes) noexcept {
  if (slot == nullptr) return;
  if (RoundUp(std::max(bytes, sizeof(FreeSlot)), alignof(void*)) != slot_bytes_) {
    ::operator delete(slot);
    return;
  }
  auto* freed = static_cast<FreeSlot*>(slot);
  freed->next = free_;
  free_ = freed;
  HUBREG_POISON(slot, slot_bytes_);
}

void NodeArena::Reserve(std::size_t slots) {
  if (slot_bytes_ == 0 || slots == 0) return;
  const auto room = static_cast<std::size_t>(end_ - next_) / slot_bytes_;
  if (room >= slots) return;
  Map(slots * slot_bytes_, /*populate=*/true);
}

void NodeArena::Map(std::size_t bytes, bool populate) {
  bytes = RoundUp(bytes, PageBytes());
  const int flags = MAP_PRIVATE | MAP_ANONYMOUS | (populate ? MAP_POPULATE : 0);
  void* base = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, flags, -1, 0);
  if (base == MAP_FAILED) throw std::bad_alloc();
  mappings_.push_back({base, bytes});
  mapped_bytes_ += bytes;
  // What is left of the previous mapping is abandoned until the arena goes:
  // address space only, as pages never touched are never made resident.
  next_ = static_cast<char*>(base);
  end_ = next_ + bytes;
  populated_ = populate ? end_ : next_;
}

void NodeArena::PopulateAhead() noexcept {
  const std::size_t bytes =
      std::min(static_cast<std::size_t>(end_ - populated_),
               RoundUp(std::max(kPopulateAheadBytes, slot_bytes_), PageBytes()));
#ifdef MADV_POPULATE_WRITE
  // Best effort: where it fails (a kernel before 5.14), pages fault in as
  // they are first written.
  ::madvise(populated_, bytes, MADV_POPULATE_WRITE);
#endif
  populated_ += bytes;
}

}  // namespace hubreg::detail
