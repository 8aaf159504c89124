#include "change_translator.h"

#include <algorithm>

namespace hubreg::sync {
namespace {

// The row an update or delete names by its old key (or by the new row's key
// when the key did not change).
template <typename Row>
const Row* Existing(const View& view, Id id);
template <>
const App* Existing(const View& view, Id id) {
  return view.FindApp(id);
}
template <>
const Organization* Existing(const View& view, Id id) {
  return view.FindOrganization(id);
}
template <>
const Client* Existing(const View& view, Id id) {
  return view.FindClient(id);
}
template <>
const User* Existing(const View& view, Id id) {
  return view.FindUser(id);
}

// Only the first `key_columns` values (the key); the others are left alone.
SourceValues KeyOnly(const SourceValues& values, std::size_t key_columns) {
  SourceValues key(values.size(), SourceValue{SourceValue::Kind::kUnchanged, {}});
  for (std::size_t i = 0; i < key_columns && i < values.size(); ++i) key[i] = values[i];
  return key;
}

bool HasUnchanged(const SourceValues& values) {
  for (const SourceValue& value : values) {
    if (value.kind == SourceValue::Kind::kUnchanged) return true;
  }
  return false;
}

template <typename Row>
Status TranslateRow(const PgMessage& message, const SourceValues& values,
                    const SourceValues& old_values, SourceTable table, const View& view,
                    Batch* batch) {
  if (std::holds_alternative<PgInsert>(message)) {
    Row row;
    HUBREG_RETURN_IF_ERROR(ReadRow(values, &row));
    batch->Insert(std::move(row));
    return Status::Ok();
  }
  if (std::holds_alternative<PgDelete>(message)) {
    Row old;
    HUBREG_RETURN_IF_ERROR(ReadRow(KeyOnly(old_values, 1), &old));
    batch->Erase<Row>(old.id);
    return Status::Ok();
  }
  // Update: the old key, when sent, names the row; otherwise the new one does.
  Id old_id = kNoId;
  if (!old_values.empty()) {
    Row old;
    HUBREG_RETURN_IF_ERROR(ReadRow(KeyOnly(old_values, 1), &old));
    old_id = old.id;
  }
  Row row;
  if (HasUnchanged(values)) {
    Row probe;
    HUBREG_RETURN_IF_ERROR(ReadRow(KeyOnly(values, 1), &probe));
    const Row* existing = Existing<Row>(view, old_id != kNoId ? old_id : probe.id);
    if (existing == nullptr) {
      return Status::NotFound(RowKeyText(table, values) +
                              ": updated without resending a large value, and the registry "
                              "does not hold the row to take it from");
    }
    row = *existing;
  }
  HUBREG_RETURN_IF_ERROR(ReadRow(values, &row));
  if (old_id != kNoId && old_id != row.id) {
    batch->Erase<Row>(old_id);
    batch->Insert(std::move(row));
  } else {
    batch->Update(std::move(row));
  }
  return Status::Ok();
}

Status TranslateLink(const PgMessage& message, const SourceValues& values,
                     const SourceValues& old_values, Batch* batch) {
  if (!std::holds_alternative<PgInsert>(message)) {
    ClientUserLink old;
    HUBREG_RETURN_IF_ERROR(ReadRow(KeyOnly(old_values.empty() ? values : old_values, 2), &old));
    batch->Unlink(old.client_id, old.user_id);
    if (std::holds_alternative<PgDelete>(message)) return Status::Ok();
  }
  ClientUserLink link;
  HUBREG_RETURN_IF_ERROR(ReadRow(values, &link));
  batch->Insert(link);
  return Status::Ok();
}

// Erases every row of `table` the registry holds, children first within it.
void EraseAll(SourceTable table, const View& view, Batch* batch) {
  switch (table) {
    case SourceTable::kClientUser:
      for (const ClientUserLink& link : view.links()) batch->Unlink(link.client_id, link.user_id);
      break;
    case SourceTable::kClient:
      for (const Client& row : view.clients()) batch->Erase<Client>(row.id);
      break;
    case SourceTable::kOrganization:
      for (const Organization& row : view.organizations()) batch->Erase<Organization>(row.id);
      break;
    case SourceTable::kUser:
      for (const User& row : view.users()) batch->Erase<User>(row.id);
      break;
    case SourceTable::kApp:
      for (const App& row : view.apps()) batch->Erase<App>(row.id);
      break;
  }
}

}  // namespace

Status ChangeTranslator::AddRelation(const PgRelation& relation) {
  const std::string schema = relation.schema.empty() ? "pg_catalog" : relation.schema;
  std::optional<Mapping> mapping;
  for (SourceTable table : kCopyOrder) {
    if (schema == tables_.schema && relation.table == SourceTableName(tables_, table)) {
      mapping.emplace(Mapping{table, {}});
    }
  }
  if (mapping) {
    std::string missing;
    for (const SourceColumn& column : ColumnsOf(mapping->table)) {
      int position = -1;
      for (std::size_t i = 0; i < relation.columns.size(); ++i) {
        if (relation.columns[i].name == column.name) position = static_cast<int>(i);
      }
      if (position < 0) missing += (missing.empty() ? "" : ", ") + std::string(column.name);
      mapping->positions.push_back(position);
    }
    if (!missing.empty()) {
      return Status::InvalidArgument("the source schema does not fit: " + schema + "." +
                                     relation.table + " has no column " + missing);
    }
  }
  relations_[relation.oid] = std::move(mapping);
  return Status::Ok();
}

const ChangeTranslator::Mapping* ChangeTranslator::Find(PgOid oid) const {
  auto it = relations_.find(oid);
  if (it == relations_.end()) return nullptr;
  return it->second ? &*it->second : nullptr;
}

SourceValues ChangeTranslator::Values(const Mapping& mapping, const PgTuple& tuple) const {
  SourceValues values(mapping.positions.size());
  for (std::size_t i = 0; i < values.size(); ++i) {
    const int position = mapping.positions[i];
    if (position < 0 || static_cast<std::size_t>(position) >= tuple.size()) continue;
    const PgValue& value = tuple[static_cast<std::size_t>(position)];
    switch (value.kind) {
      case PgValue::Kind::kNull:
        values[i].kind = SourceValue::Kind::kNull;
        break;
      case PgValue::Kind::kUnchangedToast:
        values[i].kind = SourceValue::Kind::kUnchanged;
        break;
      case PgValue::Kind::kText:
        values[i] = {SourceValue::Kind::kText, value.text};
        break;
    }
  }
  return values;
}

Status ChangeTranslator::Translate(const PgMessage& message, const View& view, Batch* batch) {
  if (const auto* truncate = std::get_if<PgTruncate>(&message)) {
    std::vector<SourceTable> truncated;
    for (PgOid oid : truncate->relations) {
      if (!relations_.contains(oid)) {
        return Status::Corruption("TRUNCATE of relation " + std::to_string(oid) +
                                  " before its relation message");
      }
      if (const Mapping* mapping = Find(oid)) truncated.push_back(mapping->table);
    }
    // Children before parents, whatever order the message lists them in.
    for (auto table = kCopyOrder.rbegin(); table != kCopyOrder.rend(); ++table) {
      if (std::find(truncated.begin(), truncated.end(), *table) != truncated.end()) {
        EraseAll(*table, view, batch);
      }
    }
    return Status::Ok();
  }
  PgOid oid = 0;
  const PgTuple* row = nullptr;
  const PgTuple* old_row = nullptr;
  if (const auto* insert = std::get_if<PgInsert>(&message)) {
    oid = insert->relation;
    row = &insert->row;
  } else if (const auto* update = std::get_if<PgUpdate>(&message)) {
    oid = update->relation;
    row = &update->row;
    if (update->old_kind != PgOldRow::kNone) old_row = &update->old_row;
  } else if (const auto* erase = std::get_if<PgDelete>(&message)) {
    oid = erase->relation;
    old_row = &erase->old_row;
  } else {
    return Status::Ok();
  }
  if (!relations_.contains(oid)) {
    return Status::Corruption("a change of relation " + std::to_string(oid) +
                              " before its relation message");
  }
  const Mapping* mapping = Find(oid);
  if (mapping == nullptr) return Status::Ok();
  const SourceValues values = row != nullptr ? Values(*mapping, *row) : SourceValues();
  const SourceValues old_values = old_row != nullptr ? Values(*mapping, *old_row) : SourceValues();
  switch (mapping->table) {
    case SourceTable::kApp:
      return TranslateRow<App>(message, values, old_values, mapping->table, view, batch);
    case SourceTable::kOrganization:
      return TranslateRow<Organization>(message, values, old_values, mapping->table, view, batch);
    case SourceTable::kClient:
      return TranslateRow<Client>(message, values, old_values, mapping->table, view, batch);
    case SourceTable::kUser:
      return TranslateRow<User>(message, values, old_values, mapping->table, view, batch);
    case SourceTable::kClientUser:
      break;
  }
  return TranslateLink(message, values, old_values, batch);
}

}  // namespace hubreg::sync
