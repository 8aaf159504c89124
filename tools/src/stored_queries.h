// The queries of queries.h answered from stored rows (hubreg/stored_registry.h)
// instead of a built registry: each picks the few rows it needs (RowPicker)
// and runs the View query on them, so the answers and errors are the same.
// What one-shot commands use: reading rows costs a fraction of building the
// registry (docs/benchmarks.md, "One-shot reads").
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "hubreg/stored_registry.h"
#include "queries.h"

namespace hubreg::cli {

StatusOr<QueryTable> UserClients(const StoredRegistry& stored, std::string_view user);
StatusOr<QueryTable> ClientUsers(const StoredRegistry& stored, std::string_view client);
StatusOr<QueryTable> OrgOwner(const StoredRegistry& stored, std::string_view org,
                              std::optional<std::string_view> app_key);
StatusOr<QueryTable> OwnedOrgs(const StoredRegistry& stored, std::string_view user);
StatusOr<QueryTable> OrgClients(const StoredRegistry& stored, std::string_view org,
                                std::optional<std::string_view> app_key);
StatusOr<QueryTable> NoOrgClients(const StoredRegistry& stored);
// ResolveUserOrEmail; fails only on damaged rows.
StatusOr<QueryTable> ResolveUserOrEmail(const StoredRegistry& stored, const AccessRequest& request);

// `hubreg get TABLE KEY`: one record of threecolts_app (by id or app_key),
// threecolts_organization (id or external_id; `app_key` picks the app when
// several have it), client (id or external_id) or user (id, external_id or
// email). `by` names the key's kind ("id", "external_id", "email",
// "app_key"); when empty, a key of digits is tried as an id first, then as
// each other key of the table in that order. A single-record table of every
// column; db_password is NULL unless `include_secrets`.
// kNotFound when no row has the key; kInvalidArgument for a table without
// such a key, or an organization id found in several apps.
struct RecordKey {
  std::string_view table;
  std::string_view key;
  std::string_view by;  // empty: any
  std::optional<std::string_view> app_key;
};
StatusOr<QueryTable> GetRecord(const StoredRegistry& stored, const RecordKey& key,
                               bool include_secrets);

// The tables GetRecord reads, and the key kinds each has.
std::vector<std::string_view> RecordTables();

}  // namespace hubreg::cli
