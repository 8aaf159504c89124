// Internal: the bytes of a standalone snapshot file, without any I/O.
//
//   offset  size  field
//        0     8  magic "HUBREGSN"
//        8     4  format version (u32, kSnapshotFileFormatVersion)
//       12     4  schema version (u32: 100 = v1.0, 102 = v1.2)
//       16     8  sequence: the last batch the snapshot includes (u64)
//       24    40  row counts (u64 each): threecolts_app, threecolts_organization,
//                 client, user, client_user
//       64     8  payload length P (u64)
//       72     4  header checksum: CRC-32C of bytes 0..71 (u32)
//       76     4  reserved, zero
//       80     P  payload: the cereal snapshot (codec.h, EncodeSnapshot)
//     80+P     4  file checksum: CRC-32C of bytes 0..80+P-1 (u32)
//
// All integers little-endian. Bytes 0..11 keep this meaning in every future
// format version, so any build can say which version a file has. The full
// description is in docs/storage.md, "Snapshot file format".
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "hubreg/status.h"
#include "hubreg/view.h"

namespace hubreg::persist {

inline constexpr std::string_view kSnapshotFileMagic = "HUBREGSN";
inline constexpr std::uint32_t kSnapshotFileFormatVersion = 1;
inline constexpr std::size_t kSnapshotFileHeaderBytes = 80;
inline constexpr std::size_t kSnapshotFileHeaderChecksumOffset = 72;
inline constexpr std::size_t kSnapshotFileTrailerBytes = 4;

struct SnapshotFileHeader {
  std::uint32_t format_version = kSnapshotFileFormatVersion;
  std::uint32_t schema_version = 0;
  std::uint64_t sequence = 0;
  TableCounts counts;
  std::uint64_t payload_bytes = 0;
};

// The 80 header bytes, header checksum included.
std::string EncodeSnapshotFileHeader(const SnapshotFileHeader& header);

// Reads and checks the header at the start of `bytes`, in this order: magic
// (kCorruption "<file>: not a hubreg snapshot (...)"), format version
// (kVersion), length and header checksum (kCorruption), schema version
// (kVersion). `file` only names the file in messages.
StatusOr<SnapshotFileHeader> ParseSnapshotFileHeader(std::string_view bytes,
                                                     const std::string& file);

// Checks that `bytes` (a whole file whose header parsed as `header`) has
// exactly the promised length and a matching file checksum; returns the
// payload. kCorruption naming the lengths or checksums otherwise.
// The length part of CheckSnapshotFileBody alone, for a file of
// `file_bytes` bytes: lets a reader refuse a wrong-sized file before reading
// it all.
Status CheckSnapshotFileLength(std::uint64_t file_bytes, const SnapshotFileHeader& header,
                               const std::string& file);

StatusOr<std::string_view> CheckSnapshotFileBody(std::string_view bytes,
                                                 const SnapshotFileHeader& header,
                                                 const std::string& file);

}  // namespace hubreg::persist
