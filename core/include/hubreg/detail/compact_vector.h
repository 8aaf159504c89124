// Internal: the small vector the link arrays are kept in (tables.h).
//
// Every user's and every account's node holds one, in each of the two copies
// of the state, so its header is paid a few million times: 16 bytes here
// (the heap pointer, a 32-bit size and a 32-bit capacity) where
// boost::container::small_vector and std::vector take 24. Up to kInline
// elements are kept inside the object, in the bytes the heap pointer uses
// once the elements have moved to the heap: an object is
// max(8, kInline * sizeof(T)) + 8 bytes. Boost offers no small vector whose
// inline elements share the heap pointer's bytes, hence this class.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <new>
#include <stdexcept>
#include <type_traits>

namespace hubreg::detail {

// A vector of at most 2^32 - 1 elements, the first kInline of them stored
// inline. Elements are moved with memcpy, so T must be trivially copyable
// (ids, pointers, timestamps). Iterators are pointers; as with std::vector,
// any insert, erase or reserve may invalidate them. An erase that leaves at
// most kInline elements moves them back inline and frees the heap block;
// otherwise the capacity is kept (clear() frees it). Not thread-safe: one
// writer, or any number of readers with no writer.
template <typename T, std::size_t kInline>
class CompactVector {
  static_assert(std::is_trivially_copyable_v<T> && std::is_trivially_destructible_v<T>,
                "elements are moved with memcpy");
  static_assert(kInline >= 1 && kInline <= std::numeric_limits<std::uint32_t>::max() / 2);

 public:
  using value_type = T;
  using size_type = std::size_t;
  using iterator = T*;
  using const_iterator = const T*;
  static constexpr std::size_t kInlineCapacity = kInline;

  CompactVector() noexcept = default;
  CompactVector(const CompactVector& other) { CopyFrom(other); }
  CompactVector(CompactVector&& other) noexcept { TakeFrom(other); }
  // On an exception (std::bad_alloc) the vector is unchanged.
  CompactVector& operator=(const CompactVector& other) {
    if (this != &other) *this = CompactVector(other);
    return *this;
  }
  CompactVector& operator=(CompactVector&& other) noexcept {
    if (this != &other) {
      Release();
      TakeFrom(other);
    }
    return *this;
  }
  ~CompactVector() { Release(); }

  T* data() noexcept { return OnHeap() ? storage_.heap : InlineData(); }
  const T* data() const noexcept { return OnHeap() ? storage_.heap : InlineData(); }
  iterator begin() noexcept { return data(); }
  iterator end() noexcept { return data() + size_; }
  const_iterator begin() const noexcept { return data(); }
  const_iterator end() const noexcept { return data() + size_; }

  std::size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }
  std::size_t capacity() const noexcept { return capacity_; }
  // True while the elements are inside the object (no heap block).
  bool is_inline() const noexcept { return !OnHeap(); }

  // REQUIRES: i < size().
  T& operator[](std::size_t i) noexcept { return data()[i]; }
  const T& operator[](std::size_t i) const noexcept { return data()[i]; }

  // Makes room for `count` elements in all, allocating exactly that many
  // (a bulk load knows each array's final size). Throws std::length_error
  // beyond 2^32 - 1 elements, std::bad_alloc if memory runs out (the vector
  // is then unchanged).
  void reserve(std::size_t count) {
    if (count > capacity_) Reallocate(CheckedCount(count));
  }

  void push_back(const T& value) { insert(end(), value); }

  // Inserts `value` before `position`; returns the new element's position.
  // `value` may be an element of this vector. On an exception (see
  // reserve) the vector is unchanged.
  iterator insert(const_iterator position, const T& value) {
    const std::size_t index = static_cast<std::size_t>(position - begin());
    const T copy = value;
    if (size_ == capacity_) {
      const std::size_t needed = CheckedCount(std::size_t{size_} + 1);
      const std::size_t grown = std::max(std::size_t{capacity_} + capacity_ / 2, needed);
      Reallocate(static_cast<std::uint32_t>(std::min(grown, kMaxSize)), index);
    } else {
      T* at = data() + index;
      std::memmove(static_cast<void*>(at + 1), at, (size_ - index) * sizeof(T));
    }
    T* at = data() + index;
    ::new (static_cast<void*>(at)) T(copy);
    ++size_;
    return at;
  }

