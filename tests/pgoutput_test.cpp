#include "pgoutput.h"

#include <doctest/doctest.h>

#include <random>

#include "pg_testutil.h"
#include "testutil.h"

using namespace hubreg;
using namespace hubreg::sync;

namespace {

// Writes a message as pgoutput does: big-endian integers, NUL-terminated strings.
class Message {
 public:
  explicit Message(char type) { bytes_ += type; }
  Message& U8(std::uint8_t v) { return Int(v, 1); }
  Message& U16(std::uint16_t v) { return Int(v, 2); }
  Message& U32(std::uint32_t v) { return Int(v, 4); }
  Message& U64(std::uint64_t v) { return Int(v, 8); }
  Message& Str(std::string_view text) {
    bytes_ += text;
    bytes_ += '\0';
    return *this;
  }
  Message& Raw(std::string_view bytes) {
    bytes_ += bytes;
    return *this;
  }
  Message& Text(std::string_view value) { return U8('t').U32(value.size()).Raw(value); }
  const std::string& bytes() const { return bytes_; }

 private:
  Message& Int(std::uint64_t v, int n) {
    for (int i = n - 1; i >= 0; --i) bytes_ += static_cast<char>((v >> (8 * i)) & 0xFF);
    return *this;
  }
  std::string bytes_;
};

// 2026-01-02 03:04:05.123456 UTC in PostgreSQL's and in Unix microseconds.
constexpr std::int64_t kUnixMicros = 1'767'323'045'123'456;
constexpr std::uint64_t kPgMicros = kUnixMicros - kPgEpochMicros;
const Timestamp kTime{std::chrono::microseconds(kUnixMicros)};

template <typename T>
T Decode(const std::string& bytes) {
  StatusOr<PgMessage> message = DecodePgOutput(bytes);
  REQUIRE_OK(message);
  REQUIRE(std::holds_alternative<T>(*message));
  return std::get<T>(*message);
}

std::string DecodeError(const std::string& bytes) {
  StatusOr<PgMessage> message = DecodePgOutput(bytes);
  REQUIRE_FALSE(message.ok());
  CHECK(message.status().code() == ErrorCode::kCorruption);
  return message.status().message();
}

PgValue Text(std::string text) { return PgValue{PgValue::Kind::kText, std::move(text)}; }
const PgValue kNull{PgValue::Kind::kNull, {}};
const PgValue kToast{PgValue::Kind::kUnchangedToast, {}};

// One valid message of every type, for the damage tests.
std::vector<std::string> EveryMessageType() {
  return {
      Message('B').U64(0x16B374D848).U64(kPgMicros).U32(771).bytes(),
      Message('C').U8(0).U64(0x16B374D848).U64(0x16B374D878).U64(kPgMicros).bytes(),
      Message('O').U64(0x10).Str("node_a").bytes(),
      Message('R')
          .U32(16390)
          .Str("public")
          .Str("client")
          .U8('d')
          .U16(2)
          .U8(1)
          .Str("id")
          .U32(20)
          .U32(0xFFFFFFFF)
          .U8(0)
          .Str("db_host")
          .U32(25)
          .U32(0xFFFFFFFF)
          .bytes(),
      Message('Y').U32(16385).Str("public").Str("record_status").bytes(),
      Message('I').U32(16390).U8('N').U16(3).Text("7").U8('n').U8('u').bytes(),
      Message('U')
          .U32(16390)
          .U8('O')
          .U16(2)
          .Text("7")
          .Text("old")
          .U8('N')
          .U16(2)
          .Text("7")
          .U8('u')
          .bytes(),
      Message('D').U32(16390).U8('K').U16(2).Text("7").U8('n').bytes(),
      Message('T').U32(2).U8(3).U32(16390).U32(16391).bytes(),
  };
}

}  // namespace

