// The change feed for C: hubreg_changes_next and the accessors of a batch.
#include <chrono>
#include <cstring>
#include <variant>

#include "c_api_internal.h"
#include "c_rows.h"
#include "hubreg/change.h"

struct hubreg_change_batch {
  hubreg::ChangeBatch batch;
};

namespace hubreg::capi {
namespace {

template <typename Row>
constexpr hubreg_table TableOf() {
  if constexpr (std::is_same_v<Row, App>) return HUBREG_TABLE_APP;
  if constexpr (std::is_same_v<Row, Organization>) return HUBREG_TABLE_ORGANIZATION;
  if constexpr (std::is_same_v<Row, Client>) return HUBREG_TABLE_CLIENT;
  if constexpr (std::is_same_v<Row, User>) return HUBREG_TABLE_USER;
  return HUBREG_TABLE_CLIENT_USER;
}

template <typename Row>
hubreg_status ChangeRows(const hubreg_change_batch* batch, std::size_t index,
                         typename CRow<Row>::Type* before, typename CRow<Row>::Type* after) {
  if (batch == nullptr || index >= batch->batch.changes.size()) return HUBREG_INVALID_ARGUMENT;
  const auto* change = std::get_if<RowChange<Row>>(&batch->batch.changes[index]);
  if (change == nullptr) return HUBREG_INVALID_ARGUMENT;
  const auto fill = [](const std::optional<Row>& row, typename CRow<Row>::Type* out) {
    if (out == nullptr) return;
    std::memset(out, 0, sizeof *out);
    if (row) Fill(*row, out);
  };
  fill(change->before, before);
  fill(change->after, after);
  return HUBREG_OK;
}

}  // namespace
}  // namespace hubreg::capi

using namespace hubreg::capi;

hubreg_status hubreg_changes_next(hubreg_registry* reg, uint64_t after_sequence, int64_t timeout_ms,
                                  hubreg_change_batch** out, uint64_t* restart_sequence) {
  if (out == nullptr) return HUBREG_INVALID_ARGUMENT;
  *out = nullptr;
  if (reg == nullptr) return HUBREG_INVALID_ARGUMENT;
  if (timeout_ms < 0) return Fail(reg, HUBREG_INVALID_ARGUMENT, "timeout_ms must be >= 0");
  return Guarded(reg, [&] {
    hubreg::StatusOr<std::optional<hubreg::ChangeBatch>> next =
        reg->handle->Changes(after_sequence, std::chrono::milliseconds(timeout_ms));
    if (!next.ok()) {
      if (next.status().code() == hubreg::ErrorCode::kResyncRequired &&
          restart_sequence != nullptr) {
        *restart_sequence = reg->handle->RestartSequence();
      }
      return Fail(reg, next.status());
    }
    if (!next->has_value()) return HUBREG_NOT_FOUND;
    *out = new hubreg_change_batch{std::move(**next)};
    return HUBREG_OK;
  });
}

void hubreg_change_batch_free(hubreg_change_batch* batch) { delete batch; }

uint64_t hubreg_change_batch_sequence(const hubreg_change_batch* batch) {
  return batch == nullptr ? 0 : batch->batch.sequence;
}

int64_t hubreg_change_batch_committed_at(const hubreg_change_batch* batch) {
  return batch == nullptr ? 0 : Micros(batch->batch.committed_at);
}

size_t hubreg_change_batch_size(const hubreg_change_batch* batch) {
  return batch == nullptr ? 0 : batch->batch.changes.size();
}

hubreg_status hubreg_change_info(const hubreg_change_batch* batch, size_t index,
                                 hubreg_table* table, hubreg_change_op* op) {
  if (batch == nullptr || index >= batch->batch.changes.size()) return HUBREG_INVALID_ARGUMENT;
  std::visit(
      [&]<typename Row>(const hubreg::RowChange<Row>& change) {
        if (table != nullptr) *table = TableOf<Row>();
        if (op != nullptr) {
          *op = !change.before ? HUBREG_INSERT : !change.after ? HUBREG_DELETE : HUBREG_UPDATE;
        }
      },
      batch->batch.changes[index]);
  return HUBREG_OK;
}

hubreg_status hubreg_change_app(const hubreg_change_batch* batch, size_t index, hubreg_app* before,
                                hubreg_app* after) {
  return ChangeRows<hubreg::App>(batch, index, before, after);
}
hubreg_status hubreg_change_organization(const hubreg_change_batch* batch, size_t index,
                                         hubreg_organization* before, hubreg_organization* after) {
  return ChangeRows<hubreg::Organization>(batch, index, before, after);
}
hubreg_status hubreg_change_client(const hubreg_change_batch* batch, size_t index,
                                   hubreg_client* before, hubreg_client* after) {
  return ChangeRows<hubreg::Client>(batch, index, before, after);
}
hubreg_status hubreg_change_user(const hubreg_change_batch* batch, size_t index,
                                 hubreg_user* before, hubreg_user* after) {
  return ChangeRows<hubreg::User>(batch, index, before, after);
}
hubreg_status hubreg_change_link(const hubreg_change_batch* batch, size_t index,
                                 hubreg_link* before, hubreg_link* after) {
  return ChangeRows<hubreg::ClientUserLink>(batch, index, before, after);
}

size_t hubreg_change_batch_access_count(const hubreg_change_batch* batch) {
  return batch == nullptr ? 0 : batch->batch.access.size();
}

hubreg_status hubreg_change_batch_access(const hubreg_change_batch* batch, size_t index,
                                         hubreg_access_change* out) {
  if (batch == nullptr || out == nullptr || index >= batch->batch.access.size()) {
    return HUBREG_INVALID_ARGUMENT;
  }
  const hubreg::AccessChange& pair = batch->batch.access[index];
  out->user_id = pair.user_id;
  out->client_id = pair.client_id;
  out->before = static_cast<hubreg_verdict>(pair.before);
  out->after = static_cast<hubreg_verdict>(pair.after);
  out->organization_before = pair.organization_before;
  out->organization_after = pair.organization_after;
  return HUBREG_OK;
}

size_t hubreg_change_batch_connection_changed_count(const hubreg_change_batch* batch) {
  return batch == nullptr ? 0 : batch->batch.connection_changed.size();
}

uint64_t hubreg_change_batch_connection_changed(const hubreg_change_batch* batch, size_t index) {
  if (batch == nullptr || index >= batch->batch.connection_changed.size()) return 0;
  return batch->batch.connection_changed[index];
}
