// Internal: the byte sinks and sources the persist layer runs cereal over.
//
// Encoding uses StringOutputArchive (string_archive.h); StringSink lets
// cereal's own BinaryOutputArchive write into a std::string, which the tests
// use as the reference for the bytes. Decoding uses SpanInputArchive, a reader of the same format
// (cereal's binary archive: values in native byte order, sizes as u64, class versions as u32 on a
// type's first occurrence) that reads straight from a byte span with no copy and no stream, and
// checks every read against the bytes left, so garbage input ends in a DecodeError, never in an
// out-of-bounds read or a huge allocation.
//
// Both sides are little-endian only (hubreg targets x86-64 and arm64 Linux);
// the static_assert below stops a build where that does not hold.
#pragma once

// cereal's registry of class versions is a process-wide map that the output
// archive updates on every save; hubreg encodes from several threads (the
// store's writer and a snapshot-file save), so cereal must lock it.
// Every cereal header in hubreg is included here, and nowhere else, so the
// setting cannot be missed.
#ifdef CEREAL_CEREAL_HPP_
#if !CEREAL_THREAD_SAFE
#error "include cereal only through span_archive.h"
#endif
#endif
#ifndef CEREAL_THREAD_SAFE
#define CEREAL_THREAD_SAFE 1
#endif

#include <bit>
#include <cereal/archives/binary.hpp>
#include <cereal/cereal.hpp>
#include <cereal/types/variant.hpp>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <streambuf>
#include <string>
#include <string_view>
#include <type_traits>

namespace hubreg::persist {

static_assert(std::endian::native == std::endian::little,
              "hubreg's on-disk formats are little-endian; this build would misread them");

// Thrown by SpanInputArchive and the load functions; caught in codec.cpp and
// turned into Status::Corruption. `offset` is where the bad value starts.
class DecodeError : public std::runtime_error {
 public:
  DecodeError(const std::string& what, std::size_t offset)
      : std::runtime_error(what), offset_(offset) {}
  std::size_t offset() const { return offset_; }

 private:
  std::size_t offset_;
};

// A streambuf that appends everything written to a std::string.
class StringSink : public std::streambuf {
 public:
  explicit StringSink(std::string* out) : out_(out) {}

 protected:
  std::streamsize xsputn(const char* data, std::streamsize size) override {
    out_->append(data, static_cast<std::size_t>(size));
    return size;
  }
  int_type overflow(int_type ch) override {
    if (!traits_type::eq_int_type(ch, traits_type::eof())) out_->push_back(static_cast<char>(ch));
    return traits_type::not_eof(ch);
  }

 private:
  std::string* out_;
};

class SpanInputArchive
    : public cereal::InputArchive<SpanInputArchive, cereal::AllowEmptyClassElision> {
 public:
  explicit SpanInputArchive(std::string_view bytes)
      : cereal::InputArchive<SpanInputArchive, cereal::AllowEmptyClassElision>(this),
        begin_(bytes.data()),
        next_(bytes.data()),
        end_(bytes.data() + bytes.size()) {}

  void loadBinary(void* data, std::size_t size) {
    if (size > Remaining()) {
      throw DecodeError(
          "needs " + std::to_string(size) + " bytes, " + std::to_string(Remaining()) + " left",
          Offset());
    }
    std::memcpy(data, next_, size);
    next_ += size;
  }

  // Views the next `size` bytes and skips them (no copy).
  std::string_view Take(std::size_t size) {
    if (size > Remaining()) {
      throw DecodeError("a length of " + std::to_string(size) + " exceeds the " +
                            std::to_string(Remaining()) + " bytes left",
                        Offset());
    }
    std::string_view taken(next_, size);
    next_ += size;
    return taken;
  }

  std::size_t Remaining() const { return static_cast<std::size_t>(end_ - next_); }
  std::size_t Offset() const { return static_cast<std::size_t>(next_ - begin_); }

 private:
  const char* begin_;
  const char* next_;
  const char* end_;
};

template <class T>
inline std::enable_if_t<std::is_arithmetic_v<T>> CEREAL_LOAD_FUNCTION_NAME(SpanInputArchive& ar,
                                                                           T& t) {
  ar.loadBinary(std::addressof(t), sizeof(t));
}

template <class T>
inline void CEREAL_SERIALIZE_FUNCTION_NAME(SpanInputArchive& ar, cereal::NameValuePair<T>& t) {
  ar(t.value);
}

template <class T>
inline void CEREAL_SERIALIZE_FUNCTION_NAME(SpanInputArchive& ar, cereal::SizeTag<T>& t) {
  ar(t.size);
}

template <class T>
inline void CEREAL_LOAD_FUNCTION_NAME(SpanInputArchive& ar, cereal::BinaryData<T>& bd) {
  ar.loadBinary(bd.data, static_cast<std::size_t>(bd.size));
}

}  // namespace hubreg::persist
