// Internal: where the tables' Boost.MultiIndex nodes live.
//
// A container allocates every node with one size, one at a time, so its
// nodes can be carved from large mappings instead of one malloc call each:
// no call into malloc and no malloc header per node (8 to 16 bytes), the
// nodes of a table packed together, and, when the number of rows is known in
// advance (a bulk load), one mapping populated by the kernel in one go
// instead of a page fault per 4 KiB. Freed nodes are reused; the memory goes
// back to the system when the container is destroyed.
#pragma once

#include <cstddef>
#include <memory>
#include <type_traits>
#include <vector>

namespace hubreg::detail {

// Fixed-size slots. Not thread-safe: one container's arena is used by one
// thread at a time (the registry's writer, or the thread bulk-loading that
// container), like the container itself.
class NodeArena {
 public:
  NodeArena() = default;
  NodeArena(const NodeArena&) = delete;
  NodeArena& operator=(const NodeArena&) = delete;
  ~NodeArena();

  // A slot of `bytes`. The first call fixes the slot size; other sizes
  // (Boost asks none for nodes) are passed on to operator new.
  void* Allocate(std::size_t bytes);
  void Free(void* slot, std::size_t bytes) noexcept;
  // Makes room for `slots` more slots of the fixed size in one mapping,
  // populated at once. Does nothing before the slot size is known.
  void Reserve(std::size_t slots);

  std::size_t mapped_bytes() const { return mapped_bytes_; }

 private:
  struct FreeSlot {
    FreeSlot* next;
  };
  struct Mapping {
    void* base;
    std::size_t bytes;
  };
  void Map(std::size_t bytes, bool populate);
  void PopulateAhead() noexcept;

  std::size_t slot_bytes_ = 0;
  char* next_ = nullptr;  // bump pointer into the newest mapping
  char* end_ = nullptr;
  char* populated_ = nullptr;  // end of the newest mapping's populated pages
  FreeSlot* free_ = nullptr;
  std::vector<Mapping> mappings_;
  std::size_t mapped_bytes_ = 0;
};

// The standard allocator interface over a NodeArena. Single objects (nodes)
// come from the arena, arrays (bucket arrays) from operator new. Copies and
// rebinds share the arena; a copied container gets an arena of its own.
template <typename T>
class ArenaAllocator {
 public:
  using value_type = T;
  using propagate_on_container_copy_assignment = std::false_type;
  using propagate_on_container_move_assignment = std::true_type;
  using propagate_on_container_swap = std::true_type;
  using is_always_equal = std::false_type;
  template <typename U>
  struct rebind {
    using other = ArenaAllocator<U>;
  };

  ArenaAllocator() : arena_(std::make_shared<NodeArena>()) {}
  template <typename U>
  ArenaAllocator(const ArenaAllocator<U>& other) noexcept  // NOLINT: rebinding is implicit
      : arena_(other.arena_) {}

  ArenaAllocator select_on_container_copy_construction() const { return ArenaAllocator(); }

  T* allocate(std::size_t n) {
    static_assert(alignof(T) <= alignof(void*), "arena slots are pointer-aligned");
    if (n == 1) return static_cast<T*>(arena_->Allocate(sizeof(T)));
    return std::allocator<T>().allocate(n);
  }
  void deallocate(T* p, std::size_t n) noexcept {
    if (n == 1) {
      arena_->Free(p, sizeof(T));
    } else {
      std::allocator<T>().deallocate(p, n);
    }
  }

  NodeArena& arena() const { return *arena_; }

  template <typename U>
  bool operator==(const ArenaAllocator<U>& other) const noexcept {
    return arena_ == other.arena_;
  }
  template <typename U>
  bool operator!=(const ArenaAllocator<U>& other) const noexcept {
    return arena_ != other.arena_;
  }

 private:
  template <typename U>
  friend class ArenaAllocator;
  std::shared_ptr<NodeArena> arena_;
};

}  // namespace hubreg::detail
