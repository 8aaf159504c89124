#include "change_translator.h"

#include <algorithm>
#include <charconv>
#include <optional>

#include "parked_keys.h"

namespace hubreg::sync {
namespace {

constexpr std::size_t kRowTables = 4;  // every table but client_user, by RegistryTable value

std::size_t Index(RegistryTable table) { return static_cast<std::size_t>(table); }

template <typename T>
struct ErasedRow;
template <typename Row>
struct ErasedRow<EraseRow<Row>> {
  using type = Row;
};

template <typename Row>
constexpr RegistryTable TableOf() {
  if constexpr (std::is_same_v<Row, App>) return RegistryTable::kApp;
  if constexpr (std::is_same_v<Row, Organization>) return RegistryTable::kOrganization;
  if constexpr (std::is_same_v<Row, Client>) return RegistryTable::kClient;
  if constexpr (std::is_same_v<Row, User>) return RegistryTable::kUser;
  return RegistryTable::kClientUser;
}

void AppendInsert(const SourceRow& row, Batch* batch) {
  std::visit([&](const auto& r) { batch->Insert(r); }, row);
}

// A row's id (a link's client_id) and, for a link, its user_id.
std::pair<Id, Id> KeyOf(const SourceRow& row) {
  return std::visit(
      [](const auto& r) -> std::pair<Id, Id> {
        if constexpr (std::is_same_v<std::decay_t<decltype(r)>, ClientUserLink>) {
          return {r.client_id, r.user_id};
        } else {
          return {r.id, kNoId};
        }
      },
      row);
}

void AppendErase(RegistryTable table, std::pair<Id, Id> key, Batch* batch) {
  switch (table) {
    case RegistryTable::kApp:
      batch->Erase<App>(key.first);
      break;
    case RegistryTable::kOrganization:
      batch->Erase<Organization>(key.first);
      break;
    case RegistryTable::kClient:
      batch->Erase<Client>(key.first);
      break;
    case RegistryTable::kUser:
      batch->Erase<User>(key.first);
      break;
    case RegistryTable::kClientUser:
      batch->Unlink(key.first, key.second);
      break;
  }
}

std::string DescribeKey(RegistryTable table, std::pair<Id, Id> key) {
  if (table == RegistryTable::kClientUser) {
    return "(" + std::to_string(key.first) + ", " + std::to_string(key.second) + ")";
  }
  return std::to_string(key.first);
}

bool HasUnchangedToast(const PgTuple& tuple) {
  return std::any_of(tuple.begin(), tuple.end(), [](const PgValue& value) {
    return value.kind == PgValue::Kind::kUnchangedToast;
  });
}

}  // namespace

ChangeTranslator::ChangeTranslator(SourceMapping mapping) : mapping_(std::move(mapping)) {}

void ChangeTranslator::MarkApplied() {
  for (auto& rows : pending_rows_) rows.clear();
  pending_links_.clear();
}

void ChangeTranslator::MarkApplied(std::uint64_t through) {
  // An entry last written by a later transaction is still ahead of the
  // registry; one written by an applied transaction is in it.
  for (auto& rows : pending_rows_) {
    std::erase_if(rows, [&](const auto& entry) { return entry.second.writer <= through; });
  }
  std::erase_if(pending_links_, [&](const auto& entry) { return entry.second.writer <= through; });
}

Status ChangeTranslator::CheckRelation(const PgRelation& relation) const {
  const std::optional<RegistryTable> table = mapping_.Find(relation.schema, relation.table);
  if (!table) return Status::Ok();
  const std::string source = relation.schema + "." + relation.table;
  std::string problems;
  const auto problem = [&](std::string text) {
    if (!problems.empty()) problems += "; ";
    problems += std::string(TableName(*table)) + text;
  };
  const auto columns = ColumnNames(*table);
  for (std::size_t i = 0; i < columns.size(); ++i) {
    const auto found =
        std::find_if(relation.columns.begin(), relation.columns.end(),
                     [&](const PgColumn& column) { return column.name == columns[i]; });
    if (found == relation.columns.end()) {
      problem("." + std::string(columns[i]) + ": missing in source table " + source);
      continue;
    }
    const auto type = type_names_.find(found->type_oid);
    if (auto difference = CheckColumnType(*table, i, found->type_oid,
                                          type == type_names_.end() ? "" : type->second)) {
      problem("." + std::string(columns[i]) + ": " + *difference);
    } else if (IsKeyColumn(*table, i) && !found->key && relation.replica_identity != 'f') {
      problem(": the replica identity of source table " + source + " does not include " +
              std::string(columns[i]) + " (use the primary key or REPLICA IDENTITY FULL)");
    }
  }
  if (problems.empty()) return Status::Ok();
  return Status::InvalidArgument(std::move(problems));
}

Status ChangeTranslator::OnRelation(const PgRelation& relation) {
  Relation entry{relation, mapping_.Find(relation.schema, relation.table), {}};
  if (entry.table) {
    HUBREG_RETURN_IF_ERROR(CheckRelation(relation));
    for (std::string_view column : ColumnNames(*entry.table)) {
      const auto found = std::find_if(relation.columns.begin(), relation.columns.end(),
                                      [&](const PgColumn& c) { return c.name == column; });
      entry.source_index.push_back(static_cast<int>(found - relation.columns.begin()));
    }
  }
  relations_[relation.oid] = std::move(entry);
  return Status::Ok();
}

StatusOr<const ChangeTranslator::Relation*> ChangeTranslator::RelationOf(
    PgOid oid, std::string_view what) const {
  const auto found = relations_.find(oid);
  if (found == relations_.end()) {
    return Status::Corruption("pgoutput " + std::string(what) + " of relation OID " +
                              std::to_string(oid) + ", which no Relation message described");
  }
  return &found->second;
}

StatusOr<SourceRow> ChangeTranslator::RowOf(const Relation& relation, const PgTuple& tuple,
                                            const SourceRow* current) const {
  if (tuple.size() != relation.relation.columns.size()) {
    return Status::Corruption("a row of " + relation.relation.schema + "." +
                              relation.relation.table + " has " + std::to_string(tuple.size()) +
                              " values for " + std::to_string(relation.relation.columns.size()) +
                              " columns");
  }
  std::array<const PgValue*, 16> values{};
  for (std::size_t i = 0; i < relation.source_index.size(); ++i) {
    values[i] = &tuple[static_cast<std::size_t>(relation.source_index[i])];
  }
  return ParseSourceRow(
      *relation.table, std::span<const PgValue* const>(values.data(), relation.source_index.size()),
      current);
}

StatusOr<std::pair<Id, Id>> ChangeTranslator::KeyOfTuple(const Relation& relation,
                                                         const PgTuple& tuple,
                                                         std::string_view what) const {
  const RegistryTable table = *relation.table;
  if (tuple.size() != relation.relation.columns.size()) {
    return Status::Corruption("a " + std::string(what) + " of " + relation.relation.schema + "." +
                              relation.relation.table + " has " + std::to_string(tuple.size()) +
                              " values for " + std::to_string(relation.relation.columns.size()) +
                              " columns");
  }
  std::pair<Id, Id> key{kNoId, kNoId};
  for (std::size_t i = 0; i < relation.source_index.size(); ++i) {
    if (!IsKeyColumn(table, i)) continue;
    const PgValue& value = tuple[static_cast<std::size_t>(relation.source_index[i])];
    Id id = 0;
    const char* end = value.text.data() + value.text.size();
    if (value.kind != PgValue::Kind::kText ||
        std::from_chars(value.text.data(), end, id).ptr != end || id == 0) {
      return WithContext(Status::InvalidArgument("the " + std::string(what) + "'s " +
                                                 std::string(ColumnNames(table)[i]) +
                                                 " is not a positive integer id"),
                         table, "");
    }
    (i == 0 ? key.first : key.second) = id;
  }
  return key;
}

Status ChangeTranslator::WithContext(Status status, RegistryTable table,
                                     std::string_view key) const {
  std::string message = std::string(TableName(table));
  if (!key.empty()) message += " " + std::string(key);
  message += ": " + status.message();
  if (transaction_lsn_ != kInvalidLsn) {
    message += "; in the transaction committed at LSN " + FormatLsn(transaction_lsn_);
  }
  return Status(status.code(), std::move(message));
}

Status ChangeTranslator::Translate(const PgMessage& message, const View& state, Batch* batch) {
  const std::size_t first = batch->size();
  Status status = std::visit(
      [&](const auto& m) -> Status {
        using M = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<M, PgBegin>) {
          transaction_lsn_ = m.final_lsn;
          for (auto& ids : moving_) ids.clear();
          return Status::Ok();
        } else if constexpr (std::is_same_v<M, PgCommit>) {
          EraseMoved(batch);
          committing_ = true;
          return Status::Ok();
        } else if constexpr (std::is_same_v<M, PgType>) {
          type_names_[m.oid] = m.schema.empty() ? m.name : m.schema + "." + m.name;
          return Status::Ok();
        } else if constexpr (std::is_same_v<M, PgRelation>) {
          return OnRelation(m);
        } else if constexpr (std::is_same_v<M, PgInsert>) {
          return Insert(m, batch);
        } else if constexpr (std::is_same_v<M, PgUpdate>) {
          return Update(m, state, batch);
        } else if constexpr (std::is_same_v<M, PgDelete>) {
          return Delete(m, batch);
        } else if constexpr (std::is_same_v<M, PgTruncate>) {
          return Truncate(m, state, batch);
        } else {
          return Status::Ok();  // Origin
        }
      },
      message);
  if (!status.ok()) {
    batch->mutations().erase(batch->mutations().begin() + static_cast<std::ptrdiff_t>(first),
                             batch->mutations().end());
    return status;
  }
  Remember(*batch, first, state);
  if (committing_) {
    committing_ = false;
    ++transactions_;
  }
  return Status::Ok();
}