TEST_CASE("Begin, Commit and Origin decode with their positions and times") {
  CHECK(Decode<PgBegin>(Message('B').U64(0x16B374D848).U64(kPgMicros).U32(771).bytes()) ==
        PgBegin{0x16B374D848, kTime, 771});
  CHECK(Decode<PgCommit>(
            Message('C').U8(0).U64(0x16B374D848).U64(0x16B374D878).U64(kPgMicros).bytes()) ==
        PgCommit{0x16B374D848, 0x16B374D878, kTime});
  CHECK(Decode<PgOrigin>(Message('O').U64(0x10).Str("node_a").bytes()) == PgOrigin{0x10, "node_a"});
  // The PostgreSQL epoch itself, and a time before 1970.
  CHECK(Decode<PgBegin>(Message('B').U64(1).U64(0).U32(1).bytes()).commit_time ==
        Timestamp(std::chrono::microseconds(kPgEpochMicros)));
  CHECK(Decode<PgBegin>(Message('B').U64(1).U64(-kPgEpochMicros - 1).U32(1).bytes()).commit_time ==
        Timestamp(std::chrono::microseconds(-1)));
}

TEST_CASE("a Relation message lists its columns with types, modifiers and key flags") {
  PgRelation relation = Decode<PgRelation>(EveryMessageType()[3]);
  CHECK(relation == PgRelation{16390,
                               "public",
                               "client",
                               'd',
                               {PgColumn{"id", 20, -1, true}, PgColumn{"db_host", 25, -1, false}}});
  for (char identity : {'d', 'n', 'f', 'i'}) {
    CHECK(Decode<PgRelation>(Message('R').U32(1).Str("").Str("t").U8(identity).U16(0).bytes())
              .replica_identity == identity);
  }
  CHECK(Decode<PgType>(EveryMessageType()[4]) == PgType{16385, "public", "record_status"});
}

TEST_CASE("Insert, Update and Delete carry text, NULL and unchanged-TOAST values") {
  CHECK(Decode<PgInsert>(EveryMessageType()[5]) == PgInsert{16390, {Text("7"), kNull, kToast}});
  CHECK(Decode<PgUpdate>(EveryMessageType()[6]) ==
        PgUpdate{16390, PgOldRow::kFull, {Text("7"), Text("old")}, {Text("7"), kToast}});
  CHECK(Decode<PgUpdate>(
            Message('U').U32(5).U8('K').U16(1).Text("7").U8('N').U16(1).Text("8").bytes()) ==
        PgUpdate{5, PgOldRow::kKey, {Text("7")}, {Text("8")}});
  CHECK(Decode<PgUpdate>(Message('U').U32(5).U8('N').U16(1).Text("").bytes()) ==
        PgUpdate{5, PgOldRow::kNone, {}, {Text("")}});
  CHECK(Decode<PgDelete>(EveryMessageType()[7]) ==
        PgDelete{16390, PgOldRow::kKey, {Text("7"), kNull}});
  CHECK(Decode<PgDelete>(Message('D').U32(5).U8('O').U16(0).bytes()) ==
        PgDelete{5, PgOldRow::kFull, {}});
  // Values are bytes: a NUL or a tab inside one is kept.
  CHECK(Decode<PgInsert>(Message('I').U32(5).U8('N').U16(1).Text(std::string("a\0\tb", 4)).bytes())
            .row == PgTuple{Text(std::string("a\0\tb", 4))});
}

TEST_CASE("Truncate carries its relations and the CASCADE and RESTART IDENTITY options") {
  CHECK(Decode<PgTruncate>(EveryMessageType()[8]) == PgTruncate{true, true, {16390, 16391}});
  CHECK(Decode<PgTruncate>(Message('T').U32(1).U8(1).U32(9).bytes()) ==
        PgTruncate{true, false, {9}});
  CHECK(Decode<PgTruncate>(Message('T').U32(1).U8(2).U32(9).bytes()) ==
        PgTruncate{false, true, {9}});
  CHECK(Decode<PgTruncate>(Message('T').U32(0).U8(0).bytes()) == PgTruncate{false, false, {}});
}

