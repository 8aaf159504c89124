// The queries of queries.h answered from stored rows (hubreg/stored_registry.h)
// instead of a built registry: each picks the few rows it needs (RowPicker)
// and runs the View query on them, so the answers and errors are the same.
// What one-shot commands use: reading rows costs about half of building the
// registry (docs/benchmarks.md, "One-shot reads").
#pragma once

#include <optional>
#include <string_view>

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

}  // namespace hubreg::cli
