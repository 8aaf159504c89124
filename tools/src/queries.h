// The lookups of `hubreg query`, as tables of cells that query_output.h
// renders for people (aligned columns) or programs (JSON). Passwords are
// never part of a result.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "hubreg/status.h"
#include "hubreg/view.h"

namespace hubreg::cli {

// NULL, an integer or text.
using Cell = std::variant<std::monostate, std::uint64_t, std::string>;

struct QueryTable {
  std::vector<std::string> columns;
  std::vector<std::vector<Cell>> rows;
  bool single = false;  // one record (resolve, org-owner): JSON object, not array
};

// USER is an external id or an email; CLIENT an external id; ORG an
// organization external id, looked up in the app with key `app_key` when
// given, otherwise in every app (InvalidArgument when several apps have it).
// NotFound when the user, client, app or organization does not exist.
StatusOr<QueryTable> UserClients(const View& view, std::string_view user);
StatusOr<QueryTable> ClientUsers(const View& view, std::string_view client);
StatusOr<QueryTable> OrgOwner(const View& view, std::string_view org,
                              std::optional<std::string_view> app_key);
StatusOr<QueryTable> OwnedOrgs(const View& view, std::string_view user);
StatusOr<QueryTable> OrgClients(const View& view, std::string_view org,
                                std::optional<std::string_view> app_key);
// The accounts with no organization (v1.0 data), as OrgClients lists them.
QueryTable NoOrgClients(const View& view);
// Never fails: a refusal is an answer (verdict column), not an error.
QueryTable ResolveAccess(const View& view, const AccessRequest& request);
// ResolveAccess for a person: the request's user may also be an email; the
// answer shows it as given.
QueryTable ResolveUserOrEmail(const View& view, const AccessRequest& request);

// The user with this external id, else with this email; nullptr if neither.
const User* FindUserByIdOrEmail(const View& view, std::string_view user);
// The organization with this external id (in the app given, or in the only
// app that has it).
StatusOr<const Organization*> FindOrganizationByKey(const View& view, std::string_view org,
                                                    std::optional<std::string_view> app_key);

}  // namespace hubreg::cli
