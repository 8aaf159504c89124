// Internal: placeholders that free a row's unique keys for the rest of a
// batch, so that another row can take them before this one is erased or
// given its own. The reconciliation parks rows whose keys move to other rows;
// the change translator parks a row whose primary key the source changed.
// The control character keeps the placeholders apart from anything a source
// hands out.
#pragma once

#include <string>

#include "hubreg/model.h"

namespace hubreg::sync {

std::string ParkedKey(Id id);    // "\x01hubreg-sync-parked-ID"
std::string ParkedEmail(Id id);  // ParkedKey(id) + "@hubreg-sync.invalid"

// Replaces the row's unique keys (not its id) with placeholders made from its id.
void Park(App& row);           // app_key
void Park(Organization& row);  // external_id (unique with threecolts_app_id)
void Park(Client& row);        // external_id
void Park(User& row);          // external_id and email

}  // namespace hubreg::sync
