// Batches and snapshots in cereal's binary format. Encoding uses
// StringOutputArchive (string_archive.h), which writes cereal's bytes
// straight into a string; decoding uses SpanInputArchive, which reads them in
// place with bounds checks (span_archive.h).
#include "codec.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <exception>
#include <future>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "cereal_model.h"
#include "hubreg/feed.h"
#include "populate.h"
#include "record_writer.h"
#include "schema_v10.h"

namespace hubreg::persist {
namespace {

// The fewest bytes one encoded element can take. A count read from garbage
// is checked against them before anything is reserved, so a damaged count
// cannot reserve more than a few times the input's size.
template <typename T>
inline constexpr std::size_t kMinEncodedBytes = 8;
template <>
inline constexpr std::size_t kMinEncodedBytes<Mutation> = 4 + 8;  // index + an id
template <>
inline constexpr std::size_t kMinEncodedBytes<App> = 8 + 2 * 8 + 1 + 2 * 8;
template <>
inline constexpr std::size_t kMinEncodedBytes<Organization> = 3 * 8 + 2 * 8 + 2 * 8;
template <>
inline constexpr std::size_t kMinEncodedBytes<Client> = 2 * 8 + 6 * 8 + 2 + 1 + 2 * 8;
template <>
inline constexpr std::size_t kMinEncodedBytes<v10::Client> = 8 + 6 * 8 + 2 + 1 + 2 * 8;
template <>
inline constexpr std::size_t kMinEncodedBytes<User> = 8 + 3 * 8 + 1 + 2 * 8;
template <>
inline constexpr std::size_t kMinEncodedBytes<ClientUserLink> = 2 * 8 + 8;
template <>
inline constexpr std::size_t kMinEncodedBytes<Change> = 2 + kMinEncodedBytes<ClientUserLink>;
template <>
inline constexpr std::size_t kMinEncodedBytes<AccessChange> = 2 * 8 + 2 + 2 * 8;

using record::kAfterSide;
using record::kAppTable;
using record::kBeforeSide;
using record::kClientTable;
using record::kLinkTable;
using record::kOrganizationTable;
using record::kUserTable;

template <typename Row>
Change LoadChange(SpanInputArchive& ar, std::uint8_t sides) {
  RowChange<Row> change;
  if ((sides & kBeforeSide) != 0) ar(change.before.emplace());
  if ((sides & kAfterSide) != 0) ar(change.after.emplace());
  return change;
}

Change LoadChange(SpanInputArchive& ar) {
  const std::size_t offset = ar.Offset();
  std::uint8_t table = 0, sides = 0;
  ar(table, sides);
  if (sides == 0 || sides > (kBeforeSide | kAfterSide) ||
      (table == kLinkTable && sides == (kBeforeSide | kAfterSide))) {
    throw DecodeError(
        "invalid sides " + std::to_string(sides) + " of a change to table " + std::to_string(table),
        offset);
  }
  switch (table) {
    case kAppTable:
      return LoadChange<App>(ar, sides);
    case kOrganizationTable:
      return LoadChange<Organization>(ar, sides);
    case kClientTable:
      return LoadChange<Client>(ar, sides);
    case kUserTable:
      return LoadChange<User>(ar, sides);
    case kLinkTable:
      return LoadChange<ClientUserLink>(ar, sides);
    default:
      throw DecodeError("unknown table " + std::to_string(table), offset);
  }
}

// Where a decode is, for the error message: "client row 3 of 10".
struct Position {
  const char* what = "header";
  std::size_t index = 0;  // 1-based; 0 when not inside a list
  std::size_t count = 0;

