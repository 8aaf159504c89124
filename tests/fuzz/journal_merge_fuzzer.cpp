// libFuzzer harness: the one-shot reader's merge (journal_merge.h), a
// snapshot's rows and the journal entries after it merged by key without
// building the registry. The input is a schema v1.2 snapshot payload, then
// up to kMaxEntries journal record bodies, each after the separator
// kSeparator; the harness puts the checksum in front of each, as the store
// does. The merge must succeed or fail with a corruption error naming the
// entry, and count the entries merged. Where it succeeds, the snapshot
// loads into a registry and every entry is what that registry records when
// it applies the entry's batch (a real store's journal), the merged rows and
// next ids must be the registry's.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "checksum.h"
#include "codec.h"
#include "hubreg/registry.h"
#include "journal_merge.h"

namespace {

using namespace hubreg;

constexpr std::string_view kSeparator = "\n@entry\n";
constexpr std::size_t kMaxEntries = 4;
constexpr std::uint64_t kAfter = 7;  // the snapshot's sequence
// The registry's "now", as when the seeds were written: a row whose
// timestamps are left at the epoch then replays to the same after-image.
constexpr Timestamp kNow{std::chrono::microseconds(1'780'000'000'000'000)};

[[noreturn]] void Fail(const std::string& what) {
  std::fprintf(stderr, "journal merge: %s\n", what.c_str());
  std::abort();
}

std::string Checksummed(std::string_view body) {
  const std::uint32_t crc = persist::ComputeCrc32c(body);
  std::string value(sizeof crc, '\0');
  std::memcpy(value.data(), &crc, sizeof crc);  // little-endian, as the store writes it
  value.append(body);
  return value;
}

void ExpectSameRows(const RegistryRows& merged, const RegistryRows& applied) {
  if (merged.apps != applied.apps) Fail("apps differ from the registry's");
  if (merged.organizations != applied.organizations)
    Fail("organizations differ from the registry's");
  if (merged.clients != applied.clients) Fail("clients differ from the registry's");
  if (merged.users != applied.users) Fail("users differ from the registry's");
  if (merged.links != applied.links) Fail("links differ from the registry's");
  if (merged.next_app_id != applied.next_app_id ||
      merged.next_organization_id != applied.next_organization_id ||
      merged.next_client_id != applied.next_client_id ||
      merged.next_user_id != applied.next_user_id) {
    Fail("next ids differ from the registry's");
  }
}

// The registry's rows after applying every entry, or nullptr when the
// snapshot does not load or an entry is not what the registry records.
std::unique_ptr<Registry> ApplyAll(RegistryRows snapshot, const std::vector<std::string>& bodies) {
  StatusOr<std::unique_ptr<Registry>> registry = Registry::FromRows(std::move(snapshot), kAfter);
  if (!registry.ok()) return nullptr;
  (*registry)->SetClock([] { return kNow; });
  for (std::size_t i = 0; i < bodies.size(); ++i) {
    persist::JournalRecord record;
    if (!persist::DecodeJournalRecord(bodies[i], &record).ok()) Fail("a merged entry not decoded");
    StatusOr<CommitResult> applied = (*registry)->Apply(record.batch);
    if (!applied.ok() || applied->sequence != kAfter + 1 + i) return nullptr;
    StatusOr<std::optional<ChangeBatch>> recorded =
        (*registry)->Changes(kAfter + i, std::chrono::milliseconds(0));
    if (!recorded.ok() || !*recorded || (*recorded)->changes != record.changes.changes) {
      return nullptr;
    }
  }
  return std::move(*registry);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  std::size_t end = input.find(kSeparator);
  const std::string_view payload = input.substr(0, end);
  std::vector<std::string> bodies;
  while (end != std::string_view::npos && bodies.size() < kMaxEntries) {
    const std::size_t start = end + kSeparator.size();
    end = input.find(kSeparator, start);
    bodies.emplace_back(input.substr(start, end == std::string_view::npos ? end : end - start));
  }
  StatusOr<RegistryRows> rows = persist::DecodeSnapshot(payload, persist::kSchemaV12);
  if (!rows.ok()) return 0;
  const RegistryRows snapshot = *rows;
  std::vector<std::string> values;
  for (const std::string& body : bodies) values.push_back(Checksummed(body));

  StoreStats stats;
  stats.last_sequence = kAfter;  // as the reader sets it from the snapshot
  StatusOr<bool> merged = persist::MergeJournal("fuzz", kAfter, std::move(values), &*rows, &stats);
  if (!merged.ok()) {
    const Status& status = merged.status();
    if (status.code() != ErrorCode::kCorruption ||
        status.message().rfind("fuzz: journal entry ", 0) != 0) {
      Fail("an error that is not a corruption naming the entry: " + status.ToString());
    }
    return 0;
  }
  if (!*merged) return 0;  // an entry of version 1: only a full open replays it
  if (stats.journal_batches != bodies.size() || stats.last_sequence != kAfter + bodies.size()) {
    Fail("the stats do not count the entries merged");
  }
  const std::unique_ptr<Registry> registry = ApplyAll(snapshot, bodies);
  if (registry) ExpectSameRows(*rows, persist::RowsOf(registry->Read()));
  return 0;
}