TEST_CASE("every message cut short at any byte is refused, naming its type") {
  const char* names[] = {"Begin",  "Commit", "Origin", "Relation", "Type",
                         "Insert", "Update", "Delete", "Truncate"};
  std::vector<std::string> messages = EveryMessageType();
  for (std::size_t m = 0; m < messages.size(); ++m) {
    const std::string& whole = messages[m];
    REQUIRE_OK(DecodePgOutput(whole));
    for (std::size_t size = 1; size < whole.size(); ++size) {
      CAPTURE(names[m]);
      CAPTURE(size);
      const std::string error = DecodeError(whole.substr(0, size));
      CHECK(error.rfind(std::string("pgoutput ") + names[m] + " message, offset ", 0) == 0);
      CHECK(error.find("truncated") != std::string::npos);
    }
    CAPTURE(names[m]);
    CHECK(DecodeError(whole + '\0') == std::string("pgoutput ") + names[m] + " message, offset " +
                                           std::to_string(whole.size()) +
                                           ": 1 bytes after the end of the message");
  }
  CHECK(DecodeError("") == "pgoutput message, offset 0: empty");
}

TEST_CASE("malformed messages are refused with the offset and what was wrong") {
  CHECK(DecodeError(std::string("I\0\0", 3)) ==
        "pgoutput Insert message, offset 1: truncated: relation OID needs 4 bytes, 2 left");
  CHECK(DecodeError("M") == "pgoutput message, offset 0: unknown message type 'M' (0x4D)");
  CHECK(DecodeError("\x01") == "pgoutput message, offset 0: unknown message type 0x01");
  CHECK(DecodeError(Message('I').U32(5).U8('X').U16(0).bytes()) ==
        "pgoutput Insert message, offset 5: tuple marker 'X' (0x58), expected 'N' (0x4E)");
  CHECK(DecodeError(Message('D').U32(5).U8('N').U16(0).bytes()) ==
        "pgoutput Delete message, offset 5: tuple marker 'N' (0x4E), expected 'K' (0x4B) or 'O' "
        "(0x4F)");
  CHECK(DecodeError(Message('U').U32(5).U8('K').U16(0).U8('K').U16(0).bytes()) ==
        "pgoutput Update message, offset 8: tuple marker 'K' (0x4B), expected 'N' (0x4E)");
  // A binary value ('b') exists only in protocol version 2 and later.
  CHECK(DecodeError(Message('I').U32(5).U8('N').U16(2).U8('n').U8('b').U32(0).bytes()) ==
        "pgoutput Insert message, offset 9: column 1: unknown value kind 'b' (0x62)");
  CHECK(DecodeError(Message('I').U32(5).U8('N').U16(1).U8('t').U32(3).Raw("ab").bytes()) ==
        "pgoutput Insert message, offset 13: truncated: value needs 3 bytes, 2 left");
  CHECK(DecodeError(Message('I').U32(5).U8('N').U16(1).U8('t').U32(0xFFFFFFFF).bytes()) ==
        "pgoutput Insert message, offset 13: truncated: value needs 4294967295 bytes, 0 left");
  CHECK(DecodeError(Message('I').U32(5).U8('N').U16(40000).bytes()) ==
        "pgoutput Insert message, offset 8: truncated: 40000 columns need at least 40000 bytes, 0 "
        "left");
  CHECK(DecodeError(Message('T').U32(0xFFFFFFFF).U8(0).bytes()) ==
        "pgoutput Truncate message, offset 6: truncated: 4294967295 relation OIDs need at least "
        "17179869180 bytes, 0 left");
  CHECK(DecodeError(Message('T').U32(0).U8(4).bytes()) ==
        "pgoutput Truncate message, offset 5: unknown options 4");
  CHECK(DecodeError(Message('C').U8(1).U64(1).U64(2).U64(3).bytes()) ==
        "pgoutput Commit message, offset 1: flags are 1, expected 0");
  CHECK(DecodeError(Message('R').U32(1).Str("s").Str("t").U8('x').U16(0).bytes()) ==
        "pgoutput Relation message, offset 9: unknown replica identity 'x' (0x78)");
  CHECK(DecodeError(Message('R')
                        .U32(1)
                        .Str("s")
                        .Str("t")
                        .U8('d')
                        .U16(1)
                        .U8(2)
                        .Str("c")
                        .U32(25)
                        .U32(0)
                        .bytes()) ==
        "pgoutput Relation message, offset 12: column 0: unknown flags 2");
  CHECK(DecodeError(Message('R').U32(1).Str("s").Raw("t").bytes()) ==
        "pgoutput Relation message, offset 7: truncated: table name has no terminating NUL");
  // PostgreSQL's infinite timestamps, and one past what a Unix-microsecond clock holds.
  CHECK(DecodeError(Message('B').U64(1).U64(0x7FFFFFFFFFFFFFFF).U32(1).bytes()) ==
        "pgoutput Begin message, offset 9: commit time is out of range");
  CHECK(DecodeError(Message('B').U64(1).U64(0x8000000000000000).U32(1).bytes()) ==
        "pgoutput Begin message, offset 9: commit time is out of range");
  CHECK(
      DecodeError(
          Message('C').U8(0).U64(1).U64(2).U64(0x7FFFFFFFFFFFFFFF - kPgEpochMicros + 1).bytes()) ==
      "pgoutput Commit message, offset 18: commit time is out of range");
}

