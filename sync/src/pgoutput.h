// A decoder for the messages of PostgreSQL's built-in logical decoding output
// plugin `pgoutput`, protocol version 1 (values as text), as they arrive in
// XLogData of a replication stream or from pg_logical_slot_get_binary_changes.
// Pure: no I/O, no state between messages (the relation a change refers to is
// looked up by the caller).
//
// Byte layout (PostgreSQL 15 "Logical Replication Message Formats"; integers
// are big-endian, a String is bytes ending in a NUL):
//   'B' Begin     Int64 final LSN, Int64 commit time, Int32 xid
//   'C' Commit    Int8 flags (0), Int64 commit LSN, Int64 end LSN, Int64 commit time
//   'O' Origin    Int64 commit LSN on the origin, String name
//   'R' Relation  Int32 OID, String schema, String table, Int8 replica identity
//                 ('d', 'n', 'f' or 'i'), Int16 n, n x (Int8 flags (1: key),
//                 String name, Int32 type OID, Int32 type modifier)
//   'Y' Type      Int32 OID, String schema, String name
//   'I' Insert    Int32 OID, 'N', TupleData
//   'U' Update    Int32 OID, optional ('K' or 'O', TupleData), 'N', TupleData
//   'D' Delete    Int32 OID, 'K' or 'O', TupleData
//   'T' Truncate  Int32 n, Int8 options (1: CASCADE, 2: RESTART IDENTITY), n x Int32 OID
//   TupleData     Int16 n, n x ('n' | 'u' | 't' Int32 length, bytes)
// Times are microseconds since 2000-01-01 00:00:00 UTC. Version 1 has no
// streamed transactions, no binary values and no logical decoding messages;
// those are refused like any other malformed input.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "hubreg/lsn.h"
#include "hubreg/model.h"
#include "hubreg/status.h"

namespace hubreg::sync {

using PgOid = std::uint32_t;

struct PgColumn {
  std::string name;
  PgOid type_oid = 0;
  std::int32_t type_modifier = -1;
  bool key = false;  // part of the replica identity
  bool operator==(const PgColumn&) const = default;
};

struct PgRelation {
  PgOid oid = 0;
  std::string schema;  // empty for pg_catalog
  std::string table;
  char replica_identity = 'd';  // 'd' default (primary key), 'n' nothing, 'f' full, 'i' index
  std::vector<PgColumn> columns;
  bool operator==(const PgRelation&) const = default;
};

// A type that is not built in (an enum, a domain), sent before the first
// relation that uses it.
struct PgType {
  PgOid oid = 0;
  std::string schema;
  std::string name;
  bool operator==(const PgType&) const = default;
};

struct PgValue {
  enum class Kind : std::uint8_t {
    kNull,
    kUnchangedToast,  // an update did not change this out-of-line value and did not send it
    kText,
  };
  Kind kind = Kind::kNull;
  std::string text;  // kText only
  bool operator==(const PgValue&) const = default;
};
using PgTuple = std::vector<PgValue>;  // one value per column of the relation, in its order

// What an update or delete says about the row before the change.
enum class PgOldRow : char {
  kNone = 0,    // update: no key column changed and the identity is not FULL
  kKey = 'K',   // the replica identity columns; the others are null
  kFull = 'O',  // every column (REPLICA IDENTITY FULL)
};

struct PgBegin {
  Lsn final_lsn = kInvalidLsn;  // the commit record's LSN
  Timestamp commit_time{};
  std::uint32_t xid = 0;
  bool operator==(const PgBegin&) const = default;
};

struct PgCommit {
  Lsn commit_lsn = kInvalidLsn;
  Lsn end_lsn = kInvalidLsn;  // the position to confirm once the transaction is applied
  Timestamp commit_time{};
  bool operator==(const PgCommit&) const = default;
};

struct PgOrigin {
  Lsn commit_lsn = kInvalidLsn;
  std::string name;
  bool operator==(const PgOrigin&) const = default;
};

struct PgInsert {
  PgOid relation = 0;
  PgTuple row;
  bool operator==(const PgInsert&) const = default;
};

struct PgUpdate {
  PgOid relation = 0;
  PgOldRow old_kind = PgOldRow::kNone;
  PgTuple old_row;  // empty when old_kind is kNone
  PgTuple row;      // may hold kUnchangedToast values
  bool operator==(const PgUpdate&) const = default;
};

struct PgDelete {
  PgOid relation = 0;
  PgOldRow old_kind = PgOldRow::kKey;  // kKey or kFull
  PgTuple old_row;
  bool operator==(const PgDelete&) const = default;
};

struct PgTruncate {
  bool cascade = false;
  bool restart_identity = false;
  std::vector<PgOid> relations;
  bool operator==(const PgTruncate&) const = default;
};

using PgMessage = std::variant<PgBegin, PgCommit, PgOrigin, PgRelation, PgType, PgInsert, PgUpdate,
                               PgDelete, PgTruncate>;

// Decodes one whole message. Every length is checked against `bytes`;
// anything malformed (truncated, trailing bytes, an unknown message type or
// value kind, a time out of range) is a kCorruption error naming the message
// type and the byte offset, e.g. "pgoutput Insert message, offset 5: truncated:
// relation OID needs 4 bytes, 2 left". Thread-safe.
StatusOr<PgMessage> DecodePgOutput(std::string_view bytes);

// PostgreSQL's epoch (2000-01-01 UTC) in Unix microseconds.
inline constexpr std::int64_t kPgEpochMicros = 946'684'800'000'000;

}  // namespace hubreg::sync
