// How `hubreg watch` shows a batch of the change feed.
#include "change_json.h"

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "hubreg/columns.h"
#include "testutil.h"

namespace hubreg::cli {
namespace {

using test::At;

// A batch that inserts a link, moves client 3 to another host (new password)
// and deletes user 5, with the access pairs the feed would report.
ChangeBatch SampleChanges() {
  ChangeBatch batch;
  batch.sequence = 7;
  batch.committed_at = At(1'700'000'400);
  batch.changes.push_back(RowChange<ClientUserLink>{
      std::nullopt, ClientUserLink{.client_id = 3, .user_id = 2, .created_at = At(1'700'000'400)}});
  Client before = test::MakeClient(3, 2, "ACC-3");
  Client after = before;
  after.db_host = "moved.internal";
  after.db_password = Secret("rotated-3");
  batch.changes.push_back(RowChange<Client>{before, after});
  batch.changes.push_back(
      RowChange<User>{test::MakeUser(5, "U-5", "eve@example.com"), std::nullopt});
  batch.access.push_back(AccessChange{.user_id = 2,
                                      .client_id = 3,
                                      .before = AccessVerdict::kNoLink,
                                      .after = AccessVerdict::kAllowed,
                                      .organization_before = 2,
                                      .organization_after = 2});
  batch.connection_changed = {3};
  return batch;
}

TEST_CASE("a batch is one JSON line: sequence, commit time and each change's rows by column") {
  const std::string line = RenderBatchJson(SampleChanges(), {});
  REQUIRE(line.back() == '\n');
  CHECK(line.find('\n') == line.size() - 1);
  const auto json = nlohmann::ordered_json::parse(line);
  CHECK(json["event"] == "batch");
  CHECK(json["sequence"] == 7);
  CHECK(json["committed_at"] == "2023-11-14T22:20:00Z");
  REQUIRE(json["changes"].size() == 3);
  CHECK(json["changes"][0].dump() ==
        R"({"table":"client_user","op":"insert","before":null,)"
        R"("after":{"client_id":3,"user_id":2,"created_at":"2023-11-14T22:20:00Z"}})");
  CHECK(json["changes"][1]["table"] == "client");
  CHECK(json["changes"][1]["op"] == "update");
  CHECK(json["changes"][1]["before"]["db_host"] == "db3.internal");
  CHECK(json["changes"][1]["after"]["db_host"] == "moved.internal");
  CHECK(json["changes"][1]["after"]["db_port"] == 5432);
  CHECK(json["changes"][1]["after"]["threecolts_organization_id"] == 2);
  CHECK(json["changes"][2]["table"] == "user");
  CHECK(json["changes"][2]["op"] == "delete");
  CHECK(json["changes"][2]["before"]["email"] == "eve@example.com");
  CHECK(json["changes"][2]["after"].is_null());
  // The column names are those of the column descriptions, in schema order.
  std::vector<std::string> keys;
  for (const auto& item : json["changes"][1]["after"].items()) keys.push_back(item.key());
  std::vector<std::string> expected;
  for (const ColumnInfo& column : kColumnInfos<Client>) expected.emplace_back(column.name);
  CHECK(keys == expected);
  CHECK_FALSE(json.contains("access"));
  CHECK_FALSE(json.contains("connection_changed"));
}

TEST_CASE("passwords are null unless secrets are asked for") {
  const std::string hidden = RenderBatchJson(SampleChanges(), {});
  CHECK(hidden.find("s3cret-3") == std::string::npos);
  CHECK(hidden.find("rotated-3") == std::string::npos);
  const auto json = nlohmann::json::parse(hidden);
  CHECK(json["changes"][1]["before"]["db_password"].is_null());
  CHECK(json["changes"][1]["after"]["db_password"].is_null());

  const auto shown =
      nlohmann::json::parse(RenderBatchJson(SampleChanges(), {.include_secrets = true}));
  CHECK(shown["changes"][1]["before"]["db_password"] == "s3cret-3");
  CHECK(shown["changes"][1]["after"]["db_password"] == "rotated-3");

  const std::string text = RenderBatchText(SampleChanges(), {.include_access = true});
  CHECK(text.find("s3cret") == std::string::npos);
  CHECK(text.find("rotated") == std::string::npos);
}

TEST_CASE("access pairs and changed connections are shown on request") {
  const auto json =
      nlohmann::ordered_json::parse(RenderBatchJson(SampleChanges(), {.include_access = true}));
  CHECK(json["access"].dump() ==
        R"([{"user_id":2,"client_id":3,"before":"no link","after":"allowed",)"
        R"("organization_before":2,"organization_after":2}])");
  CHECK(json["connection_changed"].dump() == "[3]");
}

TEST_CASE("the readable form is one line per batch naming each row changed") {
  CHECK(RenderBatchText(SampleChanges(), {}) ==
        "batch 7 at 2023-11-14T22:20:00Z: 3 changes: client_user 3/2 insert, client 3 update, "
        "user 5 delete\n");
  CHECK(RenderBatchText(SampleChanges(), {.include_access = true}) ==
        "batch 7 at 2023-11-14T22:20:00Z: 3 changes: client_user 3/2 insert, client 3 update, "
        "user 5 delete; access: user 2 client 3 no link -> allowed; connection changed: "
        "clients 3\n");
}

TEST_CASE("a batch from the registry's feed renders as the rows it changed") {
  auto registry = test::SampleRegistry();
  Batch batch;
  batch.Unlink(3, 3);
  REQUIRE_OK(registry->Apply(batch));
  StatusOr<std::optional<ChangeBatch>> changes = registry->Changes(1, std::chrono::milliseconds(0));
  REQUIRE_OK(changes);
  REQUIRE(changes->has_value());
  const auto json = nlohmann::json::parse(RenderBatchJson(**changes, {}));
  CHECK(json["sequence"] == 2);
  REQUIRE(json["changes"].size() == 1);
  CHECK(json["changes"][0]["op"] == "delete");
  CHECK(json["changes"][0]["before"]["client_id"] == 3);
  CHECK(json["changes"][0]["before"]["user_id"] == 3);
}

TEST_CASE("a resync is a line of its own with the sequence to restart from") {
  CHECK(RenderResyncJson(42, "batch 3 is no longer kept") ==
        R"({"event":"resync","restart_sequence":42,"message":"batch 3 is no longer kept"})"
        "\n");
}

}  // namespace
}  // namespace hubreg::cli