Status ChangeTranslator::Insert(const PgInsert& insert, Batch* batch) {
  StatusOr<const Relation*> relation = RelationOf(insert.relation, "Insert");
  if (!relation.ok()) return relation.status();
  if (!(*relation)->table) return Status::Ok();
  const RegistryTable table = *(*relation)->table;
  StatusOr<SourceRow> row = RowOf(**relation, insert.row, nullptr);
  if (!row.ok()) {
    const auto id_index = static_cast<std::size_t>((*relation)->source_index[0]);
    const PgValue* id = id_index < insert.row.size() ? &insert.row[id_index] : nullptr;
    return WithContext(
        row.status(), table,
        id != nullptr && id->kind == PgValue::Kind::kText && id->text.size() < 24 ? id->text : "");
  }
  if (table != RegistryTable::kClientUser) EraseIfMoving(table, KeyOf(*row).first, batch);
  AppendInsert(*row, batch);
  return Status::Ok();
}

Status ChangeTranslator::Update(const PgUpdate& update, const View& state, Batch* batch) {
  StatusOr<const Relation*> found = RelationOf(update.relation, "Update");
  if (!found.ok()) return found.status();
  const Relation& relation = **found;
  if (!relation.table) return Status::Ok();
  const RegistryTable table = *relation.table;

  // The old row's key, when the source sent one; else the key did not change.
  std::optional<std::pair<Id, Id>> old_key;
  std::optional<SourceRow> old_full;
  if (update.old_kind != PgOldRow::kNone) {
    if (update.old_kind == PgOldRow::kFull) {
      StatusOr<SourceRow> old_row = RowOf(relation, update.old_row, nullptr);
      if (!old_row.ok()) return WithContext(old_row.status().WithContext("old row"), table, "");
      old_full = std::move(old_row).value();
      old_key = KeyOf(*old_full);
    } else {
      // In an old key tuple the columns outside the key are null.
      StatusOr<std::pair<Id, Id>> key = KeyOfTuple(relation, update.old_row, "old key");
      if (!key.ok()) return key.status();
      old_key = *key;
    }
  }

  const SourceRow* current = nullptr;
  std::optional<SourceRow> current_row;
  if (HasUnchangedToast(update.row)) {
    if (old_full) {
      current = &*old_full;
    } else if (old_key) {
      current_row = Current(table, old_key->first, state);
    } else {
      // The key is unchanged: the new row's key is the old one (a key is
      // never TOASTed).
      StatusOr<std::pair<Id, Id>> key = KeyOfTuple(relation, update.row, "new row");
      if (!key.ok()) return key.status();
      current_row = Current(table, key->first, state);
    }
    if (current_row) current = &*current_row;
  }

  StatusOr<SourceRow> row = RowOf(relation, update.row, current);
  if (!row.ok()) {
    StatusOr<std::pair<Id, Id>> key = KeyOfTuple(relation, update.row, "new row");
    return WithContext(row.status(), table,
                       key.ok()  ? DescribeKey(table, *key)
                       : old_key ? DescribeKey(table, *old_key)
                                 : "");
  }
  const std::pair<Id, Id> new_key = KeyOf(*row);
  if (!old_key || *old_key == new_key) {
    if (table == RegistryTable::kClientUser) {
      // Links have no update: a changed created_at is an erase and an insert.
      const auto& link = std::get<ClientUserLink>(*row);
      const auto pending = pending_links_.find(new_key);
      const std::optional<ClientUserLink> now = state.FindLink(link.client_id, link.user_id);
      if (pending == pending_links_.end() && now && *now == link) return Status::Ok();
      batch->Unlink(link.client_id, link.user_id);
      batch->Insert(link);
      return Status::Ok();
    }
    std::visit(
        [&](const auto& r) {
          if constexpr (!std::is_same_v<std::decay_t<decltype(r)>, ClientUserLink>) {
            batch->Update(r);
          }
        },
        *row);
    return Status::Ok();
  }
  if (table == RegistryTable::kClientUser) {
    AppendErase(table, *old_key, batch);
    AppendInsert(*row, batch);
    return Status::Ok();
  }
  // The row's id changed. The source moves the rows that refer to it in the
  // same transaction (ON UPDATE CASCADE), after this message: the old row is
  // parked, so that the new one can take its unique keys, and erased at the
  // commit, once nothing refers to it any more.
  std::optional<SourceRow> old_row = Current(table, old_key->first, state);
  if (!old_row) {
    return WithContext(Status::NotFound("no such row to update"), table,
                       DescribeKey(table, *old_key));
  }
  std::visit(
      [&](auto& r) {
        if constexpr (!std::is_same_v<std::decay_t<decltype(r)>, ClientUserLink>) {
          Park(r);
          batch->Update(r);
        }
      },
      *old_row);
  EraseIfMoving(table, new_key.first, batch);
  AppendInsert(*row, batch);
  moving_[Index(table)].insert(old_key->first);
  return Status::Ok();
}