// Real server output: a logical slot on a private server, read with
// pg_logical_slot_get_binary_changes.
namespace {

class SourceFixture {
 public:
  SourceFixture() {
    StatusOr<std::unique_ptr<test::PgSource>> source = test::PgSource::Create();
    REQUIRE_OK(source);
    source_ = std::move(source).value();
  }

  test::PgConnection& conn() { return source_->conn(); }

  PgOid Oid(const std::string& name, const std::string& kind = "regclass") {
    StatusOr<PgOid> oid = source_->Oid(name, kind);
    REQUIRE_OK(oid);
    return *oid;
  }

  // Every message the slot has for the publication since the last call.
  std::vector<PgMessage> Changes() {
    StatusOr<std::vector<std::string>> changes = source_->TakeChanges();
    REQUIRE_OK(changes);
    std::vector<PgMessage> messages;
    for (const std::string& bytes : *changes) {
      StatusOr<PgMessage> message = DecodePgOutput(bytes);
      REQUIRE_OK(message);
      messages.push_back(std::move(message).value());
    }
    return messages;
  }

 private:
  std::unique_ptr<test::PgSource> source_;
};

template <typename T>
const T& As(const PgMessage& message) {
  REQUIRE(std::holds_alternative<T>(message));
  return std::get<T>(message);
}

constexpr PgOid kInt8 = 20, kInt4 = 23, kText = 25, kVarchar = 1043, kTimestamp = 1114,
                kTimestampTz = 1184;

// The values of `row` in `relation`'s column order, as text ("NULL", "TOAST").
std::vector<std::string> Show(const PgTuple& row) {
  std::vector<std::string> shown;
  for (const PgValue& value : row) {
    shown.push_back(value.kind == PgValue::Kind::kText   ? value.text
                    : value.kind == PgValue::Kind::kNull ? "NULL"
                                                         : "TOAST");
  }
  return shown;
}

}  // namespace

