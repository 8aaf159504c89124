// Fixtures for the codec and snapshot-file tests: a registry touching every
// field, and a writer of schema v1.0 payloads (test-only: hubreg itself
// never writes v1.0).
#pragma once

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <ostream>
#include <string>
#include <vector>

#include "hubreg/registry.h"
#include "schema_v10.h"
#include "temp_dir.h"
#include "testutil.h"

namespace hubreg::test {

// A schema v1.0 snapshot payload: clients (v1.0 shape), users, links.
inline std::string EncodeV10Payload(const std::vector<persist::v10::Client>& clients,
                                    const std::vector<User>& users,
                                    const std::vector<ClientUserLink>& links) {
  std::string out;
  persist::StringSink sink(&out);
  std::ostream stream(&sink);
  {
    cereal::BinaryOutputArchive ar(stream);
    auto save = [&ar](const auto& rows) {
      ar(cereal::make_size_tag(static_cast<cereal::size_type>(rows.size())));
      for (const auto& row : rows) ar(row);
    };
    save(clients);
    save(users);
    save(links);
  }
  return out;
}

// The v1.0 data the checked-in fixture tests/data/registry-v1.0.snapshot
// holds: three accounts, four users, five links.
inline std::vector<persist::v10::Client> V10Clients() {
  std::vector<persist::v10::Client> clients;
  for (Id id = 1; id <= 3; ++id) {
    Client c = MakeClient(id, kNoId, "ACC-" + std::to_string(id),
                          id == 3 ? RecordStatus::kDisabled : RecordStatus::kActive);
    clients.push_back({c.id, c.external_id, c.name, c.db_host, c.db_port, c.db_name, c.db_user,
                       c.db_password.Reveal(), c.status, c.created_at, c.updated_at});
  }
  return clients;
}
inline std::vector<User> V10Users() {
  return {MakeUser(1, "U-1", "ann@example.com"), MakeUser(2, "U-2", "bob@example.com"),
          MakeUser(3, "U-3", "cid@example.com", RecordStatus::kDisabled),
          MakeUser(4, "U-4", "dee@example.com")};
}
inline std::vector<ClientUserLink> V10Links() {
  return {{1, 1, At(1'700'000'400)},
          {1, 2, At(1'700'000'400)},
          {2, 2, At(1'700'000'401)},
          {2, 4, At(1'700'000'403)},
          {3, 3, At(1'700'000'402)}};
}

}  // namespace hubreg::test

namespace hubreg::test {

// A schema v1.2 payload of arbitrary rows, even ones no registry would hold
// (to craft files that pass every checksum but break integrity).
inline std::string EncodeV12Payload(const RegistryRows& rows) {
  std::string out;
  persist::StringSink sink(&out);
  std::ostream stream(&sink);
  {
    cereal::BinaryOutputArchive ar(stream);
    ar(rows.next_app_id, rows.next_organization_id, rows.next_client_id, rows.next_user_id);
    auto save = [&ar](const auto& table) {
      ar(cereal::make_size_tag(static_cast<cereal::size_type>(table.size())));
      for (const auto& row : table) ar(row);
    };
    save(rows.apps);
    save(rows.organizations);
    save(rows.clients);
    save(rows.users);
    save(rows.links);
  }
  return out;
}

inline TableCounts CountsOf(const RegistryRows& rows) {
  return {rows.apps.size(), rows.organizations.size(), rows.clients.size(), rows.users.size(),
          rows.links.size()};
}

// Batch n of the tests that save snapshots while a writer keeps going: user
// n, linked to client 1 (which the test inserts first).
inline Batch UserLinkedToClient1(Id n) {
  return Batch()
      .Insert(MakeUser(n, "U-" + std::to_string(n), std::to_string(n) + "@example.com"))
      .Link(1, n);
}

// The awkward values, applied after SampleBatch(): microsecond and pre-epoch
// timestamps, empty and non-ASCII strings, the largest port, a password with
// a NUL byte, and a deleted user (7), so next ids are above every live id.
inline Batch AwkwardBatch() {
  Batch batch;
  User user = MakeUser(6, "U-6", "zoë@example.com");
  user.name = "";
  user.created_at = Timestamp(std::chrono::microseconds(-1'234'567));
  user.updated_at = Timestamp(std::chrono::microseconds(1'700'000'000'123'456));
  batch.Insert(user).Insert(MakeUser(7, "U-7", "gone@example.com"));
  Client client = MakeClient(5, 3, "ACC-5");
  client.db_port = 65535;
  client.db_password = std::string("p\0w\xff", 4);
  client.created_at = Timestamp(std::chrono::microseconds(1));
  batch.Insert(client).Link(5, 6);
  batch.Erase<User>(7);
  return batch;
}

// SampleBatch() then AwkwardBatch(). Every "now" is fixed, so the rows are
// the same on every run (the checked-in v1.2 fixture holds them).
inline std::unique_ptr<Registry> FixedRegistry() {
  auto registry = std::make_unique<Registry>();
  registry->SetClock([] { return At(1'750'000'000); });
  REQUIRE_OK(registry->Apply(SampleBatch()));
  REQUIRE_OK(registry->Apply(AwkwardBatch()));
  return registry;
}

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

inline void WriteFile(const std::string& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  REQUIRE(out.good());
}

}  // namespace hubreg::test