  // Erases the element at `position`; returns the position of the element
  // that followed it. REQUIRES: position is in [begin(), end()).
  iterator erase(const_iterator position) noexcept {
    const std::size_t index = static_cast<std::size_t>(position - begin());
    if (OnHeap()) {
      T* at = storage_.heap + index;
      std::memmove(static_cast<void*>(at), at + 1, (size_ - index - 1) * sizeof(T));
      if (--size_ <= kInline) MoveInline();
    } else {
      // At most kInline elements here: the bounds say so to the compiler,
      // which otherwise sees a move past the inline bytes (-Warray-bounds).
      const std::size_t tail = std::min<std::size_t>(size_, kInline) - std::min(index + 1, kInline);
      T* at = InlineData() + std::min(index, kInline - 1);
      std::memmove(static_cast<void*>(at), at + 1, tail * sizeof(T));
      --size_;
    }
    return data() + index;
  }

  // Erases every element and frees the heap block, if any.
  void clear() noexcept {
    Release();
    size_ = 0;
  }

 private:
  static constexpr std::size_t kMaxSize = std::numeric_limits<std::uint32_t>::max();
  static constexpr std::size_t kNoGap = std::numeric_limits<std::size_t>::max();

  static std::uint32_t CheckedCount(std::size_t count) {
    if (count > kMaxSize) throw std::length_error("CompactVector: more than 2^32 - 1 elements");
    return static_cast<std::uint32_t>(count);
  }

  bool OnHeap() const noexcept { return capacity_ > kInline; }
  T* InlineData() noexcept { return reinterpret_cast<T*>(storage_.bytes); }
  const T* InlineData() const noexcept { return reinterpret_cast<const T*>(storage_.bytes); }

  // Moves the elements to a heap block of `capacity` (> kInline, >= size_ +
  // 1 with a gap), leaving the slot at `gap` free for an insert (kNoGap: none).
  void Reallocate(std::uint32_t capacity, std::size_t gap = kNoGap) {
    T* block = std::allocator<T>().allocate(capacity);
    const T* old = data();
    const std::size_t before = std::min<std::size_t>(gap, size_);
    std::memcpy(static_cast<void*>(block), old, before * sizeof(T));
    const std::size_t shift = gap <= size_ ? 1 : 0;
    std::memcpy(static_cast<void*>(block + before + shift), old + before,
                (size_ - before) * sizeof(T));
    Release();
    storage_.heap = block;
    capacity_ = capacity;
  }

  void MoveInline() noexcept {
    T* block = storage_.heap;
    const std::size_t capacity = capacity_;
    std::memcpy(static_cast<void*>(storage_.bytes), block, size_ * sizeof(T));
    capacity_ = kInline;
    std::allocator<T>().deallocate(block, capacity);
  }

  // Frees the heap block, if any, and leaves the storage inline (the size
  // is the caller's to set).
  void Release() noexcept {
    if (OnHeap()) std::allocator<T>().deallocate(storage_.heap, capacity_);
    capacity_ = kInline;
  }

  // REQUIRES: this vector is new (empty, inline).
  void CopyFrom(const CompactVector& other) {
    if (other.size_ > kInline) {
      storage_.heap = std::allocator<T>().allocate(other.size_);
      capacity_ = other.size_;
    }
    std::memcpy(static_cast<void*>(data()), other.data(), other.size_ * sizeof(T));
    size_ = other.size_;
  }

  // REQUIRES: this vector holds no heap block (a new one, or Release()d).
  void TakeFrom(CompactVector& other) noexcept {
    std::memcpy(static_cast<void*>(&storage_), &other.storage_, sizeof(storage_));
    size_ = other.size_;
    capacity_ = other.capacity_;
    other.size_ = 0;
    other.capacity_ = kInline;
  }

  union Storage {
    T* heap;
    alignas(T) std::byte bytes[kInline * sizeof(T)];
  };
  Storage storage_{};
  std::uint32_t size_ = 0;
  std::uint32_t capacity_ = kInline;  // > kInline: the elements are in storage_.heap
};

}  // namespace hubreg::detail
