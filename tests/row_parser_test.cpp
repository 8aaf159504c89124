// One row of an export into a model struct: each kind of bad column gives
// its own exact message, and every bad column of a row is reported.
#include "row_parser.h"

#include <doctest/doctest.h>

#include "testutil.h"

namespace hubreg::cli {
namespace {

// A row of `table` with the given values, in ColumnsOf(table) order unless
// `columns` names them.
struct Row {
  std::vector<std::string> columns;
  RawRow raw;
  Row(Table table, std::vector<std::optional<std::string>> values,
      std::vector<std::string> names = {})
      : columns(std::move(names)) {
    if (columns.empty()) {
      for (const ColumnInfo& column : ColumnsOf(table)) columns.emplace_back(column.name);
    }
    raw = RawRow{"t.csv", 7, &columns, std::move(values)};
  }
};

std::vector<std::string> Messages(const std::vector<RowError>& errors) {
  std::vector<std::string> messages;
  for (const RowError& error : errors) messages.push_back(error.ToString());
  return messages;
}

const std::string kT = "2026-01-02 03:04:05";

TEST_CASE("a good client row is read with NULLs as empty text and no organization") {
  Row row(Table::kClient, {"9", std::nullopt, "ACC-9", std::nullopt, "h", "5432", "d", "u", "pw",
                           "disabled", kT, kT + "+00"});
  std::vector<RowError> errors;
  const auto client = ParseRow<Client>(row.raw, &errors);
  REQUIRE(client.has_value());
  CHECK(errors.empty());
  CHECK(client->id == 9);
  CHECK(client->threecolts_organization_id == kNoId);
  CHECK(client->name == "");
  CHECK(client->db_port == 5432);
  CHECK(client->db_password == "pw");
  CHECK(client->status == RecordStatus::kDisabled);
  CHECK(client->created_at == test::At(1767323045));
}

TEST_CASE("every bad column of a client row is reported, quoting none of its values") {
  Row row(Table::kClient, {"0", "-1", "", "n", "h", "port", "d", "u", "secret-pw", "gone",
                           std::nullopt, "2026-01-02"});
  std::vector<RowError> errors;
  CHECK_FALSE(ParseRow<Client>(row.raw, &errors).has_value());
  CHECK(Messages(errors) ==
        std::vector<std::string>{"t.csv:7: id: not a positive integer id",
                                 "t.csv:7: threecolts_organization_id: not a positive integer id",
                                 "t.csv:7: external_id: must not be empty",
                                 "t.csv:7: db_port: not a port number (0 to 65535)",
                                 "t.csv:7: status: not active or disabled",
                                 "t.csv:7: created_at: must not be empty",
                                 "t.csv:7: updated_at: not a timestamp (expected e.g. 2026-01-02 "
                                 "03:04:05, optional .ffffff and +00, or 2026-01-02T03:04:05Z)"});
  for (const std::string& message : Messages(errors)) {
    CHECK(message.find("secret-pw") == std::string::npos);
  }
}

TEST_CASE("a v1.0 client row without the organization column is accepted") {
  Row row(Table::kClient, {"1", "ACC-1", "n", "h", "1", "d", "u", "p", "active", kT, kT},
          {"id", "external_id", "name", "db_host", "db_port", "db_name", "db_user", "db_password",
           "status", "created_at", "updated_at"});
  std::vector<RowError> errors;
  const auto client = ParseRow<Client>(row.raw, &errors);
  REQUIRE(client.has_value());
  CHECK(client->threecolts_organization_id == kNoId);
}

TEST_CASE("an app row checks its environment and a user row its email") {
  std::vector<RowError> errors;
  Row app(Table::kApp, {"1", "n", "key", "test", kT, kT});
  CHECK_FALSE(ParseRow<App>(app.raw, &errors).has_value());
  Row user(Table::kUser, {"1", "U-1", "nobody", "n", "active", kT, kT});
  CHECK_FALSE(ParseRow<User>(user.raw, &errors).has_value());
  Row link(Table::kClientUser, {"1", "2"}, {"client_id", "user_id"});
  CHECK_FALSE(ParseRow<ClientUserLink>(link.raw, &errors).has_value());
  CHECK(Messages(errors) ==
        std::vector<std::string>{"t.csv:7: environment: \"test\" is not stage or prod",
                                 "t.csv:7: email: \"nobody\" is not an email address",
                                 "t.csv:7: created_at: missing"});
}

TEST_CASE("long or multi-line values are shown quoted, escaped and cut") {
  CHECK(QuoteValue("a\"b\\c\nd") == "\"a\\\"b\\\\c\\x0ad\"");
  CHECK(QuoteValue(std::string(70, 'x')) == "\"" + std::string(60, 'x') + "\"...");
}

TEST_CASE("table names map both ways") {
  for (Table table : kAllTables) CHECK(TableByName(TableName(table)) == table);
  CHECK_FALSE(TableByName("users").has_value());
}

}  // namespace
}  // namespace hubreg::cli