TEST_CASE("a real transaction decodes as Begin, types and relations, changes, Commit") {
  SourceFixture source;
  REQUIRE_OK(source.conn().Exec(
      "BEGIN;"
      "INSERT INTO threecolts_app VALUES (1, 'A', 'key-1', 'prod', '2026-01-02 "
      "03:04:05.123456+00', "
      "'2026-01-02 03:04:05+00');"
      "INSERT INTO \"user\" VALUES (7, 'U-7', 'a@b.c', NULL, 'active', '2026-01-02 03:04:05+02', "
      "'2026-01-02 03:04:05.5');"
      "INSERT INTO threecolts_organization VALUES (3, 1, 7, 'ORG-3', 'Org', "
      "'2026-01-02 03:04:05+00', '2026-01-02 03:04:05+00');"
      "INSERT INTO client VALUES (5, 3, 'ACC-5', 'Acc', 'db5', 6432, 'd5', 'u5', 'pw', 'disabled', "
      "'2026-01-02 03:04:05+00', '2026-01-02 03:04:05');"
      "INSERT INTO client_user VALUES (5, 7, '2026-01-02 03:04:05+00');"
      "COMMIT"));
  std::vector<PgMessage> messages = source.Changes();
  REQUIRE(messages.size() == 14);

  const PgBegin& begin = As<PgBegin>(messages[0]);
  const PgCommit& commit = As<PgCommit>(messages[13]);
  CHECK(begin.final_lsn == commit.commit_lsn);
  CHECK(commit.end_lsn > commit.commit_lsn);
  CHECK(begin.commit_time == commit.commit_time);
  CHECK(begin.xid != 0);
  const auto now = std::chrono::system_clock::now();
  CHECK(commit.commit_time > now - std::chrono::minutes(10));
  CHECK(commit.commit_time < now + std::chrono::minutes(10));

  CHECK(As<PgRelation>(messages[1]) == PgRelation{source.Oid("threecolts_app"),
                                                  "public",
                                                  "threecolts_app",
                                                  'd',
                                                  {{"id", kInt8, -1, true},
                                                   {"name", kText, -1, false},
                                                   {"app_key", kVarchar, 68, false},
                                                   {"environment", kText, -1, false},
                                                   {"created_at", kTimestampTz, -1, false},
                                                   {"updated_at", kTimestampTz, -1, false}}});
  CHECK(As<PgInsert>(messages[2]).relation == source.Oid("threecolts_app"));
  CHECK(Show(As<PgInsert>(messages[2]).row) ==
        std::vector<std::string>{"1", "A", "key-1", "prod", "2026-01-02 03:04:05.123456+00",
                                 "2026-01-02 03:04:05+00"});

  const PgType& type = As<PgType>(messages[3]);
  CHECK(type == PgType{source.Oid("record_status", "regtype"), "public", "record_status"});
  CHECK(As<PgRelation>(messages[4]) == PgRelation{source.Oid("\"user\""),
                                                  "public",
                                                  "user",
                                                  'd',
                                                  {{"id", kInt8, -1, true},
                                                   {"external_id", kVarchar, 68, false},
                                                   {"email", kVarchar, 324, false},
                                                   {"name", kText, -1, false},
                                                   {"status", type.oid, -1, false},
                                                   {"created_at", kTimestampTz, -1, false},
                                                   {"updated_at", kTimestamp, -1, false}}});
  CHECK(Show(As<PgInsert>(messages[5]).row) ==
        std::vector<std::string>{"7", "U-7", "a@b.c", "NULL", "active", "2026-01-02 01:04:05+00",
                                 "2026-01-02 03:04:05.5"});

  CHECK(As<PgRelation>(messages[6]).table == "threecolts_organization");
  CHECK(Show(As<PgInsert>(messages[7]).row) ==
        std::vector<std::string>{"3", "1", "7", "ORG-3", "Org", "2026-01-02 03:04:05+00",
                                 "2026-01-02 03:04:05+00"});
  CHECK(As<PgType>(messages[8]) == type);
  const PgRelation& client = As<PgRelation>(messages[9]);
  CHECK(client.table == "client");
  CHECK(client.columns.at(5) == PgColumn{"db_port", kInt4, -1, false});
  CHECK(Show(As<PgInsert>(messages[10]).row) ==
        std::vector<std::string>{"5", "3", "ACC-5", "Acc", "db5", "6432", "d5", "u5", "pw",
                                 "disabled", "2026-01-02 03:04:05+00", "2026-01-02 03:04:05"});
  CHECK(As<PgRelation>(messages[11]) == PgRelation{source.Oid("client_user"),
                                                   "public",
                                                   "client_user",
                                                   'd',
                                                   {{"client_id", kInt8, -1, true},
                                                    {"user_id", kInt8, -1, true},
                                                    {"created_at", kTimestampTz, -1, false}}});
  CHECK(Show(As<PgInsert>(messages[12]).row) ==
        std::vector<std::string>{"5", "7", "2026-01-02 03:04:05+00"});
}

