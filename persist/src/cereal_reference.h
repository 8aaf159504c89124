// Internal, for tests and benchmarks only: batches and journal records
// written by the same calls as codec.cpp (record_writer.h) but through
// cereal's own BinaryOutputArchive, the reference for the bytes
// StringOutputArchive writes (tests/codec_test.cpp compares them;
// bench/codec_bench.cpp times both).
#pragma once

#include <ostream>
#include <string>

#include "record_writer.h"

namespace hubreg::persist::reference {

// What `write` writes to a cereal archive, as a string.
template <typename Write>
std::string CerealBytes(Write&& write) {
  std::string out;
  StringSink sink(&out);
  std::ostream stream(&sink);
  {
    cereal::BinaryOutputArchive ar(stream);
    write(ar);
  }
  return out;
}

inline std::string EncodeBatch(const Batch& batch) {
  return CerealBytes([&](cereal::BinaryOutputArchive& ar) { record::WriteBatch(ar, batch); });
}

inline std::string EncodeJournalRecord(const ChangeBatch& changes) {
  return CerealBytes(
      [&](cereal::BinaryOutputArchive& ar) { record::WriteJournalRecord(ar, changes); });
}

}  // namespace hubreg::persist::reference
