// Encoding and checking the header and trailer of standalone snapshot files.
#include "snapshot_format.h"

#include <cstdio>
#include <cstring>

#include "checksum.h"
#include "codec.h"

namespace hubreg::persist {
namespace {

// Field offsets; see the table in snapshot_format.h.
constexpr std::size_t kFormatVersionOffset = 8;
constexpr std::size_t kSchemaVersionOffset = 12;
constexpr std::size_t kSequenceOffset = 16;
constexpr std::size_t kCountsOffset = 24;
constexpr std::size_t kPayloadLengthOffset = 64;

template <typename T>
void Put(std::string& bytes, std::size_t offset, T value) {
  std::memcpy(bytes.data() + offset, &value, sizeof(value));  // little-endian: see codec.h
}

template <typename T>
T Get(std::string_view bytes, std::size_t offset) {
  T value;
  std::memcpy(&value, bytes.data() + offset, sizeof(value));
  return value;
}

std::string Hex(std::uint32_t value) {
  char text[11];
  std::snprintf(text, sizeof(text), "0x%08x", value);
  return text;
}

}  // namespace

std::string EncodeSnapshotFileHeader(const SnapshotFileHeader& header) {
  std::string bytes(kSnapshotFileHeaderBytes, '\0');
  bytes.replace(0, kSnapshotFileMagic.size(), kSnapshotFileMagic);
  Put(bytes, kFormatVersionOffset, header.format_version);
  Put(bytes, kSchemaVersionOffset, header.schema_version);
  Put(bytes, kSequenceOffset, header.sequence);
  const TableCounts& c = header.counts;
  std::size_t offset = kCountsOffset;
  for (std::size_t count : {c.apps, c.organizations, c.clients, c.users, c.links}) {
    Put(bytes, offset, static_cast<std::uint64_t>(count));
    offset += 8;
  }
  Put(bytes, kPayloadLengthOffset, header.payload_bytes);
  Put(bytes, kSnapshotFileHeaderChecksumOffset,
      ComputeCrc32c(std::string_view(bytes).substr(0, kSnapshotFileHeaderChecksumOffset)));
  return bytes;
}

StatusOr<SnapshotFileHeader> ParseSnapshotFileHeader(std::string_view bytes,
                                                     const std::string& file) {
  if (bytes.empty()) return Status::Corruption(file + ": not a hubreg snapshot (empty file)");
  std::size_t magic_bytes = std::min(bytes.size(), kSnapshotFileMagic.size());
  if (bytes.substr(0, magic_bytes) != kSnapshotFileMagic.substr(0, magic_bytes)) {
    return Status::Corruption(file + ": not a hubreg snapshot (bad magic at offset 0)");
  }
  if (bytes.size() < kSnapshotFileHeaderBytes) {
    return Status::Corruption(file + ": truncated header: the file has " +
                              std::to_string(bytes.size()) + " bytes, a snapshot header has " +
                              std::to_string(kSnapshotFileHeaderBytes));
  }
  SnapshotFileHeader header;
  header.format_version = Get<std::uint32_t>(bytes, kFormatVersionOffset);
  if (header.format_version != kSnapshotFileFormatVersion) {
    return Status::Version(
        file + ": snapshot format version " + std::to_string(header.format_version) +
        " is not supported (supported: " + std::to_string(kSnapshotFileFormatVersion) + ")");
  }
  std::uint32_t stored = Get<std::uint32_t>(bytes, kSnapshotFileHeaderChecksumOffset);
  std::uint32_t computed = ComputeCrc32c(bytes.substr(0, kSnapshotFileHeaderChecksumOffset));
  if (stored != computed) {
    return Status::Corruption(file + ": header checksum mismatch: expected " + Hex(stored) +
                              " (stored at offset 72), found " + Hex(computed) +
                              " over bytes 0-71");
  }
  header.schema_version = Get<std::uint32_t>(bytes, kSchemaVersionOffset);
  if (header.schema_version != kSchemaV10 && header.schema_version != kSchemaV12) {
    return Status::Version(file + ": snapshot schema version " +
                           std::to_string(header.schema_version) +
                           " is not supported (supported: 100 (v1.0), 102 (v1.2))");
  }
  header.sequence = Get<std::uint64_t>(bytes, kSequenceOffset);
  TableCounts& c = header.counts;
  std::size_t offset = kCountsOffset;
  for (std::size_t* count : {&c.apps, &c.organizations, &c.clients, &c.users, &c.links}) {
    *count = static_cast<std::size_t>(Get<std::uint64_t>(bytes, offset));
    offset += 8;
  }
  header.payload_bytes = Get<std::uint64_t>(bytes, kPayloadLengthOffset);
  return header;
}

Status CheckSnapshotFileLength(std::uint64_t file_bytes, const SnapshotFileHeader& header,
                               const std::string& file) {
  constexpr std::uint64_t kFixed = kSnapshotFileHeaderBytes + kSnapshotFileTrailerBytes;
  // A damaged length near 2^64 must not wrap around when added.
  if (header.payload_bytes > file_bytes || file_bytes - header.payload_bytes < kFixed) {
    return Status::Corruption(file + ": truncated: the header promises " +
                              (header.payload_bytes > UINT64_MAX - kFixed
                                   ? std::string("more than 2^64")
                                   : std::to_string(header.payload_bytes + kFixed)) +
                              " bytes (80 header + " + std::to_string(header.payload_bytes) +
                              " payload + 4 checksum), the file has " + std::to_string(file_bytes));
  }
  std::uint64_t expected_size = header.payload_bytes + kFixed;
  if (file_bytes > expected_size) {
    return Status::Corruption(file + ": " + std::to_string(file_bytes - expected_size) +
                              " unexpected bytes after the checksum at offset " +
                              std::to_string(expected_size));
  }
  return Status::Ok();
}

StatusOr<std::string_view> CheckSnapshotFileBody(std::string_view bytes,
                                                 const SnapshotFileHeader& header,
                                                 const std::string& file) {
  HUBREG_RETURN_IF_ERROR(CheckSnapshotFileLength(bytes.size(), header, file));
  std::size_t checksum_offset = kSnapshotFileHeaderBytes + header.payload_bytes;
  std::uint32_t stored = Get<std::uint32_t>(bytes, checksum_offset);
  std::uint32_t computed = ComputeCrc32c(bytes.substr(0, checksum_offset));
  if (stored != computed) {
    return Status::Corruption(file + ": checksum mismatch: expected " + Hex(stored) +
                              " (stored at offset " + std::to_string(checksum_offset) +
                              "), found " + Hex(computed) + " over bytes 0-" +
                              std::to_string(checksum_offset - 1));
  }
  return bytes.substr(kSnapshotFileHeaderBytes, header.payload_bytes);
}

}  // namespace hubreg::persist