void ChangeTranslator::EraseIfMoving(RegistryTable table, Id id, Batch* batch) {
  if (Index(table) >= kRowTables || !moving_[Index(table)].erase(id)) return;
  AppendErase(table, {id, kNoId}, batch);
}

void ChangeTranslator::EraseMoved(Batch* batch) {
  // Rows that refer to others first, as the registry refuses to erase a row
  // still referred to.
  for (RegistryTable table : {RegistryTable::kClient, RegistryTable::kOrganization,
                              RegistryTable::kUser, RegistryTable::kApp}) {
    for (Id id : moving_[Index(table)]) AppendErase(table, {id, kNoId}, batch);
    moving_[Index(table)].clear();
  }
}

Status ChangeTranslator::Delete(const PgDelete& erase, Batch* batch) {
  StatusOr<const Relation*> found = RelationOf(erase.relation, "Delete");
  if (!found.ok()) return found.status();
  const Relation& relation = **found;
  if (!relation.table) return Status::Ok();
  const RegistryTable table = *relation.table;
  StatusOr<std::pair<Id, Id>> key = KeyOfTuple(relation, erase.old_row, "deleted row");
  if (!key.ok()) return key.status();
  if (table == RegistryTable::kClientUser) {
    const auto pending = pending_links_.find(*key);
    if (pending != pending_links_.end() && !pending->second.present) return Status::Ok();
  }
  AppendErase(table, *key, batch);
  return Status::Ok();
}

