#include "change_translator.h"

#include <doctest/doctest.h>

#include <algorithm>

#include "copy_text.h"
#include "hubreg/registry.h"
#include "pg_testutil.h"
#include "testutil.h"

using namespace hubreg;
using namespace hubreg::sync;

namespace {

StatusOr<SourceRow> Parse(RegistryTable table, const std::vector<PgValue>& values,
                          const SourceRow* current = nullptr) {
  std::vector<const PgValue*> pointers;
  for (const PgValue& value : values) pointers.push_back(&value);
  return ParseSourceRow(table, pointers, current);
}

PgValue T(std::string text) { return PgValue{PgValue::Kind::kText, std::move(text)}; }
const PgValue kNull{PgValue::Kind::kNull, {}};
const PgValue kToast{PgValue::Kind::kUnchangedToast, {}};

Timestamp Micros(std::int64_t micros) { return Timestamp(std::chrono::microseconds(micros)); }

// A private source, a registry that follows it through a ChangeTranslator,
// one batch per source transaction.
class Follower {
 public:
  explicit Follower(SourceMapping mapping = SourceMapping()) : translator_(std::move(mapping)) {
    StatusOr<std::unique_ptr<test::PgSource>> source = test::PgSource::Create();
    REQUIRE_OK(source);
    source_ = std::move(source).value();
  }

  test::PgConnection& conn() { return source_->conn(); }
  Registry& registry() { return registry_; }
  ChangeTranslator& translator() { return translator_; }

  void Exec(const std::string& sql) { REQUIRE_OK(conn().Exec(sql)); }

  // Translates and applies what the source committed since the last call.
  // With `group`, every transaction is translated before any is applied (as
  // a follower that groups commits does). Stops at the first error.
  Status CatchUp(bool group = false) {
    StatusOr<std::vector<std::string>> changes = source_->TakeChanges();
    HUBREG_RETURN_IF_ERROR(changes.status());
    std::vector<Batch> pending;
    Batch batch;
    for (const std::string& bytes : *changes) {
      StatusOr<PgMessage> message = DecodePgOutput(bytes);
      HUBREG_RETURN_IF_ERROR(message.status());
      const View state = registry_.Read();
      HUBREG_RETURN_IF_ERROR(translator_.Translate(*message, state, &batch));
      if (std::holds_alternative<PgCommit>(*message)) {
        pending.push_back(std::move(batch));
        batch = Batch();
        if (!group) HUBREG_RETURN_IF_ERROR(ApplyAll(pending));
      }
    }
    return ApplyAll(pending);
  }

  // Translates each transaction while the one before it is not yet applied
  // (as a follower whose previous group is still committing), then applies
  // that one and marks only it applied (MarkApplied(through)).
  Status CatchUpOneBehind() {
    StatusOr<std::vector<std::string>> changes = source_->TakeChanges();
    HUBREG_RETURN_IF_ERROR(changes.status());
    std::optional<Batch> previous;
    Batch batch;
    const auto apply_previous = [&](std::uint64_t through) -> Status {
      if (previous && !previous->empty())
        HUBREG_RETURN_IF_ERROR(registry_.Apply(*previous).status());
      previous.reset();
      translator_.MarkApplied(through);
      return Status::Ok();
    };
    for (const std::string& bytes : *changes) {
      StatusOr<PgMessage> message = DecodePgOutput(bytes);
      HUBREG_RETURN_IF_ERROR(message.status());
      const View state = registry_.Read();
      HUBREG_RETURN_IF_ERROR(translator_.Translate(*message, state, &batch));
      if (std::holds_alternative<PgCommit>(*message)) {
        HUBREG_RETURN_IF_ERROR(apply_previous(translator_.transactions() - 1));
        previous = std::move(batch);
        batch = Batch();
      }
    }
    return apply_previous(translator_.transactions());
  }

