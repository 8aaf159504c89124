// Reading what a data directory or a snapshot file holds as plain rows,
// without building the registry (no indexes, no link lists): what one-shot
// commands (`hubreg query`, `get`, `stats`, `inspect`) need. A full
// Store::Open decodes the same rows and then indexes them; skipping the
// indexes leaves about a third of its peak memory at size L and a fifth
// of its CPU time at size M (docs/benchmarks.md, "One-shot reads").
//
// Thread safety: the functions may run concurrently, in any number of
// processes, beside a running writer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "hubreg/model.h"
#include "hubreg/registry.h"
#include "hubreg/status.h"
#include "hubreg/store.h"

namespace hubreg {

// The rows of one state and where they came from.
struct StoredRegistry {
  // Every table sorted by id, links by (user_id, client_id); the next ids
  // are those a Store opened on the same state would assign. Always schema
  // v1.2 (a v1.0 snapshot's rows are migrated as on open).
  RegistryRows rows;
  // What Store::Stats reports of the same state: the rows' counts, the last
  // batch they include (last_sequence), the snapshot (snapshot_bytes: its
  // payload; a file's whole size), the journal entries applied after it, a
  // directory's LMDB map and whether its commit signal is usable (zero and
  // false for a file); open_seconds is how long the read took. What only a
  // running Store knows (compactions, refreshes, replacements, their last
  // errors) is zero or empty.
  StoreStats stats;
  std::uint32_t schema_version = 0;  // of the snapshot read (100 = v1.0, 102 = v1.2)
  // A snapshot file's format version, or a data directory's layout version
  // (docs/storage.md).
  std::uint32_t format_version = 0;
  // A directory's followed-source position, as Store::SourceState returns
  // it (empty when none is stored, and for a file).
  std::string source_state;
  // True when the journal held entries written before the change feed
  // (entry version 1, without the rows they changed), so the rows were
  // taken from a full Store::Open instead.
  bool opened_store = false;
};

// Reads the data directory `path` read-only: one LMDB read transaction
// copies the snapshot and the journal after it (never the writer's lock,
// so it is safe beside a running writer, which it does not delay), then the
// rows are decoded and the journal's after-images applied outside it. Every
// checksum, key and length is checked as by Store::Open; the integrity
// rules are not (Store::Open or `hubreg verify` check those).
// kNotFound when `path` holds no registry; kCorruption naming the directory
// and what is damaged (the snapshot, or journal entry N); kVersion for a
// format this build cannot read.
StatusOr<StoredRegistry> ReadStoredRegistry(const std::string& path);

// Reads a standalone snapshot file with every check VerifySnapshotFile makes
// but the integrity rules: magic, versions, checksums, length, decoding,
// header counts. Errors name the file and the offset.
StatusOr<StoredRegistry> ReadStoredSnapshotFile(const std::string& file);

// One journal entry, as `hubreg inspect` lists it.
struct JournalEntryInfo {
  std::uint64_t sequence = 0;
  std::uint32_t entry_version = 0;  // 1: before the change feed; 2: with the changed rows
  Timestamp committed_at{};         // entry version 2 only (otherwise zero)
  std::uint64_t bytes = 0;          // the stored value (checksum included)
  std::uint64_t mutations = 0;      // what replaying it applies
  std::uint64_t changes = 0;        // rows it changed, cascades included (version 2 only)
  bool covered = false;             // the snapshot already includes it (the feed's window)
};

// The layout of a data directory, as `mdb_stat` and `pg_restore -l` show
// theirs. Read in one LMDB read transaction; every entry listed is checked
// (checksum and decoding) as by Store::Open.
struct DirectoryLayout {
  std::uint32_t format_version = 0;  // of the LMDB layout (docs/storage.md)
  std::uint32_t schema_version = 0;
  std::uint64_t snapshot_sequence = 0;
  std::uint64_t snapshot_bytes = 0;
  std::uint32_t snapshot_chunks = 0;
  std::uint64_t journal_entries = 0;  // all of them, covered ones included
  std::uint64_t journal_bytes = 0;
  // The newest `limit` entries (all when the limit is 0), oldest first.
  std::vector<JournalEntryInfo> entries;
  std::uint64_t map_size = 0;  // bytes
  std::uint64_t map_used = 0;  // bytes up to the last page in use
  std::uint64_t page_size = 0;
  std::uint64_t free_pages = 0;  // pages in LMDB's free list, reusable without growing the file
};
StatusOr<DirectoryLayout> InspectDataDirectory(const std::string& path, std::size_t limit);

}  // namespace hubreg
