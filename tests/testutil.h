// Shared fixtures and helpers for hubreg's tests.
#pragma once

#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <utility>

#include "hubreg/registry.h"

namespace hubreg::test {
inline const Status& StatusOf(const Status& status) { return status; }
template <typename T>
const Status& StatusOf(const StatusOr<T>& result) {
  return result.status();
}
}  // namespace hubreg::test

// Checks that a Status or StatusOr is ok, printing the error otherwise.
#define CHECK_OK(expr)                                                                 \
  do {                                                                                 \
    const auto& hubreg_result_ = (expr);                                               \
    const ::hubreg::Status& hubreg_status_ = ::hubreg::test::StatusOf(hubreg_result_); \
    CHECK_MESSAGE(hubreg_status_.ok(), hubreg_status_.ToString());                     \
  } while (false)

#define REQUIRE_OK(expr)                                                               \
  do {                                                                                 \
    const auto& hubreg_result_ = (expr);                                               \
    const ::hubreg::Status& hubreg_status_ = ::hubreg::test::StatusOf(hubreg_result_); \
    REQUIRE_MESSAGE(hubreg_status_.ok(), hubreg_status_.ToString());                   \
  } while (false)

namespace hubreg::test {

// Whether sanitizers instrument this build (ASan, TSan): long randomised cases
// run fewer rounds there, where each costs several times as much; the release
// run keeps the full count, and every case keeps what it needs to fail.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
inline constexpr bool kSanitized = true;
#else
inline constexpr bool kSanitized = false;
#endif

inline Timestamp At(long long seconds) { return Timestamp(std::chrono::seconds(seconds)); }

inline App MakeApp(Id id, std::string key, Environment environment = Environment::kStage) {
  App app;
  app.id = id;
  app.name = "hub_alpha " + key;
  app.app_key = std::move(key);
  app.environment = environment;
  app.created_at = At(1'700'000'000);
  app.updated_at = At(1'700'000'000);
  return app;
}

inline User MakeUser(Id id, std::string external_id, std::string email,
                     RecordStatus status = RecordStatus::kActive) {
  User user;
  user.id = id;
  user.external_id = std::move(external_id);
  user.email = std::move(email);
  user.name = "User " + std::to_string(id);
  user.status = status;
  user.created_at = At(1'700'000'100);
  user.updated_at = At(1'700'000'100);
  return user;
}

inline Organization MakeOrganization(Id id, Id app_id, Id owner_id, std::string external_id) {
  Organization organization;
  organization.id = id;
  organization.threecolts_app_id = app_id;
  organization.organization_owner_id = owner_id;
  organization.external_id = std::move(external_id);
  organization.name = "Organization " + std::to_string(id);
  organization.created_at = At(1'700'000'200);
  organization.updated_at = At(1'700'000'200);
  return organization;
}

inline Client MakeClient(Id id, Id organization_id, std::string external_id,
                         RecordStatus status = RecordStatus::kActive) {
  Client client;
  client.id = id;
  client.threecolts_organization_id = organization_id;
  client.external_id = std::move(external_id);
  client.name = "Account " + std::to_string(id);
  client.db_host = "db" + std::to_string(id) + ".internal";
  client.db_port = 5432;
  client.db_name = "account_" + std::to_string(id);
  client.db_user = "svc_" + std::to_string(id);
  client.db_password = "s3cret-" + std::to_string(id);
  client.status = status;
  client.created_at = At(1'700'000'300);
  client.updated_at = At(1'700'000'300);
  return client;
}

// Sorts each table of `rows` by key, so two sets of rows compare equal when
// they hold the same rows.
inline void SortRows(RegistryRows& rows) {
  auto by_id = [](const auto& a, const auto& b) { return a.id < b.id; };
  std::sort(rows.apps.begin(), rows.apps.end(), by_id);
  std::sort(rows.organizations.begin(), rows.organizations.end(), by_id);
  std::sort(rows.clients.begin(), rows.clients.end(), by_id);
  std::sort(rows.users.begin(), rows.users.end(), by_id);
  std::sort(rows.links.begin(), rows.links.end(), [](const auto& a, const auto& b) {
    return std::pair(a.client_id, a.user_id) < std::pair(b.client_id, b.user_id);
  });
}

// The rows of a view, each table sorted by key (SortRows).
inline RegistryRows SortedRows(const View& view) {
  RegistryRows rows;
  rows.apps.assign(view.Rows<App>().begin(), view.Rows<App>().end());
  rows.organizations.assign(view.Rows<Organization>().begin(), view.Rows<Organization>().end());
  rows.clients.assign(view.Rows<Client>().begin(), view.Rows<Client>().end());
  rows.users.assign(view.Rows<User>().begin(), view.Rows<User>().end());
  rows.links.assign(view.Rows<ClientUserLink>().begin(), view.Rows<ClientUserLink>().end());
  SortRows(rows);
  const NextIds next = view.next_ids();
  rows.next_app_id = next.app;
  rows.next_organization_id = next.organization;
  rows.next_client_id = next.client;
  rows.next_user_id = next.user;
  return rows;
}

// Checks that two sets of rows (sorted: SortedRows) hold the same rows and
// next ids, table by table, so a failure names the table.
inline void CheckSameRows(const RegistryRows& a, const RegistryRows& b) {
  CHECK(a.apps == b.apps);
  CHECK(a.organizations == b.organizations);
  CHECK(a.clients == b.clients);
  CHECK(a.users == b.users);
  CHECK(a.links == b.links);
  CHECK(a.next_app_id == b.next_app_id);
  CHECK(a.next_organization_id == b.next_organization_id);
  CHECK(a.next_client_id == b.next_client_id);
  CHECK(a.next_user_id == b.next_user_id);
}

// A small registry that every lookup and rule can be tested against:
//   apps:          1 "key-stage" (stage), 2 "key-prod" (prod)
//   users:         1 ann (owns org 1), 2 bob (owns org 2), 3 cid, 4 dee (disabled), 5 eve
//   organizations: 1 "ORG-1" in app 1, 2 "ORG-2" in app 2, 3 "ORG-1" in app 2 (owner ann)
//   clients:       1 ACC-1 (org 1), 2 ACC-2 (org 1, disabled), 3 ACC-3 (org 2),
//                  4 ACC-4 (no organization: v1.0)
//   links:         (1,1) (2,1) (1,2) (3,3) (1,4) (4,5)
inline Batch SampleBatch() {
  Batch batch;
  batch.Insert(MakeApp(1, "key-stage")).Insert(MakeApp(2, "key-prod", Environment::kProd));
  batch.Insert(MakeUser(1, "U-1", "ann@example.com"))
      .Insert(MakeUser(2, "U-2", "bob@example.com"))
      .Insert(MakeUser(3, "U-3", "cid@example.com"))
      .Insert(MakeUser(4, "U-4", "dee@example.com", RecordStatus::kDisabled))
      .Insert(MakeUser(5, "U-5", "eve@example.com"));
  batch.Insert(MakeOrganization(1, 1, 1, "ORG-1"))
      .Insert(MakeOrganization(2, 2, 2, "ORG-2"))
      .Insert(MakeOrganization(3, 2, 1, "ORG-1"));
  batch.Insert(MakeClient(1, 1, "ACC-1"))
      .Insert(MakeClient(2, 1, "ACC-2", RecordStatus::kDisabled))
      .Insert(MakeClient(3, 2, "ACC-3"))
      .Insert(MakeClient(4, kNoId, "ACC-4"));
  batch.Link(1, 1).Link(2, 1).Link(1, 2).Link(3, 3).Link(1, 4).Link(4, 5);
  return batch;
}

// A registry holding SampleBatch() at sequence 1.
inline std::unique_ptr<Registry> SampleRegistry() {
  auto registry = std::make_unique<Registry>();
  REQUIRE_OK(registry->Apply(SampleBatch()));
  return registry;
}

}  // namespace hubreg::test
