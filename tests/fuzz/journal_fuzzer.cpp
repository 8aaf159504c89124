// libFuzzer harness: decoding a journal record, either version (a
// ChangeBatch, or the batch written before the change feed). A record that
// decodes must encode and decode to the same changes (or mutations), and
// replaying it on a registry must succeed or fail with an error, like any
// batch.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "codec.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace hubreg;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  persist::JournalRecord record;
  if (!persist::DecodeJournalRecord(bytes, &record).ok()) return 0;
  persist::JournalRecord again;
  const std::string encoded = record.entry_version == persist::kJournalEntryV2
                                  ? persist::EncodeJournalRecord(record.changes)
                                  : persist::EncodeBatch(record.batch);
  const Status decoded = persist::DecodeJournalRecord(encoded, &again);
  if (!decoded.ok() || again.entry_version != record.entry_version ||
      again.changes != record.changes || again.batch.mutations() != record.batch.mutations()) {
    std::fprintf(stderr, "a decoded journal record does not survive encoding: %s\n",
                 decoded.ToString().c_str());
    std::abort();
  }
  Registry registry;
  (void)registry.Apply(record.batch);
  return 0;
}