namespace {

// An app, two users, an organization, a client whose password is 12,800
// bytes of hex (stored out of line: pglz cannot shrink it), and a link.
constexpr const char* kSeed =
    "INSERT INTO threecolts_app VALUES (1, 'A', 'key-1', 'prod', '2026-01-02 03:04:05+00', "
    "'2026-01-02 03:04:05+00');"
    "INSERT INTO \"user\" VALUES (7, 'U-7', 'a@b.c', 'Ann', 'active', '2026-01-02 03:04:05+00', "
    "'2026-01-02 03:04:05'), (8, 'U-8', 'b@b.c', 'Bob', 'active', '2026-01-02 03:04:05+00', "
    "'2026-01-02 03:04:05');"
    "INSERT INTO threecolts_organization VALUES (3, 1, 7, 'ORG-3', 'Org', "
    "'2026-01-02 03:04:05+00', '2026-01-02 03:04:05+00');"
    "INSERT INTO client VALUES (5, 3, 'ACC-5', 'Acc', 'db5', 6432, 'd5', 'u5', "
    "(SELECT string_agg(md5(i::text), '') FROM generate_series(1, 400) i), 'active', "
    "'2026-01-02 03:04:05+00', '2026-01-02 03:04:05');"
    "INSERT INTO client_user VALUES (5, 7, '2026-01-02 03:04:05+00');";

}  // namespace

TEST_CASE("real updates and deletes carry the old key, unchanged TOAST values and full old rows") {
  SourceFixture source;
  REQUIRE_OK(source.conn().Exec(kSeed));
  (void)source.Changes();
  StatusOr<std::vector<test::PgRow>> password =
      source.conn().Query("SELECT db_password FROM client WHERE id = 5");
  REQUIRE_OK(password);
  const std::string big = *password->at(0).at(0);
  REQUIRE(big.size() == 12800);
  const std::vector<std::string> nulls(6, "NULL");

  SUBCASE("an update that changes no key sends no old row, and TOAST it did not touch as such") {
    REQUIRE_OK(source.conn().Exec("UPDATE client SET db_port = 7000 WHERE id = 5"));
    std::vector<PgMessage> messages = source.Changes();
    REQUIRE(messages.size() == 5);
    CHECK(As<PgRelation>(messages[2]).table == "client");
    const PgUpdate& update = As<PgUpdate>(messages[3]);
    CHECK(update.relation == source.Oid("client"));
    CHECK(update.old_kind == PgOldRow::kNone);
    CHECK(update.old_row.empty());
    CHECK(Show(update.row) ==
          std::vector<std::string>{"5", "3", "ACC-5", "Acc", "db5", "7000", "d5", "u5", "TOAST",
                                   "active", "2026-01-02 03:04:05+00", "2026-01-02 03:04:05"});
  }
  SUBCASE("an update of the key sends the old key, the other old columns null") {
    REQUIRE_OK(source.conn().Exec("UPDATE \"user\" SET id = 9 WHERE id = 8"));
    std::vector<PgMessage> messages = source.Changes();
    REQUIRE(messages.size() == 5);
    CHECK(As<PgType>(messages[1]).name == "record_status");
    const PgUpdate& update = As<PgUpdate>(messages[3]);
    CHECK(update.old_kind == PgOldRow::kKey);
    std::vector<std::string> old_key{"8"};
    old_key.insert(old_key.end(), nulls.begin(), nulls.end());
    CHECK(Show(update.old_row) == old_key);
    CHECK(Show(update.row) == std::vector<std::string>{"9", "U-8", "b@b.c", "Bob", "active",
                                                       "2026-01-02 03:04:05+00",
                                                       "2026-01-02 03:04:05"});
  }
  SUBCASE("a delete sends the key") {
    REQUIRE_OK(source.conn().Exec("DELETE FROM client_user WHERE client_id = 5 AND user_id = 7"));
    std::vector<PgMessage> messages = source.Changes();
    REQUIRE(messages.size() == 4);
    CHECK(As<PgDelete>(messages[2]) ==
          PgDelete{source.Oid("client_user"), PgOldRow::kKey, {Text("5"), Text("7"), kNull}});
  }
  SUBCASE("under REPLICA IDENTITY FULL, updates and deletes send the whole old row") {
    REQUIRE_OK(
        source.conn().Exec("ALTER TABLE client REPLICA IDENTITY FULL;"
                           "DELETE FROM client_user;"
                           "UPDATE client SET name = 'B' WHERE id = 5;"
                           "DELETE FROM client WHERE id = 5"));
    std::vector<PgMessage> messages = source.Changes();
    REQUIRE(messages.size() == 8);
    const PgRelation& relation = As<PgRelation>(messages[4]);
    CHECK(relation.table == "client");
    CHECK(relation.replica_identity == 'f');
    // Under FULL every column is part of the identity.
    for (const PgColumn& column : relation.columns) CHECK(column.key);
    const PgUpdate& update = As<PgUpdate>(messages[5]);
    CHECK(update.old_kind == PgOldRow::kFull);
    const std::vector<std::string> before{"5",
                                          "3",
                                          "ACC-5",
                                          "Acc",
                                          "db5",
                                          "6432",
                                          "d5",
                                          "u5",
                                          big,
                                          "active",
                                          "2026-01-02 03:04:05+00",
                                          "2026-01-02 03:04:05"};
    CHECK(Show(update.old_row) == before);
    std::vector<std::string> after = before;
    after[3] = "B";
    after[8] = "TOAST";
    CHECK(Show(update.row) == after);
    const PgDelete& erase = As<PgDelete>(messages[6]);
    CHECK(erase.old_kind == PgOldRow::kFull);
    after[8] = big;
    CHECK(Show(erase.old_row) == after);
  }
}

