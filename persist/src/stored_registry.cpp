// Plain rows of a data directory or snapshot file, without building the
// registry: the snapshot is decoded into sorted vectors and the journal's
// after-images are merged into them by key.
#include "hubreg/stored_registry.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>

#include "checksum.h"
#include "codec.h"
#include "commit_signal.h"
#include "data_directory.h"
#include "hubreg/store.h"
#include "journal_merge.h"
#include "snapshot_file.h"
#include "snapshot_format.h"
#include "source_state.h"
#include "store_layout.h"

namespace hubreg {
namespace {

using persist::DataDirectory;
namespace lmdb = persist::lmdb;

StatusOr<std::unique_ptr<DataDirectory>> OpenReadOnly(const std::string& path) {
  StoreOptions options;
  options.path = path;
  options.read_only = true;
  options.create_if_missing = false;
  return DataDirectory::Open(options);
}

Status Corrupt(const std::string& path, const std::string& what) {
  return Status::Corruption(path + ": " + what);
}

// The record of one journal value, its checksum checked; the same checks and
// messages as Store::Open's replay (store_layout.cpp).
StatusOr<persist::JournalRecord> DecodeEntry(const std::string& path, std::uint64_t sequence,
                                             std::string_view value) {
  const std::string entry = "journal entry " + std::to_string(sequence);
  if (value.size() < persist::kJournalChecksumBytes) {
    return Corrupt(path, entry + ": " + std::to_string(value.size()) +
                             " bytes, shorter than its 4-byte checksum");
  }
  const std::string_view body = value.substr(persist::kJournalChecksumBytes);
  std::uint32_t stored = 0;
  std::memcpy(&stored, value.data(), sizeof stored);  // little-endian, as codec.h
  const std::uint32_t computed = persist::ComputeCrc32c(body);
  if (stored != computed) {
    return Corrupt(path, entry + ": checksum mismatch (stored " + std::to_string(stored) +
                             ", computed " + std::to_string(computed) + ")");
  }
  persist::JournalRecord record;
  const Status decoded = persist::DecodeJournalRecord(body, &record);
  if (!decoded.ok()) return Corrupt(path, entry + ": " + decoded.message());
  return record;
}

std::pair<Id, Id> KeyOf(const ClientUserLink& link) { return {link.user_id, link.client_id}; }
template <typename Row>
Id KeyOf(const Row& row) {
  return row.id;
}

template <typename Row>
using KeyType = decltype(KeyOf(std::declval<const Row&>()));

// The rows a journal leaves per key: a row (inserted or updated) or nullopt
// (erased). Later changes replace earlier ones.
template <typename Row>
using Overlay = std::map<KeyType<Row>, std::optional<Row>>;

struct Overlays {
  Overlay<App> apps;
  Overlay<Organization> organizations;
  Overlay<Client> clients;
  Overlay<User> users;
  Overlay<ClientUserLink> links;

