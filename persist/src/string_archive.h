// Internal: StringOutputArchive writes cereal's binary format, byte for byte
// what cereal::BinaryOutputArchive writes, straight into a std::string.
//
// BinaryOutputArchive writes through a std::ostream (a virtual call per
// field) and, for every record of a versioned type, inserts the type into a
// hash set and takes a process-wide lock to look its version up in cereal's
// registry (CEREAL_THREAD_SAFE, which hubreg needs: it encodes from several
// threads). Each change a follower applies is encoded once for the journal,
// so that bookkeeping was a measurable part of its commit thread.
// This archive appends to the string directly and reads each type's version
// from the compile-time constant CEREAL_CLASS_VERSION declares, writing it
// before the type's first record as cereal does.
//
// What it writes (the subset of cereal's binary format hubreg uses):
//   arithmetic        its bytes (native order: little-endian, span_archive.h)
//   SizeTag           the size as cereal::size_type (u64)
//   std::variant      i32 alternative index, then the alternative
//   any other class   u32 class version before the type's first record in
//                     this archive, then serialize(ar, value, version)
// tests/codec_test.cpp checks that batches, journal records and snapshots
// come out equal to cereal's own archive.
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

#include "span_archive.h"

namespace hubreg::persist {

class StringOutputArchive {
 public:
  explicit StringOutputArchive(std::string* out) : out_(out) {}
  StringOutputArchive(const StringOutputArchive&) = delete;
  StringOutputArchive& operator=(const StringOutputArchive&) = delete;

  template <typename... T>
  StringOutputArchive& operator()(const T&... values) {
    (Save(values), ...);
    return *this;
  }

  void saveBinary(const void* data, std::size_t size) {
    out_->append(static_cast<const char*>(data), size);
  }

 private:
  template <typename T>
  struct IsSizeTag : std::false_type {};
  template <typename T>
  struct IsSizeTag<cereal::SizeTag<T>> : std::true_type {};
  template <typename T>
  struct IsVariant : std::false_type {};
  template <typename... T>
  struct IsVariant<std::variant<T...>> : std::true_type {};

  // One address per type: the key of "this type's version was written".
  template <typename T>
  static inline const char kTypeKey = 0;

  template <typename T>
  void Save(const T& value) {
    if constexpr (std::is_arithmetic_v<T>) {
      saveBinary(&value, sizeof value);
    } else if constexpr (IsSizeTag<T>::value) {
      const auto size = static_cast<cereal::size_type>(value.size);
      saveBinary(&size, sizeof size);
    } else if constexpr (IsVariant<T>::value) {
      const auto index = static_cast<std::int32_t>(value.index());
      saveBinary(&index, sizeof index);
      std::visit([this](const auto& alternative) { this->Save(alternative); }, value);
    } else {
      const std::uint32_t version = cereal::detail::Version<T>::version;
      if (FirstRecordOf(&kTypeKey<T>)) saveBinary(&version, sizeof version);
      serialize(*this, const_cast<T&>(value), version);
    }
  }

  // A handful of types per archive: a linear search beats a hash set.
  bool FirstRecordOf(const void* key) {
    for (const void* seen : versioned_) {
      if (seen == key) return false;
    }
    versioned_.push_back(key);
    return true;
  }

  std::string* out_;
  std::vector<const void*> versioned_;
};

// The archives the record encoders write to: ours, and cereal's own, which
// the tests use as the reference for the bytes.
template <typename Archive>
concept SavingArchive = std::same_as<Archive, StringOutputArchive> ||
    std::same_as<Archive, cereal::BinaryOutputArchive>;

}  // namespace hubreg::persist