  std::string Describe() const {
    if (index == 0) return what;
    return std::string(what) + " " + std::to_string(index) + " of " + std::to_string(count);
  }
};

template <typename T>
std::size_t LoadCount(SpanInputArchive& ar) {
  std::size_t offset = ar.Offset();
  cereal::size_type count = 0;
  ar(cereal::make_size_tag(count));
  if (count > ar.Remaining() / kMinEncodedBytes<T>) {
    throw DecodeError("a count of " + std::to_string(count) + " cannot fit in the " +
                          std::to_string(ar.Remaining()) + " bytes left",
                      offset);
  }
  return static_cast<std::size_t>(count);
}

// Tables are written as cereal writes a sequence of one versioned type,
// byte for byte: the count, then the type's class version before the first
// row only, then the rows. Hoisting the version out of the row loop spares
// cereal's per-row version bookkeeping (a hash lookup per row on load; a
// global lock and map update per row on save).
template <typename Row>
void LoadRows(SpanInputArchive& ar, const char* what, std::vector<Row>* rows, Position* at) {
  *at = Position{what, 0, 0};
  std::size_t count = LoadCount<Row>(ar);
  rows->reserve(count);
  PopulateForWriting(rows->data(), count * sizeof(Row));
  rows->resize(count);
  if (count == 0) return;
  at->count = count;
  at->index = 1;
  std::uint32_t version = 0;
  ar(version);
  for (std::size_t i = 0; i < count; ++i) {
    at->index = i + 1;
    serialize(ar, (*rows)[i], version);
  }
  at->index = 0;
}

// The tag of a table of `count` rows, then (when there are any) the version
// its rows are written in, which it returns.
template <typename Row>
std::uint32_t SaveTableStart(StringOutputArchive& ar, std::size_t count) {
  ar(cereal::make_size_tag(static_cast<cereal::size_type>(count)));
  const std::uint32_t version = cereal::detail::Version<Row>::version;
  if (count != 0) ar(version);
  return version;
}

// Pointers to rows, in the order a loader inserts them fastest (see
// EncodeSnapshot and SaveLinksOf).
template <typename Row>
void SaveRows(StringOutputArchive& ar, std::span<const Row* const> rows, std::uint32_t version) {
  for (const Row* row : rows) serialize(ar, const_cast<Row&>(*row), version);
}

template <typename Row>
void SaveTable(StringOutputArchive& ar, const std::vector<const Row*>& rows) {
  SaveRows<Row>(ar, rows, SaveTableStart<Row>(ar, rows.size()));
}

// The links of `users`, sorted by (user, client) when `users` is sorted by
// id: a user's links arrive together, so the loader finds the user's group
// in the by-user index, and the user itself when checking foreign keys,
// already in cache. Each user's accounts are kept sorted by client id, so
// this needs no copy of every link and no sort (copying and sorting 3M links
// took about two fifths of the encoding at size L).
void SaveLinksOf(StringOutputArchive& ar, const View& view, std::span<const User* const> users,
                 std::uint32_t version) {
  for (const User* user : users) {
    const View::ClientsOfUserRange accounts = view.ClientsOfUser(*user);
    for (auto account = accounts.begin(); account != accounts.end(); ++account) {
      ClientUserLink link = account.link();
      serialize(ar, link, version);
    }
  }
}

void CheckFullyRead(SpanInputArchive& ar, Position* at) {
  if (ar.Remaining() != 0) {
    *at = Position{"end"};
    throw DecodeError(std::to_string(ar.Remaining()) + " unexpected bytes after the last record",
                      ar.Offset());
  }
}

// Runs `decode` and turns anything it throws into kCorruption:
// "<subject>: <position>: <reason> at byte offset <n>".
template <typename Decode>
Status Guarded(const std::string& subject, SpanInputArchive& ar, const Position& at,
               Decode&& decode) {
  try {
    decode();
    return Status::Ok();
  } catch (const DecodeError& e) {
    return Status::Corruption(subject + ": " + at.Describe() + ": " + e.what() +
                              " at byte offset " + std::to_string(e.offset()));
  } catch (const std::exception& e) {
    // cereal::Exception (e.g. a bad variant index) and allocation failures.
    return Status::Corruption(subject + ": " + at.Describe() + ": " + e.what() +
                              " at byte offset " + std::to_string(ar.Offset()));
  }
}

RegistryRows DecodeV12(SpanInputArchive& ar, Position* at) {
  RegistryRows rows;
  *at = Position{"next ids"};
  ar(rows.next_app_id, rows.next_organization_id, rows.next_client_id, rows.next_user_id);
  LoadRows(ar, "threecolts_app row", &rows.apps, at);
  LoadRows(ar, "threecolts_organization row", &rows.organizations, at);
  LoadRows(ar, "client row", &rows.clients, at);
  LoadRows(ar, "user row", &rows.users, at);
  LoadRows(ar, "client_user row", &rows.links, at);
  CheckFullyRead(ar, at);
  return rows;
}

RegistryRows DecodeV10(SpanInputArchive& ar, Position* at) {
  RegistryRows rows;
  std::vector<v10::Client> clients;
  LoadRows(ar, "client row", &clients, at);
  LoadRows(ar, "user row", &rows.users, at);
  LoadRows(ar, "client_user row", &rows.links, at);
  CheckFullyRead(ar, at);
  rows.clients.reserve(clients.size());
  for (v10::Client& client : clients) rows.clients.push_back(v10::Migrate(std::move(client)));
  return rows;
}

AccessVerdict LoadVerdict(std::uint8_t code, std::size_t offset) {
  if (code > static_cast<std::uint8_t>(AccessVerdict::kAccountDisabled)) {
    throw DecodeError("access verdict code " + std::to_string(code) + " is unknown", offset);
  }
  return static_cast<AccessVerdict>(code);
}

}  // namespace

std::string SchemaName(std::uint32_t schema_version) {
  if (schema_version == kSchemaV10) return "v1.0";
  if (schema_version == kSchemaV12) return "v1.2";
  return std::to_string(schema_version);
}

std::string EncodeBatch(const Batch& batch) {
  std::string out;
  StringOutputArchive ar(&out);
  record::WriteBatch(ar, batch);
  return out;
}

Status DecodeBatch(std::string_view bytes, Batch* batch) {
  SpanInputArchive ar(bytes);
  Position at;
  std::vector<Mutation> mutations;
  Status status = Guarded("batch", ar, at, [&] {
    std::size_t count = LoadCount<Mutation>(ar);
    mutations.resize(count);
    at = Position{"mutation", 0, count};
    for (std::size_t i = 0; i < count; ++i) {
      at.index = i + 1;
      ar(mutations[i]);
    }
    CheckFullyRead(ar, &at);
  });
  if (!status.ok()) return status;
  *batch = Batch(std::move(mutations));
  return Status::Ok();
}

std::string EncodeJournalRecord(const ChangeBatch& changes) {
  std::string out;
  // Room for a row before and after each change (about 110 bytes each at
  // size L) and the events: one allocation instead of a doubling series.
  out.reserve(64 + 256 * changes.changes.size() + 34 * changes.access.size() +
              8 * changes.connection_changed.size());
  StringOutputArchive ar(&out);
  record::WriteJournalRecord(ar, changes);
  return out;
}

Status DecodeJournalRecord(std::string_view bytes, JournalRecord* record) {
  std::uint64_t tag = 0;
  if (bytes.size() >= sizeof tag) std::memcpy(&tag, bytes.data(), sizeof tag);
  if (tag != kJournalEntryV2Tag) {
    JournalRecord old;
    old.entry_version = kJournalEntryV1;
    HUBREG_RETURN_IF_ERROR(DecodeBatch(bytes, &old.batch));
    *record = std::move(old);
    return Status::Ok();
  }
  SpanInputArchive ar(bytes);
  Position at;
  ChangeBatch changes;
  Status status = Guarded("journal record", ar, at, [&] {
    ar(tag);
    at = Position{"commit time"};
    record::Field(ar, changes.committed_at);
    std::size_t count = LoadCount<Change>(ar);
    changes.changes.reserve(count);
    at = Position{"change", 0, count};
    for (std::size_t i = 0; i < count; ++i) {
      at.index = i + 1;
      changes.changes.push_back(LoadChange(ar));
    }
    count = LoadCount<AccessChange>(ar);
    changes.access.resize(count);
    at = Position{"access event", 0, count};
    for (std::size_t i = 0; i < count; ++i) {
      at.index = i + 1;
      AccessChange& a = changes.access[i];
      std::uint8_t before = 0;
      std::uint8_t after = 0;
      ar(a.user_id, a.client_id, before, after, a.organization_before, a.organization_after);
      a.before = LoadVerdict(before, ar.Offset());
      a.after = LoadVerdict(after, ar.Offset());
    }
    count = LoadCount<Id>(ar);
    changes.connection_changed.resize(count);
    at = Position{"changed connection", 0, count};
    for (std::size_t i = 0; i < count; ++i) {
      at.index = i + 1;
      ar(changes.connection_changed[i]);
    }
    CheckFullyRead(ar, &at);
  });
  if (!status.ok()) return status;
  record->entry_version = kJournalEntryV2;
  record->batch = ToBatch(changes);
  record->changes = std::move(changes);
  return Status::Ok();
}

std::string EncodeSnapshot(const View& view) { return EncodeSnapshot(view, kParallelEncodeUsers); }

std::string EncodeSnapshot(const View& view, std::size_t parallel_from_users) {
  const NextIds next = view.next_ids();
  const TableCounts counts = view.counts();
  const std::vector<const User*> users = view.SortedById<User>();
  // The second half of the users and of their links, encoded on a thread of
  // its own into strings of their own, appended in their places at the end.
  // Declared before `second` so that they outlive it (a std::async future
  // waits for its task when destroyed, also when an exception leaves here).
  const std::size_t half = users.size() >= parallel_from_users ? users.size() / 2 : users.size();
  const std::span<const User* const> first_users(users.data(), half);
  const std::span<const User* const> second_users(users.data() + half, users.size() - half);
  const std::uint32_t user_version = cereal::detail::Version<User>::version;
  const std::uint32_t link_version = cereal::detail::Version<ClientUserLink>::version;
  std::string second_user_bytes, second_link_bytes;
  std::future<void> second;
  if (!second_users.empty()) {
    second = std::async(std::launch::async, [&] {
      // As for `out` below: no regrowth.
      second_user_bytes.reserve(128 * second_users.size());
      second_link_bytes.reserve(24 * counts.links);
      StringOutputArchive user_ar(&second_user_bytes);
      SaveRows<User>(user_ar, second_users, user_version);
      StringOutputArchive link_ar(&second_link_bytes);
      SaveLinksOf(link_ar, view, second_users, link_version);
    });
  }

  std::string out;
  // A link takes 24 bytes, the other rows about 110 on average at size L
  // (192 MB of payload for 1.1M rows and 3M links). Reserving 128 per row
  // spares the regrowth that copied half the payload once at size L; pages
  // reserved and never written are never made resident.
  out.reserve(64 + 128 * (counts.apps + counts.organizations + counts.clients + counts.users) +
              24 * counts.links);
  StringOutputArchive ar(&out);
  ar(next.app, next.organization, next.client, next.user);
  // Rows sorted by id: start-up inserts them in this order, and ids hash to
  // themselves, so the id index's buckets are filled front to back instead
  // of at random; and snapshots of equal registries are equal bytes.
  SaveTable<App>(ar, view.SortedById<App>());
  SaveTable<Organization>(ar, view.SortedById<Organization>());
  SaveTable<Client>(ar, view.SortedById<Client>());
  SaveTableStart<User>(ar, users.size());
  SaveRows<User>(ar, first_users, user_version);
  std::string first_link_bytes;
  first_link_bytes.reserve(64 + 24 * counts.links);
  StringOutputArchive link_ar(&first_link_bytes);
  SaveTableStart<ClientUserLink>(link_ar, counts.links);
  SaveLinksOf(link_ar, view, first_users, link_version);
  if (second.valid()) second.get();  // rethrows what the thread threw
  out.append(second_user_bytes);
  out.append(first_link_bytes);
  out.append(second_link_bytes);
  return out;
}

StatusOr<RegistryRows> DecodeSnapshot(std::string_view bytes, std::uint32_t schema_version) {
  if (schema_version != kSchemaV10 && schema_version != kSchemaV12) {
    return Status::Version("snapshot schema version " + std::to_string(schema_version) +
                           " is not supported (supported: 100 (v1.0), 102 (v1.2))");
  }
  SpanInputArchive ar(bytes);
  Position at;
  RegistryRows rows;
  Status status = Guarded("snapshot (schema " + SchemaName(schema_version) + ")", ar, at, [&] {
    rows = schema_version == kSchemaV12 ? DecodeV12(ar, &at) : DecodeV10(ar, &at);
  });
  if (!status.ok()) return status;
  return rows;
}

}  // namespace hubreg::persist