  template <typename Row>
  Overlay<Row>& Of() {
    if constexpr (std::is_same_v<Row, App>) return apps;
    if constexpr (std::is_same_v<Row, Organization>) return organizations;
    if constexpr (std::is_same_v<Row, Client>) return clients;
    if constexpr (std::is_same_v<Row, User>) return users;
    if constexpr (std::is_same_v<Row, ClientUserLink>) return links;
  }
};

template <typename Row>
Id NextIdFor(const std::vector<Row>& rows, Id given) {
  Id next = given == kNoId ? 1 : given;  // as Registry::FromRows does
  if (!rows.empty() && rows.back().id >= next && rows.back().id != std::numeric_limits<Id>::max()) {
    next = rows.back().id + 1;
  }
  return next;
}

// Merges `overlay` into `rows` (sorted by key): updates in place, erases,
// then the inserts merged in, without a second copy of the table.
template <typename Row>
void Merge(Overlay<Row>& overlay, std::vector<Row>* rows) {
  if (overlay.empty()) return;
  const auto less = [](const Row& row, const KeyType<Row>& key) { return KeyOf(row) < key; };
  std::vector<KeyType<Row>> erased;
  std::vector<Row> inserted;
  for (auto& [key, row] : overlay) {
    auto at = std::lower_bound(rows->begin(), rows->end(), key, less);
    const bool stored = at != rows->end() && KeyOf(*at) == key;
    if (row && stored) {
      *at = std::move(*row);
    } else if (row) {
      inserted.push_back(std::move(*row));
    } else if (stored) {
      erased.push_back(key);
    }
  }
  if (!erased.empty()) {
    std::erase_if(*rows, [&](const Row& row) {
      return std::binary_search(erased.begin(), erased.end(), KeyOf(row));
    });
  }
  if (!inserted.empty()) {
    const auto middle = static_cast<std::ptrdiff_t>(rows->size());
    rows->insert(rows->end(), std::make_move_iterator(inserted.begin()),
                 std::make_move_iterator(inserted.end()));
    std::inplace_merge(rows->begin(), rows->begin() + middle, rows->end(),
                       [](const Row& a, const Row& b) { return KeyOf(a) < KeyOf(b); });
  }
}

void SortLinks(std::vector<ClientUserLink>* links) {
  std::sort(links->begin(), links->end(),
            [](const ClientUserLink& a, const ClientUserLink& b) { return KeyOf(a) < KeyOf(b); });
}

// Snapshots store rows sorted by id and links by (user, client), but a
// v1.0 snapshot or a hand-made file need not: sorting sorted rows is cheap.
void SortRows(RegistryRows* rows) {
  const auto by_id = [](const auto& a, const auto& b) { return a.id < b.id; };
  if (!std::is_sorted(rows->apps.begin(), rows->apps.end(), by_id)) {
    std::sort(rows->apps.begin(), rows->apps.end(), by_id);
  }
  if (!std::is_sorted(rows->organizations.begin(), rows->organizations.end(), by_id)) {
    std::sort(rows->organizations.begin(), rows->organizations.end(), by_id);
  }
  if (!std::is_sorted(rows->clients.begin(), rows->clients.end(), by_id)) {
    std::sort(rows->clients.begin(), rows->clients.end(), by_id);
  }
  if (!std::is_sorted(rows->users.begin(), rows->users.end(), by_id)) {
    std::sort(rows->users.begin(), rows->users.end(), by_id);
  }
  const auto link_order = [](const ClientUserLink& a, const ClientUserLink& b) {
    return KeyOf(a) < KeyOf(b);
  };
  if (!std::is_sorted(rows->links.begin(), rows->links.end(), link_order)) SortLinks(&rows->links);
  rows->next_app_id = NextIdFor(rows->apps, rows->next_app_id);
  rows->next_organization_id = NextIdFor(rows->organizations, rows->next_organization_id);
  rows->next_client_id = NextIdFor(rows->clients, rows->next_client_id);
  rows->next_user_id = NextIdFor(rows->users, rows->next_user_id);
}

// An insert raises the table's next id past the row's, as Registry::Apply does.
void RaiseNextId(Id id, Id* next) {
  if (id != std::numeric_limits<Id>::max()) *next = std::max(*next, id + 1);
}
void RaiseNextId(const App& row, RegistryRows* rows) { RaiseNextId(row.id, &rows->next_app_id); }
void RaiseNextId(const Organization& row, RegistryRows* rows) {
  RaiseNextId(row.id, &rows->next_organization_id);
}
void RaiseNextId(const Client& row, RegistryRows* rows) {
  RaiseNextId(row.id, &rows->next_client_id);
}
void RaiseNextId(const User& row, RegistryRows* rows) { RaiseNextId(row.id, &rows->next_user_id); }
void RaiseNextId(const ClientUserLink&, RegistryRows*) {}

}  // namespace

namespace persist {

StatusOr<bool> MergeJournal(const std::string& path, std::uint64_t after,
                            std::vector<std::string> values, RegistryRows* rows,
                            StoreStats* stats) {
  SortRows(rows);
  Overlays overlays;
  for (std::size_t i = 0; i < values.size(); ++i) {
    const std::uint64_t sequence = after + 1 + i;
    StatusOr<JournalRecord> record = DecodeEntry(path, sequence, values[i]);
    if (!record.ok()) return record.status();
    if (record->entry_version == kJournalEntryV1) return false;
    for (Change& change : record->changes.changes) {
      std::visit(
          [&](auto& row_change) {
            using Row = std::decay_t<decltype(*row_change.after)>;
            if (row_change.after) {
              RaiseNextId(*row_change.after, rows);
              const auto key = KeyOf(*row_change.after);
              overlays.Of<Row>().insert_or_assign(key, std::move(row_change.after));
            } else {
              overlays.Of<Row>().insert_or_assign(KeyOf(*row_change.before), std::nullopt);
            }
          },
          change);
    }
    stats->journal_batches += 1;
    stats->journal_bytes += values[i].size();
    stats->last_sequence = sequence;
  }
  std::vector<std::string>().swap(values);  // decoded: free the bytes before merging
  Merge(overlays.apps, &rows->apps);
  Merge(overlays.organizations, &rows->organizations);
  Merge(overlays.clients, &rows->clients);
  Merge(overlays.users, &rows->users);
  Merge(overlays.links, &rows->links);
  return true;
}

RegistryRows RowsOf(const View& view) {
  RegistryRows rows;
  for (const App* row : view.SortedById<App>()) rows.apps.push_back(*row);
  for (const Organization* row : view.SortedById<Organization>()) {
    rows.organizations.push_back(*row);
  }
  for (const Client* row : view.SortedById<Client>()) rows.clients.push_back(*row);
  for (const User* row : view.SortedById<User>()) rows.users.push_back(*row);
  const auto links = view.Rows<ClientUserLink>();
  rows.links.assign(links.begin(), links.end());
  SortLinks(&rows.links);
  const NextIds next = view.next_ids();
  rows.next_app_id = next.app;
  rows.next_organization_id = next.organization;
  rows.next_client_id = next.client;
  rows.next_user_id = next.user;
  return rows;
}

}  // namespace persist

namespace {

// Journal entries written before the change feed hold the batch as
// submitted, not the rows it changed: replaying one needs the registry's
// rules (ids assigned, cascades), so only a full open can read them.
StatusOr<StoredRegistry> ReadThroughStore(const std::string& path, StoredRegistry read) {
  // (schema and format versions stay those of the snapshot read first)
  StoreOptions options;
  options.path = path;
  options.read_only = true;
  options.create_if_missing = false;
  StatusOr<std::unique_ptr<Store>> store = Store::Open(options);
  if (!store.ok()) return store.status();
  const View view = (*store)->Read();
  read.stats = (*store)->Stats();
  read.rows = persist::RowsOf(view);
  read.opened_store = true;
  return read;
}

std::uint64_t FreePages(lmdb::Txn& txn) {
  // LMDB's free list is database 0: each value is a list of page numbers
  // whose first word is their count (as mdb_stat -f reads it).
  StatusOr<lmdb::Cursor> cursor = lmdb::Cursor::Open(txn, 0);
  if (!cursor.ok()) return 0;
  std::uint64_t pages = 0;
  for (auto entry = cursor->Get(MDB_FIRST); entry.ok() && entry->has_value();
       entry = cursor->Get(MDB_NEXT)) {
    const std::string_view value = (*entry)->value;
    if (value.size() < sizeof(std::size_t)) continue;
    std::size_t count = 0;
    std::memcpy(&count, value.data(), sizeof count);
    pages += count;
  }
  return pages;
}

StatusOr<StoredRegistry> ReadDirectory(const std::string& path) {
  StatusOr<std::unique_ptr<DataDirectory>> directory = OpenReadOnly(path);
  if (!directory.ok()) return directory.status();
  std::optional<persist::SnapshotCopy> snapshot;
  std::optional<persist::JournalCopy> journal;
  std::string source_state;
  {
    // Snapshot and journal of one state. Copying is fast (no decoding), so
    // the transaction is short and the writer's page reuse barely delayed.
    StatusOr<DataDirectory::Reader> reader = (*directory)->BeginRead();
    if (!reader.ok()) return reader.status();
    StatusOr<persist::SnapshotCopy> copied =
        persist::CopySnapshot(reader->txn(), (*directory)->dbs());
    if (!copied.ok()) return copied.status();
    snapshot.emplace(std::move(*copied));
    StatusOr<persist::JournalCopy> entries =
        persist::CopyJournal(reader->txn(), (*directory)->dbs(), snapshot->header.sequence);
    if (!entries.ok()) return entries.status();
    journal.emplace(std::move(*entries));
    StatusOr<std::string> source = persist::GetSourceState(reader->txn(), (*directory)->dbs());
    if (!source.ok()) return source.status().WithContext("reading the source state");
    source_state = std::move(*source);
  }
  StoredRegistry read;
  read.source_state = std::move(source_state);
  read.stats.commit_signal = persist::CommitSignal::OpenForWaiting(path).ok();
  read.stats.map_size = (*directory)->env().MapSize();
  read.stats.map_used = (*directory)->env().MapUsed();
  directory->reset();

  read.schema_version = snapshot->header.schema_version;
  read.format_version = snapshot->header.format_version;
  read.stats.snapshot_sequence = snapshot->header.sequence;
  read.stats.snapshot_bytes = snapshot->header.payload_bytes;
  read.stats.last_sequence = snapshot->header.sequence;
  {
    StatusOr<RegistryRows> rows =
        persist::DecodeSnapshot(snapshot->payload, snapshot->header.schema_version);
    if (!rows.ok()) return Status(rows.status().code(), path + ": " + rows.status().message());
    read.rows = std::move(*rows);
  }
  snapshot.reset();  // the rows are decoded: free the bytes
  StatusOr<bool> merged = persist::MergeJournal(path, journal->after, std::move(journal->values),
                                                &read.rows, &read.stats);
  if (!merged.ok()) return merged.status();
  if (!*merged) return ReadThroughStore(path, std::move(read));
  return read;
}

StatusOr<StoredRegistry> ReadSnapshotFile(const std::string& file) {
  persist::SnapshotFileHeader header;
  StatusOr<std::string> bytes = persist::ReadSnapshotFileBytes(file, &header);
  if (!bytes.ok()) return bytes.status();
  StatusOr<std::string_view> payload = persist::CheckSnapshotFileBody(*bytes, header, file);
  if (!payload.ok()) return payload.status();
  StatusOr<RegistryRows> rows = persist::DecodeSnapshot(*payload, header.schema_version);
  if (!rows.ok()) {
    return Status(rows.status().code(),
                  file + ": payload at offset 80: " + rows.status().message());
  }
  const TableCounts decoded{rows->apps.size(), rows->organizations.size(), rows->clients.size(),
                            rows->users.size(), rows->links.size()};
  if (decoded != header.counts) {
    return Status::Corruption(file + ": " + persist::DescribeCountMismatch(header.counts, decoded));
  }
  StoredRegistry read;
  read.stats.snapshot_bytes = bytes->size();
  std::string().swap(*bytes);
  read.rows = std::move(*rows);
  SortRows(&read.rows);
  read.stats.last_sequence = header.sequence;
  read.stats.snapshot_sequence = header.sequence;
  read.schema_version = header.schema_version;
  read.format_version = header.format_version;
  return read;
}

// Runs `read`, then completes the stats: the rows' counts and the time it took.
template <typename Read>
StatusOr<StoredRegistry> Timed(Read read) {
  const auto start = std::chrono::steady_clock::now();
  StatusOr<StoredRegistry> stored = read();
  if (!stored.ok()) return stored;
  stored->stats.counts = persist::CountsOf(stored->rows);
  stored->stats.open_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return stored;
}

}  // namespace

StatusOr<StoredRegistry> ReadStoredRegistry(const std::string& path) {
  return Timed([&] { return ReadDirectory(path); });
}

StatusOr<StoredRegistry> ReadStoredSnapshotFile(const std::string& file) {
  return Timed([&] { return ReadSnapshotFile(file); });
}

StatusOr<DirectoryLayout> InspectDataDirectory(const std::string& path, std::size_t limit) {
  StatusOr<std::unique_ptr<DataDirectory>> directory = OpenReadOnly(path);
  if (!directory.ok()) return directory.status();
  StatusOr<DataDirectory::Reader> reader = (*directory)->BeginRead();
  if (!reader.ok()) return reader.status();
  lmdb::Txn& txn = reader->txn();
  const persist::StoreDbs& dbs = (*directory)->dbs();
  StatusOr<persist::SnapshotHeader> header = persist::ReadSnapshotHeader(txn, dbs);
  if (!header.ok()) return header.status();
  DirectoryLayout layout;
  layout.format_version = header->format_version;
  layout.schema_version = header->schema_version;
  layout.snapshot_sequence = header->sequence;
  layout.snapshot_bytes = header->payload_bytes;
  layout.snapshot_chunks = header->chunk_count;
  // The snapshot's checksum, as every read checks it.
  if (StatusOr<persist::SnapshotCopy> copy = persist::CopySnapshot(txn, dbs); !copy.ok()) {
    return copy.status();
  }

  StatusOr<lmdb::Cursor> cursor = lmdb::Cursor::Open(txn, dbs.journal);
  if (!cursor.ok()) return cursor.status();
  std::optional<std::uint64_t> previous;
  for (auto entry = cursor->Get(MDB_FIRST);; entry = cursor->Get(MDB_NEXT)) {
    if (!entry.ok()) return entry.status();
    if (!entry->has_value()) break;
    const lmdb::Cursor::Entry& found = **entry;
    if (found.key.size() != persist::kJournalKeyBytes) {
      return Corrupt(
          path, "journal key of " + std::to_string(found.key.size()) + " bytes after entry " +
                    (previous ? std::to_string(*previous) : std::string("none")) + " (expected 8)");
    }
    const std::uint64_t sequence = persist::SequenceOfJournalKey(found.key);
    // Entries after the snapshot must follow it without a gap, as replay needs.
    const std::uint64_t expected = previous ? *previous + 1 : header->sequence + 1;
    if (sequence > header->sequence && sequence != expected) {
      return Corrupt(path, "journal entry " + std::to_string(expected) + " is missing (next is " +
                               std::to_string(sequence) + ")");
    }
    previous = sequence;
    StatusOr<persist::JournalRecord> record = DecodeEntry(path, sequence, found.value);
    if (!record.ok()) return record.status();
    layout.journal_entries += 1;
    layout.journal_bytes += found.value.size();
    JournalEntryInfo info;
    info.sequence = sequence;
    info.entry_version = record->entry_version;
    info.committed_at = record->changes.committed_at;
    info.bytes = found.value.size();
    info.mutations = record->batch.size();
    info.changes = record->changes.changes.size();
    info.covered = sequence <= header->sequence;
    layout.entries.push_back(info);
  }
  if (limit != 0 && layout.entries.size() > limit) {
    layout.entries.erase(layout.entries.begin(),
                         layout.entries.end() - static_cast<std::ptrdiff_t>(limit));
  }
  MDB_stat stat{};
  mdb_env_stat((*directory)->env().handle(), &stat);
  layout.page_size = stat.ms_psize;
  layout.map_size = (*directory)->env().MapSize();
  layout.map_used = (*directory)->env().MapUsed();
  layout.free_pages = FreePages(txn);
  return layout;
}

}  // namespace hubreg
