#include "change_json.h"

#include <nlohmann/json.hpp>
#include <string_view>
#include <variant>

#include "cells_json.h"
#include "hubreg/columns.h"
#include "row_cells.h"
#include "timestamp_text.h"

namespace hubreg::cli {
namespace {

using Json = nlohmann::ordered_json;

template <typename Row>
Json RowJson(const std::optional<Row>& row, bool include_secrets) {
  if (!row) return nullptr;
  const Cells cells = RowCells(*row, include_secrets);
  Json object = Json::object();
  AddCells(object, kColumnInfos<Row>, cells);
  return object;
}

template <typename Row>
std::string_view Op(const RowChange<Row>& change) {
  if (!change.before) return "insert";
  if (!change.after) return "delete";
  return "update";
}

// The row's key as text: "7" for a row with an id, "7/3" (client/user) for a link.
template <typename Row>
std::string Key(const Row& row) {
  if constexpr (std::is_same_v<Row, ClientUserLink>) {
    return std::to_string(row.client_id) + "/" + std::to_string(row.user_id);
  } else {
    return std::to_string(row.id);
  }
}

std::string Dump(const Json& json) {
  return json.dump(-1, ' ', false, Json::error_handler_t::replace) + "\n";
}

}  // namespace

std::string RenderBatchJson(const ChangeBatch& batch, const ChangeOutputOptions& options) {
  Json line;
  line["event"] = "batch";
  line["sequence"] = batch.sequence;
  line["committed_at"] = FormatTimestampText(batch.committed_at);
  Json changes = Json::array();
  for (const Change& change : batch.changes) {
    std::visit(
        [&]<typename Row>(const RowChange<Row>& row_change) {
          Json item;
          item["table"] = kTableOf<Row>;
          item["op"] = Op(row_change);
          item["before"] = RowJson(row_change.before, options.include_secrets);
          item["after"] = RowJson(row_change.after, options.include_secrets);
          changes.push_back(std::move(item));
        },
        change);
  }
  line["changes"] = std::move(changes);
  if (options.include_access) {
    Json access = Json::array();
    for (const AccessChange& pair : batch.access) {
      Json item;
      item["user_id"] = pair.user_id;
      item["client_id"] = pair.client_id;
      item["before"] = ToString(pair.before);
      item["after"] = ToString(pair.after);
      item["organization_before"] =
          pair.organization_before == kNoId ? Json(nullptr) : Json(pair.organization_before);
      item["organization_after"] =
          pair.organization_after == kNoId ? Json(nullptr) : Json(pair.organization_after);
      access.push_back(std::move(item));
    }
    line["access"] = std::move(access);
    line["connection_changed"] = batch.connection_changed;
  }
  return Dump(line);
}

std::string RenderBatchText(const ChangeBatch& batch, const ChangeOutputOptions& options) {
  std::string text = "batch " + std::to_string(batch.sequence) + " at " +
                     FormatTimestampText(batch.committed_at) + ": " +
                     std::to_string(batch.changes.size()) +
                     (batch.changes.size() == 1 ? " change" : " changes");
  const char* separator = ": ";
  for (const Change& change : batch.changes) {
    std::visit(
        [&]<typename Row>(const RowChange<Row>& row_change) {
          const Row& row = row_change.after ? *row_change.after : *row_change.before;
          text += separator;
          text += kTableOf<Row>;
          text += " " + Key(row) + " ";
          text += Op(row_change);
          separator = ", ";
        },
        change);
  }
  if (options.include_access) {
    text += "; access: ";
    if (batch.access.empty()) text += "unchanged";
    separator = "";
    for (const AccessChange& pair : batch.access) {
      text += separator;
      text += "user " + std::to_string(pair.user_id) + " client " + std::to_string(pair.client_id) +
              " " + std::string(ToString(pair.before)) + " -> " + std::string(ToString(pair.after));
      separator = ", ";
    }
    text += "; connection changed: ";
    if (batch.connection_changed.empty()) text += "none";
    separator = "clients ";
    for (Id id : batch.connection_changed) {
      text += separator + std::to_string(id);
      separator = ", ";
    }
  }
  return text + "\n";
}

std::string RenderResyncJson(std::uint64_t restart_sequence, const std::string& message) {
  Json line;
  line["event"] = "resync";
  line["restart_sequence"] = restart_sequence;
  line["message"] = message;
  return Dump(line);
}

}  // namespace hubreg::cli
