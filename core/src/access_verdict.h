// Internal: the part of an access check that depends only on the two rows and
// their link, shared by View::Resolve and the change feed's access events
// (access_changes.cpp), so both give the same answer for the same rows.
#pragma once

#include "hubreg/model.h"
#include "hubreg/view.h"

namespace hubreg::detail {

// The checks Resolve makes once it has found both rows and checked any app
// key and organization: statuses first, then the link. `has_link` is called
// only when both rows are active, so Resolve looks the link up only then.
template <typename HasLink>
AccessVerdict StatusAndLinkVerdict(const User& user, const Client& account, HasLink&& has_link) {
  if (user.status != RecordStatus::kActive) return AccessVerdict::kUserDisabled;
  if (account.status != RecordStatus::kActive) return AccessVerdict::kAccountDisabled;
  return has_link() ? AccessVerdict::kAllowed : AccessVerdict::kNoLink;
}

// What Resolve answers with no app key and no organization for a user row
// (nullptr: no such user), an account row (nullptr: no such account) and
// whether the two are linked.
inline AccessVerdict PlainVerdict(const User* user, const Client* account, bool linked) {
  if (user == nullptr) return AccessVerdict::kUnknownUser;
  if (account == nullptr) return AccessVerdict::kUnknownAccount;
  return StatusAndLinkVerdict(*user, *account, [linked] { return linked; });
}

}  // namespace hubreg::detail
