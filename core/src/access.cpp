// The access check services run on every request: may this user use this
// account, and if so, where does the account's database live.
#include "access_verdict.h"
#include "hubreg/view.h"
#include "link_arrays.h"

namespace hubreg {

std::string_view ToString(AccessVerdict verdict) {
  switch (verdict) {
    case AccessVerdict::kAllowed:
      return "allowed";
    case AccessVerdict::kUnknownUser:
      return "unknown user";
    case AccessVerdict::kUnknownAccount:
      return "unknown account";
    case AccessVerdict::kUnknownApp:
      return "unknown app";
    case AccessVerdict::kUnknownOrganization:
      return "unknown organization";
    case AccessVerdict::kWrongOrganization:
      return "wrong organization";
    case AccessVerdict::kNoLink:
      return "no link";
    case AccessVerdict::kUserDisabled:
      return "user disabled";
    case AccessVerdict::kAccountDisabled:
      return "account disabled";
  }
  return "unknown verdict";
}

AccessDecision View::Resolve(const AccessRequest& request) const {
  AccessDecision decision;
  decision.user = FindUserByExternalId(request.user_external_id);
  decision.account = FindClientByExternalId(request.account_external_id);
  auto refuse = [&decision](AccessVerdict verdict) {
    decision.verdict = verdict;
    return decision;
  };
  if (decision.user == nullptr) return refuse(AccessVerdict::kUnknownUser);
  if (decision.account == nullptr) return refuse(AccessVerdict::kUnknownAccount);

  // v1.0 accounts have no organization: they match no app and no organization.
  const Organization* home = FindOrganization(decision.account->threecolts_organization_id);
  const App* app = nullptr;
  if (request.app_key) {
    app = FindAppByKey(*request.app_key);
    if (app == nullptr) return refuse(AccessVerdict::kUnknownApp);
    if (home == nullptr || home->threecolts_app_id != app->id) {
      return refuse(AccessVerdict::kWrongOrganization);
    }
  }
  if (request.organization_external_id) {
    if (app != nullptr) {
      const Organization* named =
          FindOrganizationByExternalId(app->id, *request.organization_external_id);
      if (named == nullptr) return refuse(AccessVerdict::kUnknownOrganization);
      if (named != home) return refuse(AccessVerdict::kWrongOrganization);
    } else if (home == nullptr || home->external_id != *request.organization_external_id) {
      return refuse(AccessVerdict::kWrongOrganization);
    }
  }
  // Both were found in this state's tables, so they are stored rows, and
  // whether they are linked is a comparison of node addresses in the shorter
  // of their arrays: no other node is read.
  decision.verdict = detail::StatusAndLinkVerdict(*decision.user, *decision.account, [&] {
    return detail::Linked(static_cast<const detail::StoredUser&>(*decision.user),
                          static_cast<const detail::StoredClient&>(*decision.account));
  });
  return decision;
}

}  // namespace hubreg