  // The source's rows, read with the initial copy's statements and parser.
  RegistryRows SourceRows() {
    RegistryRows rows;
    for (RegistryTable table : kRegistryTables) {
      StatusOr<std::vector<std::string>> lines =
          conn().CopyOut(translator_.mapping().CopyStatement(table));
      REQUIRE_OK(lines);
      for (const std::string& line : *lines) {
        StatusOr<SourceRow> row = ParseCopyRow(table, line);
        REQUIRE_OK(row);
        std::visit(
            [&](auto& r) {
              using Row = std::decay_t<decltype(r)>;
              if constexpr (std::is_same_v<Row, App>) rows.apps.push_back(r);
              if constexpr (std::is_same_v<Row, Organization>) rows.organizations.push_back(r);
              if constexpr (std::is_same_v<Row, Client>) rows.clients.push_back(r);
              if constexpr (std::is_same_v<Row, User>) rows.users.push_back(r);
              if constexpr (std::is_same_v<Row, ClientUserLink>) rows.links.push_back(r);
            },
            *row);
      }
    }
    test::SortRows(rows);
    return rows;
  }

  void CheckEqualToSource() {
    const RegistryRows source = SourceRows();
    const RegistryRows registry = test::SortedRows(registry_.Read());
    CHECK(registry.apps == source.apps);
    CHECK(registry.organizations == source.organizations);
    CHECK(registry.clients == source.clients);
    CHECK(registry.users == source.users);
    CHECK(registry.links == source.links);
  }

 private:
  Status ApplyAll(std::vector<Batch>& batches) {
    for (const Batch& batch : batches) {
      if (batch.empty()) continue;
      StatusOr<CommitResult> result = registry_.Apply(batch);
      if (!result.ok()) {
        batches.clear();
        translator_.MarkApplied();
        return result.status();
      }
    }
    batches.clear();
    translator_.MarkApplied();
    return Status::Ok();
  }

  std::unique_ptr<test::PgSource> source_;
  Registry registry_;
  ChangeTranslator translator_;
};

// Two apps, two users, an organization, two clients (one with a 12,800-byte
// password the server stores out of line) and two links.
constexpr const char* kSeed =
    "INSERT INTO threecolts_app VALUES (1, 'A', 'key-1', 'prod', '2026-01-02 03:04:05.25+00', "
    "'2026-01-02 03:04:05+00'), (2, '', 'key-2', 'stage', now(), now());"
    "INSERT INTO \"user\" VALUES (7, 'U-7', 'a@b.c', 'Ann', 'active', '2026-01-02 03:04:05+02', "
    "'2026-01-02 03:04:05.5'), (8, 'U-8', 'b@b.c', NULL, 'disabled', now(), now());"
    "INSERT INTO threecolts_organization VALUES (3, 1, 7, 'ORG-3', 'Org', now(), now());"
    "INSERT INTO client VALUES (5, 3, 'ACC-5', 'Acc', 'db5', 6432, 'd5', 'u5', "
    "(SELECT string_agg(md5(i::text), '') FROM generate_series(1, 400) i), 'active', now(), "
    "now()), (6, NULL, 'ACC-6', NULL, NULL, NULL, NULL, NULL, NULL, 'disabled', now(), now());"
    "INSERT INTO client_user VALUES (5, 7, now()), (6, 8, now());";

}  // namespace

