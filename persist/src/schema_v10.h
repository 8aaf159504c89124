// Internal: the rows of schema v1.0, as its snapshots stored them.
//
// v1.0 had three tables: client, user and client_user. There were no apps and
// no organizations, so a v1.0 client has no threecolts_organization_id. Users
// and links had their v1.2 shape, and are read with the v1.2 record code.
// Migration to v1.2 (see docs/storage.md, "Migration from schema v1.0"): each
// client keeps every field and gets threecolts_organization_id = 0 (NULL).
#pragma once

#include <string>
#include <utility>

#include "cereal_model.h"
#include "hubreg/model.h"

namespace hubreg::persist::v10 {

struct Client {
  Id id = kNoId;
  std::string external_id;
  std::string name;
  std::string db_host;
  std::uint16_t db_port = 0;
  std::string db_name;
  std::string db_user;
  std::string db_password;
  RecordStatus status = RecordStatus::kActive;
  Timestamp created_at{};
  Timestamp updated_at{};
};

template <typename Archive>
void serialize(Archive& ar, Client& row, std::uint32_t version) {
  record::CheckVersion(ar, version, 1, "client (v1.0)");
  record::Fields(ar, row.id, row.external_id, row.name, row.db_host, row.db_port, row.db_name,
                 row.db_user, row.db_password, row.status, row.created_at, row.updated_at);
}

inline hubreg::Client Migrate(Client&& old) {
  hubreg::Client client;
  client.id = old.id;
  client.threecolts_organization_id = kNoId;
  client.external_id = std::move(old.external_id);
  client.name = std::move(old.name);
  client.db_host = std::move(old.db_host);
  client.db_port = old.db_port;
  client.db_name = std::move(old.db_name);
  client.db_user = std::move(old.db_user);
  client.db_password = std::move(old.db_password);
  client.status = old.status;
  client.created_at = old.created_at;
  client.updated_at = old.updated_at;
  return client;
}

}  // namespace hubreg::persist::v10

CEREAL_CLASS_VERSION(hubreg::persist::v10::Client, 1)
