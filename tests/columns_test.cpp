#include "hubreg/columns.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "testutil.h"

namespace hubreg {
namespace {

template <typename Row>
std::vector<std::string> NamesOf() {
  std::vector<std::string> names;
  ForEachColumn<Row>([&](const auto& column) { names.emplace_back(column.name); });
  return names;
}

TEST_CASE("each row type lists its columns in schema order") {
  CHECK(NamesOf<App>() == std::vector<std::string>{"id", "name", "app_key", "environment",
                                                   "created_at", "updated_at"});
  CHECK(NamesOf<Organization>() == std::vector<std::string>{"id", "threecolts_app_id",
                                                            "organization_owner_id", "external_id",
                                                            "name", "created_at", "updated_at"});
  CHECK(NamesOf<Client>() == std::vector<std::string>{"id", "threecolts_organization_id",
                                                      "external_id", "name", "db_host", "db_port",
                                                      "db_name", "db_user", "db_password", "status",
                                                      "created_at", "updated_at"});
  CHECK(NamesOf<User>() == std::vector<std::string>{"id", "external_id", "email", "name", "status",
                                                    "created_at", "updated_at"});
  CHECK(NamesOf<ClientUserLink>() ==
        std::vector<std::string>{"client_id", "user_id", "created_at"});
}

TEST_CASE("db_password is the one secret column") {
  std::vector<std::string> secrets;
  ForEachRowType([&]<typename Row>(std::type_identity<Row>) {
    for (const ColumnInfo& column : kColumnInfos<Row>) {
      if (column.secret())
        secrets.push_back(std::string(kTableOf<Row>) + "." + std::string(column.name));
    }
  });
  CHECK(secrets == std::vector<std::string>{"client.db_password"});
}

TEST_CASE("a column's member reads the value of that column") {
  const Client client = test::MakeClient(7, 3, "ACC-7");
  std::vector<std::string> ids;
  ForEachColumn<Client>([&](const auto& column) {
    if constexpr (std::is_same_v<std::remove_cvref_t<decltype(client.*column.member)>, Id>) {
      ids.push_back(std::string(column.name) + "=" + std::to_string(client.*column.member));
    }
  });
  CHECK(ids == std::vector<std::string>{"id=7", "threecolts_organization_id=3"});
}

TEST_CASE("row types are walked in dependency order") {
  std::vector<std::string_view> tables;
  ForEachRowType([&]<typename Row>(std::type_identity<Row>) { tables.push_back(kTableOf<Row>); });
  CHECK(tables == std::vector<std::string_view>{kAppTable, kUserTable, kOrganizationTable,
                                                kClientTable, kClientUserTable});
}

TEST_CASE("columns are found by table and by name") {
  CHECK(ColumnsOfTable("client").size() == 12);
  CHECK(ColumnsOfTable("clients").empty());
  const auto port = FindColumn(ColumnsOfTable("client"), "db_port");
  REQUIRE(port.has_value());
  CHECK(port->kind == ColumnKind::kPort);
  CHECK(port->integer());
  CHECK(port->nullable());
  const auto organization = FindColumn(ColumnsOfTable("client"), "threecolts_organization_id");
  REQUIRE(organization.has_value());
  CHECK(organization->optional());
  CHECK_FALSE(FindColumn(ColumnsOfTable("user"), "db_port").has_value());
  const auto key = FindColumn(ColumnsOfTable("client_user"), "user_id");
  REQUIRE(key.has_value());
  CHECK(key->key());
}

TEST_CASE("a secret compares by value but is read only through Reveal") {
  Secret secret = std::string("hunter2");
  CHECK(secret == Secret("hunter2"));
  CHECK_FALSE(secret == Secret("hunter3"));
  CHECK(secret.Reveal() == "hunter2");
  CHECK(Secret().empty());
  static_assert(!std::is_convertible_v<Secret, std::string>);
  static_assert(!std::is_convertible_v<Secret, std::string_view>);
}

}  // namespace
}  // namespace hubreg
