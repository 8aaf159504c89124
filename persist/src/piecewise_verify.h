// Internal: Store::Verify's check of the stored registry, read in bounded
// pieces, each in a read transaction of its own.
//
// Why pieces: LMDB cannot reuse a page freed after the start of the oldest
// read transaction still open. One transaction held through a whole verify
// (seconds to minutes on a large registry) would let every page a steady
// writer frees meanwhile pile up, and data.mdb would grow by it.
//
// Why the pieces still describe one state: every piece checks that it sees
// the snapshot header the first piece saw. While a snapshot is the stored
// one, its chunks and the journal entries after it never change (entries are
// only appended, never replaced; compaction replaces the header before it
// deletes anything). So the chunks of that snapshot and the journal entries
// up to the last one stored when the first piece began, copied in any number
// of transactions, are exactly what one transaction begun with the first
// piece would have read. A piece that sees another header (a compaction ran)
// makes the verify start again.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>

#include "data_directory.h"
#include "hubreg/registry.h"
#include "hubreg/status.h"

namespace hubreg::persist {

// Where a verify starts: the first read transaction, begun on `directory`
// while the registry in memory was at `sequence` with `counts` (a writer
// begins it while no batch can be applied, so it sees exactly that state).
struct VerifyStart {
  const DataDirectory* directory = nullptr;
  std::optional<DataDirectory::Reader> reader;
  std::uint64_t sequence = 0;
  TableCounts counts;
};

// At most this many bytes (snapshot chunks or journal values) are copied in
// one read transaction; a journal entry larger than this is one piece.
inline constexpr std::size_t kVerifyPieceBytes = 256u << 10;
// Compactions that replace the snapshot while it is copied make the verify
// start again, at most this many times in all.
inline constexpr int kVerifyAttempts = 3;

// Checks that the stored snapshot and journal decode, that the registry they
// describe satisfies every integrity rule and (unless the stored snapshot is
// newer than `sequence`: a read-only store the writer compacted past) that
// it has the start's sequence and row counts. The entries stored after the
// start's sequence (a read-only store behind the writer) must apply on top.
// `begin` is called for each attempt. Returns the first problem found
// (kCorruption naming the chunk or entry, or the mismatch), or kIo when
// compactions replaced the snapshot during every attempt ("retry").
// Holds no transaction between pieces; copies the snapshot and the journal
// after it into memory, then checks them outside any transaction.
Status VerifyInPieces(const std::function<StatusOr<VerifyStart>()>& begin);

// Test seam: called after each piece, once its read transaction has ended,
// with the part it read ("snapshot" or "journal") and the LMDB transaction
// id it read at (mdb_txn_id). Process-wide; set it only from tests, while no
// verify runs.
struct VerifyPiece {
  const DataDirectory* directory = nullptr;
  std::string_view part;
  std::uint64_t txn_id = 0;
};
using VerifyPieceHook = std::function<void(const VerifyPiece&)>;
void SetVerifyPieceHook(VerifyPieceHook hook);

}  // namespace hubreg::persist