TEST_CASE("a real TRUNCATE names its tables and options") {
  SourceFixture source;
  REQUIRE_OK(source.conn().Exec(kSeed));
  (void)source.Changes();
  REQUIRE_OK(source.conn().Exec("TRUNCATE client_user"));
  REQUIRE_OK(source.conn().Exec("TRUNCATE client CASCADE"));
  REQUIRE_OK(source.conn().Exec("TRUNCATE threecolts_organization RESTART IDENTITY CASCADE"));
  std::vector<PgMessage> messages = source.Changes();
  // Each transaction sends the relations again: TRUNCATE gives them new files.
  REQUIRE(messages.size() == 17);
  CHECK(As<PgTruncate>(messages[2]) == PgTruncate{false, false, {source.Oid("client_user")}});
  // CASCADE lists the tables it reached (here client_user, empty already).
  CHECK(As<PgTruncate>(messages[8]) ==
        PgTruncate{true, false, {source.Oid("client"), source.Oid("client_user")}});
  CHECK(As<PgTruncate>(messages[15]) ==
        PgTruncate{true,
                   true,
                   {source.Oid("threecolts_organization"), source.Oid("client"),
                    source.Oid("client_user")}});
}

TEST_CASE("random damage to valid messages is decoded or refused, never read out of bounds") {
  // Under AddressSanitizer this is a small fuzzer; the seed is fixed.
  std::mt19937 random(20261130);
  MESSAGE("seed 20261130");
  std::size_t refused = 0;
  for (const std::string& whole : EveryMessageType()) {
    for (int round = 0; round < 2000; ++round) {
      std::string damaged = whole;
      const int edits = 1 + static_cast<int>(random() % 4);
      for (int e = 0; e < edits; ++e) {
        const std::size_t at = random() % damaged.size();
        switch (random() % 3) {
          case 0:
            damaged[at] = static_cast<char>(random());
            break;
          case 1:
            damaged.erase(at, 1 + random() % 3);
            break;
          default:
            damaged.insert(at, 1, static_cast<char>(random()));
            break;
        }
        if (damaged.empty()) damaged = "B";
      }
      StatusOr<PgMessage> message = DecodePgOutput(damaged);
      if (!message.ok()) {
        ++refused;
        CHECK(message.status().code() == ErrorCode::kCorruption);
      }
    }
  }
  CHECK(refused > 9000);
}
