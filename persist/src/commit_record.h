// Internal: the data directory's commit record, the file "commit-record"
// beside data.mdb (docs/storage.md, "Rollback detection").
//
// LMDB keeps no checksums: one damaged byte in its newer meta page can make
// it open the older commit without any error, silently dropping the last
// acknowledged batch. The writer therefore also records, outside data.mdb,
// the last sequence it committed and the CRC-32C of that batch. The record
// is written (pwrite, no fsync) only after LMDB's commit has returned, so it
// is never ahead of what LMDB made durable, unless durable data was lost;
// an open that finds LMDB behind the record refuses with kCorruption.
//
// 32 bytes, little-endian:
//    0  8  magic "HUBREGCR"
//    8  4  u32 format version, 1
//   12  4  u32 flags: bit 0 set when batch_crc is known
//   16  8  u64 sequence: the last batch the writer committed (0: none)
//   24  4  u32 batch_crc: CRC-32C of that batch's bytes (as in its journal entry)
//   28  4  u32 CRC-32C of bytes 0-27
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "hubreg/status.h"
#include "lmdb_env.h"
#include "store_layout.h"

namespace hubreg::persist {

inline constexpr char kCommitRecordFile[] = "commit-record";
inline constexpr std::size_t kCommitRecordBytes = 32;

struct CommitMark {
  std::uint64_t sequence = 0;
  std::optional<std::uint32_t> batch_crc;  // unknown for a batch only the snapshot holds
};

// Reads <dir>/commit-record. nullopt when there is none (a directory written
// before the record existed, or never opened for writing). kCorruption when
// it is damaged; kIo when it cannot be read (the message has errno's text).
StatusOr<std::optional<CommitMark>> ReadCommitRecord(const std::string& dir);

// The mark of what `txn` holds as its last batch: `last_sequence`, with the
// checksum stored in that batch's journal entry when the journal has it.
StatusOr<CommitMark> StoredMark(lmdb::Txn& txn, const StoreDbs& dbs, std::uint64_t last_sequence);

// Compares a record read BEFORE `stored` was read from LMDB (so a writer
// committing meanwhile can only put LMDB ahead of it) with LMDB's state.
// kCorruption when LMDB is behind the record, or holds a different batch
// under the recorded sequence: the message says what was lost and what to do.
Status CheckCommitRecord(const std::string& dir, const CommitMark& recorded,
                         const CommitMark& stored);

// The writer's handle on the record: created (0600, O_EXCL|O_NOFOLLOW under
// a temporary name, renamed into place) or opened (O_NOFOLLOW, a regular
// file only) by Open, which writes `mark` into it.
class CommitRecordWriter {
 public:
  static StatusOr<CommitRecordWriter> Open(const std::string& dir, const CommitMark& mark);

  CommitRecordWriter() = default;
  CommitRecordWriter(CommitRecordWriter&& other) noexcept;
  CommitRecordWriter& operator=(CommitRecordWriter&& other) noexcept;
  CommitRecordWriter(const CommitRecordWriter&) = delete;
  CommitRecordWriter& operator=(const CommitRecordWriter&) = delete;
  ~CommitRecordWriter();

  // One pwrite of 32 bytes, no fsync; called after each durable commit.
  // A failure is not the commit's failure (the batch is already durable):
  // the record then lags behind LMDB, which an open accepts. Returns whether
  // the record was written.
  bool Write(const CommitMark& mark) const;

 private:
  int fd_ = -1;
};

}  // namespace hubreg::persist