TEST_CASE("PostgreSQL's timestamp text becomes UTC microseconds") {
  CHECK(*ParsePgTimestamp("2026-01-02 03:04:05+00") == Micros(1'767'323'045'000'000));
  CHECK(*ParsePgTimestamp("2026-01-02 03:04:05") == Micros(1'767'323'045'000'000));
  CHECK(*ParsePgTimestamp("2026-01-02 03:04:05.123456+00") == Micros(1'767'323'045'123'456));
  CHECK(*ParsePgTimestamp("2026-01-02 03:04:05.5") == Micros(1'767'323'045'500'000));
  CHECK(*ParsePgTimestamp("2026-01-02 05:34:05+02:30") == Micros(1'767'323'045'000'000));
  CHECK(*ParsePgTimestamp("2026-01-01 19:04:05-08") == Micros(1'767'323'045'000'000));
  CHECK(*ParsePgTimestamp("1850-01-01 00:00:00+00:53:28") ==
        *ParsePgTimestamp("1849-12-31 23:06:32+00"));
  CHECK(*ParsePgTimestamp("1969-12-31 23:59:59.999999+00") == Micros(-1));
  for (const char* bad : {"", "infinity", "-infinity", "2026-01-02", "2026-01-02T03:04:05+00",
                          "2026-02-30 03:04:05", "2026-01-02 24:00:00", "2026-01-02 03:04:05.",
                          "2026-01-02 03:04:05.1234567", "2026-01-02 03:04:05+0",
                          "0044-03-15 "
                          "12:00:00 BC",
                          "12026-01-02 03:04:05", "2026-01-02 03:04:05 +00",
                          "2026-01-02 03:04:05+00:0", "2026-01-02 03:04:05Z"}) {
    CAPTURE(bad);
    CHECK(ParsePgTimestamp(bad).status().code() == ErrorCode::kInvalidArgument);
  }
}

TEST_CASE("a row of text values becomes a model row, NULLs as import reads them") {
  StatusOr<SourceRow> client =
      Parse(RegistryTable::kClient,
            {T("5"), kNull, T("ACC-5"), kNull, kNull, kNull, kNull, kNull, kNull, T("disabled"),
             T("2026-01-02 03:04:05+00"), T("2026-01-02 03:04:05")});
  REQUIRE_OK(client);
  Client expected;
  expected.id = 5;
  expected.external_id = "ACC-5";
  expected.status = RecordStatus::kDisabled;
  expected.created_at = expected.updated_at = Micros(1'767'323'045'000'000);
  CHECK(std::get<Client>(*client) == expected);

  StatusOr<SourceRow> bad =
      Parse(RegistryTable::kClient, {T("0"), T("x"), T(""), kNull, kNull, T("70000"), kNull, kNull,
                                     T("secret-password"), T("gone"), kNull, T("soon")});
  CHECK(bad.status().message() ==
        "id: \"0\" is not a positive integer id; threecolts_organization_id: \"x\" is not a "
        "positive integer id; external_id: must not be empty; db_port: \"70000\" is not a port "
        "number (0 to 65535); status: \"gone\" is not active or disabled; created_at: must not "
        "be empty; updated_at: \"soon\": not a timestamp in PostgreSQL's ISO form (e.g. "
        "2026-01-02 03:04:05.123456+00)");
  CHECK(Parse(RegistryTable::kUser, {T("7"), T("U-7"), T("nobody"), kNull, T("active"),
                                     T("2026-01-02 03:04:05+00"), T("2026-01-02 03:04:05")})
            .status()
            .message() == "email: \"nobody\" is not an email address");
  CHECK(Parse(RegistryTable::kApp, {T("1"), kNull, T("k"), T("test"), T("2026-01-02 03:04:05+00"),
                                    T("2026-01-02 03:04:05+00")})
            .status()
            .message() == "environment: \"test\" is not stage or prod");
  // An unchanged TOAST value needs the current row.
  CHECK(Parse(RegistryTable::kUser, {T("7"), T("U-7"), T("a@b.c"), kToast, T("active"),
                                     T("2026-01-02 03:04:05+00"), T("2026-01-02 03:04:05")})
            .status()
            .message() == "name: unchanged in the source, but the registry does not hold the row");
  User now;
  now.name = "Kept";
  const SourceRow current = now;
  StatusOr<SourceRow> user = Parse(RegistryTable::kUser,
                                   {T("7"), T("U-7"), T("a@b.c"), kToast, T("active"),
                                    T("2026-01-02 03:04:05+00"), T("2026-01-02 03:04:05")},
                                   &current);
  REQUIRE_OK(user);
  CHECK(std::get<User>(*user).name == "Kept");
}

TEST_CASE("COPY text lines split on tabs, with \\N as NULL and backslash escapes decoded") {
  StatusOr<std::vector<PgValue>> fields =
      ParseCopyLine("1\t\\N\ta\\tb\\nc\\\\d\t\t\\101\\x41\\x4a\\q\\N");
  REQUIRE_OK(fields);
  CHECK(*fields == std::vector<PgValue>{T("1"), kNull, T("a\tb\nc\\d"), T(""), T("AAJqN")});
  CHECK(*ParseCopyLine("") == std::vector<PgValue>{T("")});
  CHECK(ParseCopyLine("a\tb\\").status().message() ==
        "COPY line, offset 3: a backslash ends the field");
  CHECK(ParseCopyRow(RegistryTable::kClientUser, "5\t7").status().message() ==
        "copy of client_user: a row has 2 fields, expected 3");
  CHECK(
      ParseCopyRow(RegistryTable::kClientUser, "5\t0\t2026-01-02 03:04:05+00").status().message() ==
      "client_user (5, 0): user_id: \"0\" is not a positive integer id; in the initial copy");
}

TEST_CASE("a source mapping names other tables and writes the COPY statements") {
  SourceMapping mapping;
  CHECK(mapping.CopyStatement(RegistryTable::kClientUser) ==
        "COPY \"public\".\"client_user\" (\"client_id\", \"user_id\", \"created_at\") TO STDOUT");
  REQUIRE_OK(mapping.Map("user", {"accounts", "people \"x\""}));
  CHECK(mapping.CopyStatement(RegistryTable::kUser) ==
        "COPY \"accounts\".\"people \"\"x\"\"\" (\"id\", \"external_id\", \"email\", \"name\", "
        "\"status\", \"created_at\", \"updated_at\") TO STDOUT");
  CHECK(mapping.Find("accounts", "people \"x\"") == RegistryTable::kUser);
  CHECK_FALSE(mapping.Find("public", "user").has_value());
  CHECK(mapping.Map("users", {"a", "b"}).message() == "\"users\" is not a hubreg table");
  CHECK(mapping.Map("client", {"accounts", "people \"x\""}).message() ==
        "source table accounts.people \"x\" is already mapped to user");
}

TEST_CASE("a stream of real transactions leaves the registry equal to the source") {
  Follower follower;
  follower.Exec(kSeed);
  REQUIRE_OK(follower.CatchUp());
  follower.CheckEqualToSource();

  SUBCASE("updates, with unchanged TOAST values taken from the registry") {
    follower.Exec(
        "UPDATE client SET db_port = 7000, updated_at = '2027-01-01 00:00:00' WHERE id = 5");
    follower.Exec("UPDATE \"user\" SET name = 'Bob', status = 'active' WHERE id = 8");
    follower.Exec(
        "UPDATE client_user SET created_at = '2020-01-01 00:00:00+00' WHERE client_id = 5");
    REQUIRE_OK(follower.CatchUp());
    follower.CheckEqualToSource();
    CHECK(follower.registry().Read().FindClient(5)->db_password.Reveal().size() == 12800);
  }
  SUBCASE("a changed key becomes an erase and an insert") {
    follower.Exec(
        "DELETE FROM client_user WHERE client_id = 6;"
        "UPDATE \"user\" SET id = 9 WHERE id = 8;"
        "UPDATE client SET id = 10 WHERE id = 6");
    REQUIRE_OK(follower.CatchUp());
    follower.CheckEqualToSource();
  }
  SUBCASE("a changed id that the source's ON UPDATE CASCADE carries to the rows referring to it") {
    follower.Exec(
        "ALTER TABLE client_user DROP CONSTRAINT client_user_user_id_fkey,"
        " ADD FOREIGN KEY (user_id) REFERENCES \"user\" (id) ON UPDATE CASCADE,"
        " DROP CONSTRAINT client_user_client_id_fkey,"
        " ADD FOREIGN KEY (client_id) REFERENCES client (id) ON UPDATE CASCADE;"
        "ALTER TABLE threecolts_organization"
        " DROP CONSTRAINT threecolts_organization_organization_owner_id_fkey,"
        " ADD FOREIGN KEY (organization_owner_id) REFERENCES \"user\" (id) ON UPDATE CASCADE,"
        " DROP CONSTRAINT threecolts_organization_threecolts_app_id_fkey,"
        " ADD FOREIGN KEY (threecolts_app_id) REFERENCES threecolts_app (id) ON UPDATE CASCADE;"
        "ALTER TABLE client DROP CONSTRAINT client_threecolts_organization_id_fkey,"
        " ADD FOREIGN KEY (threecolts_organization_id) REFERENCES threecolts_organization (id)"
        " ON UPDATE CASCADE");
    // User 7 owns organization 3 and is linked to client 5; each keeps its
    // unique keys under the new id.
    follower.Exec("UPDATE \"user\" SET id = 70 WHERE id = 7");
    follower.Exec("UPDATE client SET id = 50 WHERE id = 5");
    follower.Exec("UPDATE threecolts_organization SET id = 30 WHERE id = 3");
    follower.Exec("UPDATE threecolts_app SET id = 10 WHERE id = 1");
    REQUIRE_OK(follower.CatchUp());
    follower.CheckEqualToSource();
    CHECK(follower.registry().Read().HasLink(50, 70));
    CHECK(follower.registry().Read().FindOrganization(30)->organization_owner_id == 70);
    // In one transaction, translated with the ones before it: an id moved
    // back, a freed id taken by a new row, and the same id moved twice.
    follower.Exec(
        "BEGIN; UPDATE \"user\" SET id = 7 WHERE id = 70;"
        "UPDATE \"user\" SET id = 80 WHERE id = 8;"
        "INSERT INTO \"user\" VALUES (8, 'U-8b', 'c@b.c', NULL, 'active', now(), now());"
        "UPDATE client SET id = 51 WHERE id = 50; UPDATE client SET id = 52 WHERE id = 51;"
        "COMMIT");
    follower.Exec("UPDATE \"user\" SET id = 9 WHERE id = 8");
    REQUIRE_OK(follower.CatchUp(/*group=*/true));
    follower.CheckEqualToSource();
    CHECK(follower.registry().Read().HasLink(52, 7));
    CHECK(follower.registry().Read().HasLink(6, 80));
  }
  SUBCASE("deletes, and the source's ON DELETE CASCADE on links") {
    follower.Exec(
        "ALTER TABLE client_user DROP CONSTRAINT client_user_user_id_fkey,"
        " ADD FOREIGN KEY (user_id) REFERENCES \"user\" (id) ON DELETE CASCADE");
    follower.Exec("DELETE FROM \"user\" WHERE id = 8");
    follower.Exec("DELETE FROM client_user WHERE client_id = 5; DELETE FROM client WHERE id = 5");
    REQUIRE_OK(follower.CatchUp());
    follower.CheckEqualToSource();
    CHECK(follower.registry().Read().counts() == TableCounts{2, 1, 1, 1, 0});
  }
  SUBCASE("REPLICA IDENTITY FULL, with the unchanged TOAST value in the old row") {
    follower.Exec(
        "ALTER TABLE client REPLICA IDENTITY FULL;"
        "ALTER TABLE client_user REPLICA IDENTITY FULL");
    follower.Exec("UPDATE client SET name = 'B' WHERE id = 5");
    follower.Exec("DELETE FROM client_user WHERE client_id = 6; DELETE FROM client WHERE id = 6");
    REQUIRE_OK(follower.CatchUp());
    follower.CheckEqualToSource();
  }
  SUBCASE("TRUNCATE erases every row of the tables it names, rows added in the transaction too") {
    follower.Exec(
        "BEGIN; INSERT INTO client_user VALUES (5, 8, now());"
        "TRUNCATE client_user; INSERT INTO client_user VALUES (6, 7, now()); COMMIT");
    REQUIRE_OK(follower.CatchUp());
    follower.CheckEqualToSource();
    CHECK(follower.registry().Read().counts().links == 1);
    follower.Exec("TRUNCATE threecolts_app CASCADE");
    REQUIRE_OK(follower.CatchUp());
    follower.CheckEqualToSource();
    // TRUNCATE ... CASCADE empties whole tables, client 6 (no organization) too.
    CHECK(follower.registry().Read().counts() == TableCounts{0, 0, 0, 2, 0});
  }
  SUBCASE("transactions translated before any is applied see each other's rows") {
    follower.Exec(
        "INSERT INTO client VALUES (11, 3, 'ACC-11', 'N', 'h', 1, 'd', 'u', "
        "(SELECT string_agg(md5((i + 1)::text), '') FROM generate_series(1, 400) i), "
        "'active', now(), now())");
    follower.Exec("UPDATE client SET db_port = 2 WHERE id = 11");
    follower.Exec("INSERT INTO client_user VALUES (11, 7, now())");
    follower.Exec(
        "DELETE FROM client_user WHERE client_id = 11; DELETE FROM client WHERE id = 11;"
        "INSERT INTO client VALUES (11, 3, 'ACC-11b', 'N', 'h', 1, 'd', 'u', 'p', "
        "'active', now(), now())");
    REQUIRE_OK(follower.CatchUp(/*group=*/true));
    follower.CheckEqualToSource();
  }
  SUBCASE("a transaction translated while the one before is applied keeps seeing its own rows") {
    // Client 11 is inserted by the second transaction: when the first is
    // marked applied, the third still finds it among the translated rows,
    // with the out-of-line password its update leaves unchanged.
    follower.Exec("UPDATE \"user\" SET name = 'Anne' WHERE id = 7");
    follower.Exec(
        "INSERT INTO client VALUES (11, 3, 'ACC-11', 'N', 'h', 1, 'd', 'u', "
        "(SELECT string_agg(md5((i + 1)::text), '') FROM generate_series(1, 400) i), "
        "'active', now(), now())");
    follower.Exec("UPDATE client SET db_port = 2 WHERE id = 11");
    follower.Exec("UPDATE client SET db_port = 3 WHERE id = 11");
    REQUIRE_OK(follower.CatchUpOneBehind());
    follower.CheckEqualToSource();
  }
}

TEST_CASE("a changed id of a row the registry does not hold names the table and the old key") {
  Follower follower;
  follower.Exec(kSeed);
  follower.Exec("DELETE FROM client_user WHERE user_id = 8");
  REQUIRE_OK(follower.CatchUp());
  REQUIRE_OK(follower.registry().Apply(Batch().Erase<User>(8)).status());
  follower.Exec("UPDATE \"user\" SET id = 9 WHERE id = 8");
  const Status status = follower.CatchUp();
  CHECK(status.code() == ErrorCode::kNotFound);
  CHECK_MESSAGE(status.message().rfind(
                    "user 8: no such row to update; in the transaction committed at LSN ", 0) == 0,
                status.message());
  CHECK(follower.registry().Read().FindUser(9) == nullptr);
}

TEST_CASE("a row the registry cannot take names the table, the key and the LSN, never a password") {
  Follower follower;
  follower.Exec(kSeed);
  REQUIRE_OK(follower.CatchUp());
  follower.Exec("ALTER TABLE client DROP CONSTRAINT client_db_port_check");
  follower.Exec(
      "INSERT INTO client VALUES (12, 3, 'ACC-12', 'N', 'h', 70000, 'd', 'u', "
      "'hunter2-secret', 'active', now(), now())");
  StatusOr<std::vector<test::PgRow>> lsn = follower.conn().Query(
      "SELECT pg_current_wal_lsn()");  // after the commit: the commit's LSN is before it
  REQUIRE_OK(lsn);
  const Status status = follower.CatchUp();
  CHECK(status.code() == ErrorCode::kInvalidArgument);
  const std::string prefix =
      "client 12: db_port: \"70000\" is not a port number (0 to 65535); in the transaction "
      "committed at LSN ";
  CHECK(status.message().rfind(prefix, 0) == 0);
  const std::optional<Lsn> commit = ParseLsn(status.message().substr(prefix.size()));
  REQUIRE(commit.has_value());
  CHECK(*commit < *ParseLsn(*lsn->at(0).at(0)));
  CHECK(status.message().find("hunter2") == std::string::npos);
  // Nothing of the transaction was applied.
  CHECK(follower.registry().Read().FindClient(12) == nullptr);
}

TEST_CASE("a source table that does not fit is refused with the exact difference") {
  Follower follower;
  follower.Exec("ALTER TABLE \"user\" ADD COLUMN extra int, ALTER created_at TYPE date");
  follower.Exec(
      "INSERT INTO \"user\" VALUES (7, 'U-7', 'a@b.c', 'Ann', 'active', now(), now(), 1)");
  CHECK(follower.CatchUp().message() ==
        "user.created_at: source type date, expected a timestamp type");
  CHECK(follower.registry().Read().counts() == TableCounts{});

  follower.Exec(
      "ALTER TABLE client DROP CONSTRAINT client_db_port_check, ALTER db_port TYPE text, DROP "
      "COLUMN name");
  follower.Exec(
      "INSERT INTO client VALUES (5, NULL, 'ACC-5', 'db5', '6432', 'd5', 'u5', 'pw', "
      "'active', now(), now())");
  CHECK(follower.CatchUp().message() ==
        "client.name: missing in source table public.client; client.db_port: source type text, "
        "expected an integer type");
  CHECK(follower.registry().Read().counts() == TableCounts{});
}

TEST_CASE("the replica identity must name the key, unless it is FULL") {
  ChangeTranslator translator;
  PgRelation relation{
      1,
      "public",
      "client_user",
      'i',
      {{"client_id", 20, -1, true}, {"user_id", 20, -1, false}, {"created_at", 1184, -1, false}}};
  CHECK(translator.CheckRelation(relation).message() ==
        "client_user: the replica identity of source table public.client_user does not include "
        "user_id (use the primary key or REPLICA IDENTITY FULL)");
  relation.replica_identity = 'f';
  CHECK_OK(translator.CheckRelation(relation));
  relation.table = "other";
  relation.replica_identity = 'n';
  CHECK_OK(translator.CheckRelation(relation));
}

TEST_CASE("a source that names its tables otherwise is followed through a mapping") {
  SourceMapping mapping;
  REQUIRE_OK(mapping.Map("user", {"accounts", "people"}));
  Follower follower(mapping);
  follower.Exec(
      "CREATE SCHEMA accounts; ALTER TABLE \"user\" SET SCHEMA accounts;"
      "ALTER TABLE accounts.\"user\" RENAME TO people");
  follower.Exec(
      "INSERT INTO accounts.people VALUES (7, 'U-7', 'a@b.c', 'Ann', 'active', now(), now())");
  REQUIRE_OK(follower.CatchUp());
  follower.CheckEqualToSource();
  CHECK(follower.registry().Read().FindUser(7)->email == "a@b.c");
}

TEST_CASE("a change of a relation never described, or of the wrong width, is corruption") {
  Registry registry;
  const View state = registry.Read();
  ChangeTranslator translator;
  Batch batch;
  const Status unknown = translator.Translate(PgInsert{42, {T("1")}}, state, &batch);
  CHECK(unknown.code() == ErrorCode::kCorruption);
  CHECK(unknown.message() ==
        "pgoutput Insert of relation OID 42, which no Relation message described");
  REQUIRE_OK(translator.Translate(PgRelation{42,
                                             "public",
                                             "client_user",
                                             'd',
                                             {{"client_id", 20, -1, true},
                                              {"user_id", 20, -1, true},
                                              {"created_at", 1184, -1, false},
                                              {"note", 25, -1, false}}},
                                  state, &batch));
  const Status narrow =
      translator.Translate(PgDelete{42, PgOldRow::kKey, {T("1"), T("2")}}, state, &batch);
  CHECK(narrow.code() == ErrorCode::kCorruption);
  CHECK(narrow.message() == "a deleted row of public.client_user has 2 values for 4 columns");
  // Extra source columns are ignored; a relation of another table is followed by nothing.
  REQUIRE_OK(translator.Translate(
      PgInsert{42, {T("1"), T("2"), T("2026-01-02 03:04:05+00"), T("ignored")}}, state, &batch));
  REQUIRE_OK(translator.Translate(PgRelation{43, "public", "audit_log", 'n', {}}, state, &batch));
  REQUIRE_OK(translator.Translate(PgInsert{43, {}}, state, &batch));
  REQUIRE_OK(translator.Translate(PgTruncate{false, false, {43}}, state, &batch));
  CHECK(batch.mutations() ==
        std::vector<Mutation>{InsertRow<ClientUserLink>{{1, 2, Micros(1'767'323'045'000'000)}}});
}

TEST_CASE("timestamps in a DateStyle other than ISO are refused, naming the form expected") {
  Follower follower;
  follower.Exec("INSERT INTO threecolts_app VALUES (1, 'A', 'key-1', 'prod', now(), now())");
  follower.Exec("SET DateStyle = 'Postgres, MDY'");
  const Status status = follower.CatchUp();
  CHECK(status.code() == ErrorCode::kInvalidArgument);
  CHECK(status.message().find("threecolts_app 1: created_at: \"") == 0);
  CHECK(status.message().find("not a timestamp in PostgreSQL's ISO form") != std::string::npos);
}

TEST_CASE("a source table described from the catalogs equals its Relation message") {
  StatusOr<std::unique_ptr<test::PgSource>> created = test::PgSource::Create();
  REQUIRE_OK(created);
  test::PgSource& source = **created;
  const SourceMapping mapping;
  const auto describe = [&](const SourceTableName& name) {
    StatusOr<std::vector<test::PgRow>> rows = source.conn().Query(DescribeRelationSql(name));
    REQUIRE_OK(rows);
    std::vector<std::vector<std::string>> text;
    for (const test::PgRow& row : *rows) {
      text.emplace_back();
      for (const auto& value : row) text.back().push_back(value.value_or("NULL"));
    }
    return RelationFromRows(name, text);
  };
  const auto streamed = [&] {
    StatusOr<std::vector<std::string>> changes = source.TakeChanges();
    REQUIRE_OK(changes);
    std::vector<PgRelation> relations;
    for (const std::string& bytes : *changes) {
      StatusOr<PgMessage> message = DecodePgOutput(bytes);
      REQUIRE_OK(message);
      if (auto* relation = std::get_if<PgRelation>(&*message)) relations.push_back(*relation);
    }
    return relations;
  };

  REQUIRE_OK(source.conn().Exec(kSeed));
  (void)streamed();
  // A generated column (not sent), a dropped one, FULL and USING INDEX identities.
  REQUIRE_OK(source.conn().Exec(
      "ALTER TABLE client ADD COLUMN doubled int GENERATED ALWAYS AS (db_port * 2) STORED, DROP "
      "COLUMN db_name;"
      "ALTER TABLE client_user REPLICA IDENTITY FULL;"
      "CREATE UNIQUE INDEX user_external ON \"user\" (external_id);"
      "ALTER TABLE \"user\" REPLICA IDENTITY USING INDEX user_external"));
  REQUIRE_OK(
      source.conn().Exec("UPDATE client SET db_port = 1; UPDATE client_user SET created_at = now();"
                         "UPDATE \"user\" SET name = 'x'; UPDATE threecolts_app SET name = 'x';"
                         "UPDATE threecolts_organization SET name = 'x'"));
  const std::vector<PgRelation> relations = streamed();
  REQUIRE(relations.size() == 5);
  for (const PgRelation& relation : relations) {
    CAPTURE(relation.table);
    StatusOr<PgRelation> described = describe({relation.schema, relation.table});
    REQUIRE_OK(described);
    CHECK(*described == relation);
  }
  CHECK(relations[2].replica_identity == 'i');
  CHECK(describe({"public", "nothing"}).status().message() ==
        "source table public.nothing does not exist");
  CHECK(RelationFromRows({"public", "t"}, {{"1", "d", "id", "x", "-1", "t"}}).status().code() ==
        ErrorCode::kCorruption);
}