Status ChangeTranslator::Truncate(const PgTruncate& truncate, const View& state, Batch* batch) {
  std::array<bool, 5> truncated{};
  for (PgOid oid : truncate.relations) {
    StatusOr<const Relation*> relation = RelationOf(oid, "Truncate");
    if (!relation.ok()) return relation.status();
    if ((*relation)->table) truncated[Index(*(*relation)->table)] = true;
  }
  // Links first, then children before the rows they refer to.
  if (truncated[Index(RegistryTable::kClientUser)]) {
    std::set<LinkKey> links;
    for (const ClientUserLink& link : state.Rows<ClientUserLink>())
      links.insert({link.client_id, link.user_id});
    for (const auto& [key, pending] : pending_links_) {
      if (pending.present) {
        links.insert(key);
      } else {
        links.erase(key);
      }
    }
    for (const LinkKey& key : links) batch->Unlink(key.first, key.second);
  }
  for (RegistryTable table : {RegistryTable::kClient, RegistryTable::kOrganization,
                              RegistryTable::kUser, RegistryTable::kApp}) {
    if (!truncated[Index(table)]) continue;
    std::set<Id> ids;
    const auto add = [&](const auto& rows) {
      for (const auto& row : rows) ids.insert(row.id);
    };
    switch (table) {
      case RegistryTable::kApp:
        add(state.Rows<App>());
        break;
      case RegistryTable::kOrganization:
        add(state.Rows<Organization>());
        break;
      case RegistryTable::kClient:
        add(state.Rows<Client>());
        break;
      case RegistryTable::kUser:
        add(state.Rows<User>());
        break;
      case RegistryTable::kClientUser:
        break;
    }
    for (const auto& [id, pending] : pending_rows_[Index(table)]) {
      if (pending.row) {
        ids.insert(id);
      } else {
        ids.erase(id);
      }
    }
    for (Id id : ids) AppendErase(table, {id, kNoId}, batch);
  }
  return Status::Ok();
}

