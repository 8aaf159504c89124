#include "parked_keys.h"

namespace hubreg::sync {

std::string ParkedKey(Id id) { return "\x01hubreg-sync-parked-" + std::to_string(id); }
std::string ParkedEmail(Id id) { return ParkedKey(id) + "@hubreg-sync.invalid"; }

void Park(App& row) { row.app_key = ParkedKey(row.id); }
void Park(Organization& row) { row.external_id = ParkedKey(row.id); }
void Park(Client& row) { row.external_id = ParkedKey(row.id); }
void Park(User& row) {
  row.external_id = ParkedKey(row.id);
  row.email = ParkedEmail(row.id);
}

}  // namespace hubreg::sync
