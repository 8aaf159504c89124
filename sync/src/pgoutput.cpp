#include "pgoutput.h"

#include <cstdio>
#include <limits>

namespace hubreg::sync {
namespace {

// Reads big-endian fields from one message. The first problem is kept and
// every later read returns zero without moving, so a decoder reads its whole
// layout and checks once at the end.
class Reader {
 public:
  Reader(std::string_view bytes, std::string_view message) : bytes_(bytes), message_(message) {}

  bool ok() const { return error_.empty(); }
  std::size_t offset() const { return offset_; }

  std::uint8_t U8(std::string_view what) { return static_cast<std::uint8_t>(Int(1, what)); }
  std::uint16_t U16(std::string_view what) { return static_cast<std::uint16_t>(Int(2, what)); }
  std::uint32_t U32(std::string_view what) { return static_cast<std::uint32_t>(Int(4, what)); }
  std::uint64_t U64(std::string_view what) { return Int(8, what); }

  Timestamp Time(std::string_view what) {
    const std::size_t at = offset_;
    const auto pg_micros = static_cast<std::int64_t>(U64(what));
    // Also refuses PostgreSQL's infinities, the extremes of int64.
    constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max() - kPgEpochMicros;
    if (pg_micros == std::numeric_limits<std::int64_t>::min() || pg_micros > kMax) {
      FailAt(at, std::string(what) + " is out of range");
      return {};
    }
    return Timestamp(std::chrono::microseconds(pg_micros + kPgEpochMicros));
  }

  // A NUL-terminated string.
  std::string String(std::string_view what) {
    if (!ok()) return {};
    const std::size_t end = bytes_.find('\0', offset_);
    if (end == std::string_view::npos) {
      Fail("truncated: " + std::string(what) + " has no terminating NUL");
      return {};
    }
    std::string text(bytes_.substr(offset_, end - offset_));
    offset_ = end + 1;
    return text;
  }

  std::string Bytes(std::size_t n, std::string_view what) {
    if (!Need(n, what)) return {};
    std::string data(bytes_.substr(offset_, n));
    offset_ += n;
    return data;
  }

  // Whether at least `n` more bytes remain for each of `count` items (a check
  // before reserving room for a count read from the message).
  bool Room(std::size_t count, std::size_t n, std::string_view what) {
    if (!ok()) return false;
    if (count > (bytes_.size() - offset_) / n) {
      Fail("truncated: " + std::to_string(count) + " " + std::string(what) + " need at least " +
           std::to_string(count * n) + " bytes, " + std::to_string(bytes_.size() - offset_) +
           " left");
      return false;
    }
    return true;
  }

  void Fail(std::string reason) { FailAt(offset_, std::move(reason)); }
  void FailAt(std::size_t at, std::string reason) {
    if (!ok()) return;
    error_ = "pgoutput " + std::string(message_) + " message, offset " + std::to_string(at) + ": " +
             std::move(reason);
  }

  // The decoded message, or the first problem; trailing bytes are a problem.
  template <typename Message>
  StatusOr<PgMessage> Finish(Message message) {
    if (ok() && offset_ != bytes_.size()) {
      Fail(std::to_string(bytes_.size() - offset_) + " bytes after the end of the message");
    }
    if (!ok()) return Status::Corruption(error_);
    return PgMessage(std::move(message));
  }

 private:
  bool Need(std::size_t n, std::string_view what) {
    if (!ok()) return false;
    if (bytes_.size() - offset_ < n) {
      Fail("truncated: " + std::string(what) + " needs " + std::to_string(n) + " bytes, " +
           std::to_string(bytes_.size() - offset_) + " left");
      return false;
    }
    return true;
  }

  std::uint64_t Int(std::size_t n, std::string_view what) {
    if (!Need(n, what)) return 0;
    std::uint64_t value = 0;
    for (std::size_t i = 0; i < n; ++i) {
      value = (value << 8) | static_cast<unsigned char>(bytes_[offset_ + i]);
    }
    offset_ += n;
    return value;
  }