std::optional<SourceRow> ChangeTranslator::Current(RegistryTable table, Id id,
                                                   const View& state) const {
  if (Index(table) < kRowTables) {
    const auto& pending = pending_rows_[Index(table)];
    if (const auto found = pending.find(id); found != pending.end()) return found->second.row;
  }
  switch (table) {
    case RegistryTable::kApp:
      if (const App* row = state.FindApp(id)) return *row;
      break;
    case RegistryTable::kOrganization:
      if (const Organization* row = state.FindOrganization(id)) return *row;
      break;
    case RegistryTable::kClient:
      if (const Client* row = state.FindClient(id)) return *row;
      break;
    case RegistryTable::kUser:
      if (const User* row = state.FindUser(id)) return *row;
      break;
    case RegistryTable::kClientUser:
      break;
  }
  return std::nullopt;
}

void ChangeTranslator::Remember(const Batch& batch, std::size_t first, const View& state) {
  const std::uint64_t writer = transactions_ + 1;
  const auto set_link = [&](const LinkKey& key, bool present) {
    pending_links_[key] = {present, writer};
  };
  const auto set_row = [&](RegistryTable table, Id id, std::optional<SourceRow> row) {
    pending_rows_[Index(table)][id] = {std::move(row), writer};
  };
  // Erasing a client or a user erases its links too (as the registry does).
  const auto erase_links_of = [&](Id id, bool client) {
    std::vector<LinkKey> keys;
    if (client) {
      for (auto it = state.UsersOfClient(id).begin(); it != state.UsersOfClient(id).end(); ++it) {
        keys.push_back({id, it.link().user_id});
      }
    } else {
      for (auto it = state.ClientsOfUser(id).begin(); it != state.ClientsOfUser(id).end(); ++it) {
        keys.push_back({it.link().client_id, id});
      }
    }
    for (const auto& [key, pending] : pending_links_) {
      if (pending.present && (client ? key.first : key.second) == id) keys.push_back(key);
    }
    for (const LinkKey& key : keys) set_link(key, false);
  };
  for (std::size_t i = first; i < batch.size(); ++i) {
    std::visit(
        [&](const auto& mutation) {
          using M = std::decay_t<decltype(mutation)>;
          if constexpr (std::is_same_v<M, EraseLink>) {
            set_link({mutation.client_id, mutation.user_id}, false);
          } else if constexpr (std::is_same_v<M, InsertRow<ClientUserLink>>) {
            set_link({mutation.row.client_id, mutation.row.user_id}, true);
          } else if constexpr (requires { mutation.row.id; }) {
            using Row = std::decay_t<decltype(mutation.row)>;
            set_row(TableOf<Row>(), mutation.row.id, SourceRow(mutation.row));
          } else {
            using Row = typename ErasedRow<M>::type;
            set_row(TableOf<Row>(), mutation.id, std::nullopt);
            moving_[Index(TableOf<Row>())].erase(mutation.id);
            if constexpr (std::is_same_v<Row, Client> || std::is_same_v<Row, User>) {
              erase_links_of(mutation.id, std::is_same_v<Row, Client>);
            }
          }
        },
        batch.mutations()[i]);
  }
}

}  // namespace hubreg::sync
