// Internal: the writer's operations on the link arrays of a registry state
// (the arrays themselves are described in hubreg/detail/tables.h). Like every
// change to a state, these run on a copy no reader is using.
#pragma once

#include <optional>
#include <vector>

#include "hubreg/detail/tables.h"
#include "hubreg/model.h"

namespace hubreg::detail {

// The link between the two, or nullopt (also when either does not exist).
std::optional<ClientUserLink> FindLink(const Tables& tables, Id client_id, Id user_id);
bool Linked(const Tables& tables, Id client_id, Id user_id);

// Adds `link` to the arrays of both its ends: a binary search and an insert
// into each (the tail of an array moves up one entry; nothing is copied
// otherwise). REQUIRES: both rows exist and are not linked yet.
void AddLink(Tables& tables, const ClientUserLink& link);

// Removes the link from both arrays; returns it, or nullopt if there was none.
std::optional<ClientUserLink> RemoveLink(Tables& tables, Id client_id, Id user_id);

// Removes every link of the user (of the account) from the other ends'
// arrays and empties its own; returns the links removed, in its array's
// order. Does nothing for a row that does not exist.
std::vector<ClientUserLink> RemoveLinksOfUser(Tables& tables, Id user_id);
std::vector<ClientUserLink> RemoveLinksOfClient(Tables& tables, Id client_id);

// The links of a user (an account), in its array's order.
std::vector<ClientUserLink> LinksOfUser(const Tables& tables, Id user_id);
std::vector<ClientUserLink> LinksOfClient(const Tables& tables, Id client_id);

}  // namespace hubreg::detail
