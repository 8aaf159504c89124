// The small vector the link arrays are kept in
// (core/include/hubreg/detail/compact_vector.h): it holds what a
// std::vector given the same operations holds, keeps up to its inline count
// inside the object and moves back there when erases allow, and copies and
// moves like a value. Run under ASan, every byte it reads or frees is checked.
#include "hubreg/detail/compact_vector.h"

#include <doctest/doctest.h>

#include <cstdint>
#include <random>
#include <stdexcept>
#include <type_traits>
#include <utility>
#include <vector>

#include "hubreg/detail/tables.h"

namespace hubreg {
namespace {

using detail::CompactVector;

// An element like a user's link entry: two words, a member initialiser.
struct Entry {
  std::uint64_t key = 0;
  const void* tag = nullptr;
  bool operator==(const Entry&) const = default;
};

Entry MakeEntry(std::uint64_t key) { return {key, reinterpret_cast<const void*>(key * 16 + 8)}; }

// The users of an account: pointers, one inline in the heap pointer's bytes.
using Pointers = CompactVector<const std::uint64_t*, 1>;
const std::uint64_t* MakePointer(std::uint64_t key) {
  return reinterpret_cast<const std::uint64_t*>(key * 16 + 8);
}

template <typename Vector>
auto Make(std::uint64_t key) {
  if constexpr (std::is_same_v<typename Vector::value_type, Entry>) {
    return MakeEntry(key);
  } else {
    return MakePointer(key);
  }
}

template <typename Vector>
std::vector<typename Vector::value_type> Contents(const Vector& v) {
  return {v.begin(), v.end()};
}

// A vector and its std::vector model holding keys 0..n-1.
template <typename Vector>
std::pair<Vector, std::vector<typename Vector::value_type>> Filled(std::size_t n) {
  Vector v;
  std::vector<typename Vector::value_type> model;
  for (std::size_t k = 0; k < n; ++k) {
    v.push_back(Make<Vector>(k));
    model.push_back(Make<Vector>(k));
  }
  return {std::move(v), std::move(model)};
}

}  // namespace

TEST_CASE("the link arrays' headers are 16 bytes and the inline entries share the pointer's") {
  CHECK(sizeof(Pointers) == 16);
  CHECK(sizeof(CompactVector<Entry, 1>) == 24);
  CHECK(sizeof(detail::AccountLink) == 16);
  CHECK(sizeof(detail::AccountLinks) == 8 + 16 * detail::kInlineAccountLinks);
  CHECK(sizeof(detail::MemberLinks) == 16);
}

TEST_CASE_TEMPLATE("inserting at every position of every length matches std::vector", Vector,
                   CompactVector<Entry, 4>, Pointers) {
  for (std::size_t n = 0; n <= 12; ++n) {
    for (std::size_t at = 0; at <= n; ++at) {
      CAPTURE(n);
      CAPTURE(at);
      auto [v, model] = Filled<Vector>(n);
      const auto it = v.insert(v.begin() + at, Make<Vector>(100));
      model.insert(model.begin() + static_cast<std::ptrdiff_t>(at), Make<Vector>(100));
      CHECK(it == v.begin() + at);
      CHECK(Contents(v) == model);
      CHECK(v.size() == n + 1);
      CHECK(v.is_inline() == (n + 1 <= Vector::kInlineCapacity));
      CHECK(v.capacity() >= v.size());
    }
  }
}

TEST_CASE_TEMPLATE("erasing at every position of every length matches std::vector", Vector,
                   CompactVector<Entry, 4>, Pointers) {
  for (std::size_t n = 1; n <= 12; ++n) {
    for (std::size_t at = 0; at < n; ++at) {
      CAPTURE(n);
      CAPTURE(at);
      auto [v, model] = Filled<Vector>(n);
      const auto it = v.erase(v.begin() + at);
      model.erase(model.begin() + static_cast<std::ptrdiff_t>(at));
      CHECK(it == v.begin() + at);
      CHECK(Contents(v) == model);
      // Down to the inline count, the elements are back inside the object.
      CHECK(v.is_inline() == (n - 1 <= Vector::kInlineCapacity));
    }
  }
}

TEST_CASE("a vector grows from inline to the heap and moves back when erases allow") {
  CompactVector<Entry, 4> v;
  CHECK(v.empty());
  CHECK(v.is_inline());
  CHECK(v.capacity() == 4);
  for (std::uint64_t k = 0; k < 4; ++k) v.push_back(MakeEntry(k));
  CHECK(v.is_inline());
  const Entry* inline_data = v.data();
  v.push_back(MakeEntry(4));
  CHECK_FALSE(v.is_inline());
  CHECK(v.capacity() > 4);
  CHECK(v.data() != inline_data);
  for (std::uint64_t k = 5; k < 100; ++k) v.push_back(MakeEntry(k));
  CHECK(v.size() == 100);
  // The heap block keeps its capacity while more than four remain.
  const std::size_t capacity = v.capacity();
  while (v.size() > 5) v.erase(v.begin() + 1);
  CHECK(v.capacity() == capacity);
  CHECK_FALSE(v.is_inline());
  v.erase(v.begin());
  CHECK(v.is_inline());
  CHECK(v.data() == inline_data);
  CHECK(v.capacity() == 4);
  CHECK(Contents(v) ==
        std::vector<Entry>{MakeEntry(96), MakeEntry(97), MakeEntry(98), MakeEntry(99)});
  v.clear();
  CHECK(v.empty());
  CHECK(v.is_inline());
}

TEST_CASE("reserve allocates exactly the count asked for and keeps the elements") {
  auto [v, model] = Filled<CompactVector<Entry, 4>>(3);
  v.reserve(2);  // less than the inline capacity: nothing to do
  CHECK(v.is_inline());
  v.reserve(7);
  CHECK_FALSE(v.is_inline());
  CHECK(v.capacity() == 7);
  CHECK(Contents(v) == model);
  for (std::uint64_t k = 3; k < 7; ++k) v.push_back(MakeEntry(k));
  CHECK(v.capacity() == 7);  // no reallocation up to the reserved count
  v.reserve(6);
  CHECK(v.capacity() == 7);
  // Beyond 2^32 - 1 elements: refused before anything is allocated.
  CHECK_THROWS_AS(v.reserve(std::size_t{1} << 32), std::length_error);
  CHECK(v.capacity() == 7);
  CHECK(v.size() == 7);
}

TEST_CASE("clearing a vector on the heap frees its block; it can be filled again") {
  auto [v, model] = Filled<Pointers>(40);
  CHECK_FALSE(v.is_inline());
  v.clear();
  CHECK(v.is_inline());
  CHECK(v.size() == 0);
  CHECK(v.begin() == v.end());
  v.push_back(MakePointer(7));
  CHECK(v.is_inline());
  CHECK(v[0] == MakePointer(7));
  v.push_back(MakePointer(8));
  CHECK_FALSE(v.is_inline());
  CHECK(Contents(v) == std::vector<const std::uint64_t*>{MakePointer(7), MakePointer(8)});
}

TEST_CASE_TEMPLATE("copies are deep and moves leave the source empty", Vector,
                   CompactVector<Entry, 4>, Pointers) {
  for (std::size_t n : {0, 1, 4, 5, 30}) {
    CAPTURE(n);
    auto [source, model] = Filled<Vector>(n);
    Vector copy(source);
    CHECK(Contents(copy) == model);
    CHECK((n == 0 || copy.data() != source.data()));
    copy.push_back(Make<Vector>(1000));
    CHECK(Contents(source) == model);

    // Assignment over a shorter (inline) and a longer (heap) target.
    for (std::size_t target_size : {2, 50}) {
      auto [target, unused] = Filled<Vector>(target_size);
      target = source;
      CHECK(Contents(target) == model);
      auto [moved_to, unused_too] = Filled<Vector>(target_size);
      Vector temporary(source);
      moved_to = std::move(temporary);
      CHECK(Contents(moved_to) == model);
      CHECK(temporary.empty());  // NOLINT(bugprone-use-after-move): moved-from is specified
      CHECK(temporary.is_inline());
      temporary.push_back(Make<Vector>(5));  // still usable
      CHECK(temporary.size() == 1);
    }

    const auto* data_before = source.data();
    Vector moved(std::move(source));
    CHECK(Contents(moved) == model);
    if (n > Vector::kInlineCapacity) CHECK(moved.data() == data_before);  // the block itself
    CHECK(source.empty());  // NOLINT(bugprone-use-after-move)
    CHECK(source.is_inline());

    Vector& alias = moved;
    moved = alias;  // self-assignment keeps the elements
    CHECK(Contents(moved) == model);
  }
}

TEST_CASE("an element of the vector itself can be inserted, with or without growing") {
  auto [full, model] = Filled<CompactVector<Entry, 4>>(4);  // inline and full
  full.insert(full.begin(), full[3]);
  model.insert(model.begin(), model[3]);
  CHECK(Contents(full) == model);
  full.insert(full.begin() + 2, full[4]);  // room left on the heap
  model.insert(model.begin() + 2, model[4]);
  CHECK(Contents(full) == model);
}

TEST_CASE_TEMPLATE("random inserts and erases agree with std::vector", Vector,
                   CompactVector<Entry, 4>, CompactVector<Entry, 1>, Pointers) {
  const std::uint32_t seed = 12;
  INFO("seed ", seed);
  std::mt19937 random(seed);
  Vector v;
  std::vector<typename Vector::value_type> model;
  for (int step = 0; step < 20000; ++step) {
    // Grow on average up to a few dozen elements, then shrink to empty.
    const bool grow = (step / 500) % 2 == 0 ? random() % 4 != 0 : random() % 4 == 0;
    if (grow || model.empty()) {
      const std::size_t at = random() % (model.size() + 1);
      const auto value = Make<Vector>(random() % 1000);
      v.insert(v.begin() + at, value);
      model.insert(model.begin() + static_cast<std::ptrdiff_t>(at), value);
    } else {
      const std::size_t at = random() % model.size();
      v.erase(v.begin() + at);
      model.erase(model.begin() + static_cast<std::ptrdiff_t>(at));
    }
    REQUIRE(v.size() == model.size());
    if (v.size() <= Vector::kInlineCapacity) REQUIRE(v.is_inline());
    if (step % 97 == 0) REQUIRE(Contents(v) == model);
  }
  CHECK(Contents(v) == model);
}

}  // namespace hubreg