  std::string_view bytes_;
  std::string_view message_;
  std::size_t offset_ = 1;  // after the message type
  std::string error_;
};

std::string ByteName(char byte) {
  char text[16];
  const auto value = static_cast<unsigned char>(byte);
  if (value >= 0x21 && value < 0x7F) {
    std::snprintf(text, sizeof text, "'%c' (0x%02X)", value, value);
  } else {
    std::snprintf(text, sizeof text, "0x%02X", value);
  }
  return text;
}

PgTuple ReadTuple(Reader& in) {
  const std::uint16_t count = in.U16("column count");
  PgTuple tuple;
  if (!in.Room(count, 1, "columns")) return tuple;
  tuple.reserve(count);
  for (std::uint16_t i = 0; i < count && in.ok(); ++i) {
    const std::size_t at = in.offset();
    PgValue value;
    const char kind = static_cast<char>(in.U8("value kind"));
    if (!in.ok()) break;
    switch (kind) {
      case 'n':
        value.kind = PgValue::Kind::kNull;
        break;
      case 'u':
        value.kind = PgValue::Kind::kUnchangedToast;
        break;
      case 't':
        value.kind = PgValue::Kind::kText;
        value.text = in.Bytes(in.U32("value length"), "value");
        break;
      default:
        in.FailAt(at, "column " + std::to_string(i) + ": unknown value kind " + ByteName(kind));
        break;
    }
    tuple.push_back(std::move(value));
  }
  return tuple;
}

PgOldRow OldRowKind(char marker) { return marker == 'K' ? PgOldRow::kKey : PgOldRow::kFull; }

StatusOr<PgMessage> DecodeBegin(Reader in) {
  PgBegin begin;
  begin.final_lsn = in.U64("final LSN");
  begin.commit_time = in.Time("commit time");
  begin.xid = in.U32("xid");
  return in.Finish(std::move(begin));
}

StatusOr<PgMessage> DecodeCommit(Reader in) {
  PgCommit commit;
  const std::size_t at = in.offset();
  if (const std::uint8_t flags = in.U8("flags"); flags != 0) {
    in.FailAt(at, "flags are " + std::to_string(flags) + ", expected 0");
  }
  commit.commit_lsn = in.U64("commit LSN");
  commit.end_lsn = in.U64("end LSN");
  commit.commit_time = in.Time("commit time");
  return in.Finish(std::move(commit));
}

StatusOr<PgMessage> DecodeOrigin(Reader in) {
  PgOrigin origin;
  origin.commit_lsn = in.U64("commit LSN");
  origin.name = in.String("origin name");
  return in.Finish(std::move(origin));
}

StatusOr<PgMessage> DecodeRelation(Reader in) {
  PgRelation relation;
  relation.oid = in.U32("relation OID");
  relation.schema = in.String("schema name");
  relation.table = in.String("table name");
  std::size_t at = in.offset();
  relation.replica_identity = static_cast<char>(in.U8("replica identity"));
  if (in.ok() && relation.replica_identity != 'd' && relation.replica_identity != 'n' &&
      relation.replica_identity != 'f' && relation.replica_identity != 'i') {
    in.FailAt(at, "unknown replica identity " + ByteName(relation.replica_identity));
  }
  const std::uint16_t count = in.U16("column count");
  // A column takes at least 10 bytes: flags, an empty name, type and modifier.
  if (in.Room(count, 10, "columns")) relation.columns.reserve(count);
  for (std::uint16_t i = 0; i < count && in.ok(); ++i) {
    PgColumn column;
    at = in.offset();
    const std::uint8_t flags = in.U8("column flags");
    if (flags > 1) {
      in.FailAt(at, "column " + std::to_string(i) + ": unknown flags " + std::to_string(flags));
    }
    column.key = flags == 1;
    column.name = in.String("column name");
    column.type_oid = in.U32("column type OID");
    column.type_modifier = static_cast<std::int32_t>(in.U32("column type modifier"));
    relation.columns.push_back(std::move(column));
  }
  return in.Finish(std::move(relation));
}

StatusOr<PgMessage> DecodeType(Reader in) {
  PgType type;
  type.oid = in.U32("type OID");
  type.schema = in.String("schema name");
  type.name = in.String("type name");
  return in.Finish(std::move(type));
}

// Reads the byte that starts a tuple and checks it is one of `allowed`.
char TupleMarker(Reader& in, std::string_view allowed) {
  const std::size_t at = in.offset();
  const char marker = static_cast<char>(in.U8("tuple marker"));
  if (in.ok() && allowed.find(marker) == std::string_view::npos) {
    std::string expected;
    for (char c : allowed) expected += (expected.empty() ? "" : " or ") + ByteName(c);
    in.FailAt(at, "tuple marker " + ByteName(marker) + ", expected " + expected);
  }
  return marker;
}

StatusOr<PgMessage> DecodeInsert(Reader in) {
  PgInsert insert;
  insert.relation = in.U32("relation OID");
  TupleMarker(in, "N");
  insert.row = ReadTuple(in);
  return in.Finish(std::move(insert));
}

StatusOr<PgMessage> DecodeUpdate(Reader in) {
  PgUpdate update;
  update.relation = in.U32("relation OID");
  const char marker = TupleMarker(in, "KON");
  if (in.ok() && marker != 'N') {
    update.old_kind = OldRowKind(marker);
    update.old_row = ReadTuple(in);
    TupleMarker(in, "N");
  }
  update.row = ReadTuple(in);
  return in.Finish(std::move(update));
}

StatusOr<PgMessage> DecodeDelete(Reader in) {
  PgDelete erase;
  erase.relation = in.U32("relation OID");
  erase.old_kind = OldRowKind(TupleMarker(in, "KO"));
  erase.old_row = ReadTuple(in);
  return in.Finish(std::move(erase));
}

StatusOr<PgMessage> DecodeTruncate(Reader in) {
  PgTruncate truncate;
  const std::uint32_t count = in.U32("relation count");
  const std::size_t at = in.offset();
  const std::uint8_t options = in.U8("options");
  if (options > 3) in.FailAt(at, "unknown options " + std::to_string(options));
  truncate.cascade = (options & 1) != 0;
  truncate.restart_identity = (options & 2) != 0;
  if (in.Room(count, 4, "relation OIDs")) truncate.relations.reserve(count);
  for (std::uint32_t i = 0; i < count && in.ok(); ++i) {
    truncate.relations.push_back(in.U32("relation OID"));
  }
  return in.Finish(std::move(truncate));
}

}  // namespace

StatusOr<PgMessage> DecodePgOutput(std::string_view bytes) {
  if (bytes.empty()) return Status::Corruption("pgoutput message, offset 0: empty");
  switch (bytes[0]) {
    case 'B':
      return DecodeBegin(Reader(bytes, "Begin"));
    case 'C':
      return DecodeCommit(Reader(bytes, "Commit"));
    case 'O':
      return DecodeOrigin(Reader(bytes, "Origin"));
    case 'R':
      return DecodeRelation(Reader(bytes, "Relation"));
    case 'Y':
      return DecodeType(Reader(bytes, "Type"));
    case 'I':
      return DecodeInsert(Reader(bytes, "Insert"));
    case 'U':
      return DecodeUpdate(Reader(bytes, "Update"));
    case 'D':
      return DecodeDelete(Reader(bytes, "Delete"));
    case 'T':
      return DecodeTruncate(Reader(bytes, "Truncate"));
    default:
      return Status::Corruption("pgoutput message, offset 0: unknown message type " +
                                ByteName(bytes[0]));
  }
}

}  // namespace hubreg::sync
