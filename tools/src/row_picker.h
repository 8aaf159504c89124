// The few rows a one-shot query needs, picked out of the stored rows
// (hubreg/stored_registry.h) by scanning them, with every row they
// reference, as a small Registry: the queries of queries.h then run on it
// unchanged and answer exactly as on the whole registry, without the whole
// registry's indexes ever being built.
#pragma once

#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "hubreg/registry.h"
#include "hubreg/status.h"
#include "hubreg/stored_registry.h"

namespace hubreg::cli {

class RowPicker {
 public:
  // REQUIRES: `stored` outlives the picker and its rows are sorted as
  // StoredRegistry promises.
  explicit RowPicker(const StoredRegistry& stored) : stored_(stored) {}

  // The user with this external id, else the one with this email (as
  // FindUserByIdOrEmail); its id or kNoId.
  Id PickUser(std::string_view user);
  // The user with exactly this external id; its id or kNoId.
  Id PickUserByExternalId(std::string_view user);
  Id PickClient(std::string_view external_id);
  void PickAllApps();
  // Every organization with this external id, in any app; their ids.
  std::vector<Id> PickOrganizations(std::string_view external_id);
  void PickOrganizationsOwnedBy(Id user);
  void PickClientsOf(const std::vector<Id>& organizations);
  void PickClientsWithoutOrganization();
  void PickLinksOfUser(Id user);
  void PickLinksOfClient(Id client);
  void PickLink(Id client, Id user);

  // A registry holding the picked rows and the rows they reference (an
  // organization's app and owner, a client's organization, a link's client
  // and user), at the stored sequence. kCorruption when a reference is
  // missing from the stored rows.
  StatusOr<std::unique_ptr<Registry>> Build() const;

 private:
  const StoredRegistry& stored_;
  std::vector<Id> apps_, organizations_, clients_, users_;
  std::vector<ClientUserLink> links_;
};

}  // namespace hubreg::cli
