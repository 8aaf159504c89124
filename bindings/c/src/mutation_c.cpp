// Batches and the one-mutation conveniences: C rows become hubreg rows here
// (strings copied, enums checked), and hubreg_apply hands the batch to the
// registry.
#include <string>
#include <variant>

#include "c_api_internal.h"
#include "c_rows.h"

using hubreg::Status;
using hubreg::capi::Fail;
using hubreg::capi::FromMicros;
using hubreg::capi::Guarded;

namespace {

std::string Copy(const char* text) { return text == nullptr ? std::string() : std::string(text); }

Status BadEnum(std::string_view table, std::string_view column, long long value) {
  return Status::InvalidArgument(std::string(table) + ": " + std::string(column) + " " +
                                 std::to_string(value) + " is not one of the enum's values");
}

// C value -> hubreg value, checking what C cannot: an enum field may hold
// any int. Strings are copied; NULL is the empty string.
Status FromC(std::string_view, std::string_view, std::uint64_t in, hubreg::Id& out) {
  out = in;
  return Status::Ok();
}
Status FromC(std::string_view, std::string_view, std::uint16_t in, std::uint16_t& out) {
  out = in;
  return Status::Ok();
}
Status FromC(std::string_view, std::string_view, const char* in, std::string& out) {
  out = Copy(in);
  return Status::Ok();
}
Status FromC(std::string_view, std::string_view, const char* in, hubreg::Secret& out) {
  out = Copy(in);
  return Status::Ok();
}
Status FromC(std::string_view, std::string_view, std::int64_t in, hubreg::Timestamp& out) {
  out = FromMicros(in);
  return Status::Ok();
}
Status FromC(std::string_view table, std::string_view column, const hubreg_environment& in,
             hubreg::Environment& out) {
  const long long value = hubreg::capi::RawEnum(in);
  if (value != HUBREG_STAGE && value != HUBREG_PROD) return BadEnum(table, column, value);
  out = static_cast<hubreg::Environment>(value);
  return Status::Ok();
}
Status FromC(std::string_view table, std::string_view column, const hubreg_record_status& in,
             hubreg::RecordStatus& out) {
  const long long value = hubreg::capi::RawEnum(in);
  if (value != HUBREG_ACTIVE && value != HUBREG_DISABLED) return BadEnum(table, column, value);
  out = static_cast<hubreg::RecordStatus>(value);
  return Status::Ok();
}

template <typename Row>
Status Convert(const typename hubreg::capi::CRow<Row>::Type& in, Row* out) {
  Status status;
  hubreg::capi::ForEachCColumn<Row>([&](const auto& column, const auto& member) {
    if (status.ok()) {
      status = FromC(hubreg::kTableOf<Row>, column.name, hubreg::capi::Member(in, member),
                     out->*column.member);
    }
  });
  return status;
}

// Adds `row` as an insert or update; a row that does not convert is recorded
// so that hubreg_apply refuses the batch with the reason.
template <typename Row, typename CRow, bool kInsert>
hubreg_status AddRow(hubreg_batch* batch, const CRow* row) {
  if (batch == nullptr || row == nullptr) return HUBREG_INVALID_ARGUMENT;
  return Guarded(nullptr, [&] {
    Row converted;
    Status status = Convert<Row>(*row, &converted);
    if (!status.ok()) {
      if (batch->first_error.ok()) {
        batch->first_error =
            status.WithContext("mutation " + std::to_string(batch->batch.size() + 1));
      }
      return hubreg::capi::ToCStatus(status.code());
    }
    if constexpr (kInsert) {
      batch->batch.Insert(std::move(converted));
    } else {
      batch->batch.Update(std::move(converted));
    }
    batch->assigned_ids.clear();
    return HUBREG_OK;
  });
}

template <typename Row>
hubreg_status AddErase(hubreg_batch* batch, uint64_t id) {
  if (batch == nullptr) return HUBREG_INVALID_ARGUMENT;
  return Guarded(nullptr, [&] {
    batch->batch.Erase<Row>(id);
    batch->assigned_ids.clear();
    return HUBREG_OK;
  });
}

// The id an applied insert ended up with; 0 for anything else.
struct AssignedId {
  template <typename Row>
  hubreg::Id operator()(const hubreg::InsertRow<Row>& insert) const {
    if constexpr (std::is_same_v<Row, hubreg::ClientUserLink>) {
      return hubreg::kNoId;
    } else {
      return insert.row.id;
    }
  }
  template <typename Other>
  hubreg::Id operator()(const Other&) const {
    return hubreg::kNoId;
  }
};

hubreg_status ApplyBatch(hubreg_registry* reg, hubreg_batch* batch, uint64_t* sequence) {
  return Guarded(reg, [&] {
    if (!batch->first_error.ok()) return Fail(reg, batch->first_error);
    auto committed = reg->handle->Apply(batch->batch);
    if (!committed.ok()) return Fail(reg, committed.status());
    batch->assigned_ids.clear();
    for (const hubreg::Mutation& mutation : committed->applied.mutations()) {
      batch->assigned_ids.push_back(std::visit(AssignedId{}, mutation));
    }
    if (sequence != nullptr) *sequence = committed->sequence;
    return HUBREG_OK;
  });
}

// A batch of one on the stack of the call, for the conveniences.
template <typename Add>
hubreg_status ApplyOne(hubreg_registry* reg, uint64_t* id, Add&& add) {
  if (reg == nullptr) return HUBREG_INVALID_ARGUMENT;
  return Guarded(reg, [&] {
    hubreg_batch batch;
    hubreg_status added = add(&batch);
    if (added != HUBREG_OK) {
      return batch.first_error.ok() ? added : Fail(reg, batch.first_error);
    }
    hubreg_status applied = ApplyBatch(reg, &batch, nullptr);
    if (applied == HUBREG_OK && id != nullptr) *id = batch.assigned_ids.front();
    return applied;
  });
}

}  // namespace

extern "C" {

hubreg_batch* hubreg_batch_new(void) { return new (std::nothrow) hubreg_batch(); }

void hubreg_batch_free(hubreg_batch* batch) { delete batch; }

size_t hubreg_batch_size(const hubreg_batch* batch) { return batch->batch.size(); }

void hubreg_batch_clear(hubreg_batch* batch) {
  batch->batch.mutations().clear();
  batch->first_error = Status::Ok();
  batch->assigned_ids.clear();
}

hubreg_status hubreg_batch_insert_app(hubreg_batch* batch, const hubreg_app* row) {
  return AddRow<hubreg::App, hubreg_app, true>(batch, row);
}
hubreg_status hubreg_batch_update_app(hubreg_batch* batch, const hubreg_app* row) {
  return AddRow<hubreg::App, hubreg_app, false>(batch, row);
}
hubreg_status hubreg_batch_erase_app(hubreg_batch* batch, uint64_t id) {
  return AddErase<hubreg::App>(batch, id);
}
hubreg_status hubreg_batch_insert_organization(hubreg_batch* batch,
                                               const hubreg_organization* row) {
  return AddRow<hubreg::Organization, hubreg_organization, true>(batch, row);
}
hubreg_status hubreg_batch_update_organization(hubreg_batch* batch,
                                               const hubreg_organization* row) {
  return AddRow<hubreg::Organization, hubreg_organization, false>(batch, row);
}
hubreg_status hubreg_batch_erase_organization(hubreg_batch* batch, uint64_t id) {
  return AddErase<hubreg::Organization>(batch, id);
}
hubreg_status hubreg_batch_insert_client(hubreg_batch* batch, const hubreg_client* row) {
  return AddRow<hubreg::Client, hubreg_client, true>(batch, row);
}
hubreg_status hubreg_batch_update_client(hubreg_batch* batch, const hubreg_client* row) {
  return AddRow<hubreg::Client, hubreg_client, false>(batch, row);
}
hubreg_status hubreg_batch_erase_client(hubreg_batch* batch, uint64_t id) {
  return AddErase<hubreg::Client>(batch, id);
}
hubreg_status hubreg_batch_insert_user(hubreg_batch* batch, const hubreg_user* row) {
  return AddRow<hubreg::User, hubreg_user, true>(batch, row);
}
hubreg_status hubreg_batch_update_user(hubreg_batch* batch, const hubreg_user* row) {
  return AddRow<hubreg::User, hubreg_user, false>(batch, row);
}
hubreg_status hubreg_batch_erase_user(hubreg_batch* batch, uint64_t id) {
  return AddErase<hubreg::User>(batch, id);
}

hubreg_status hubreg_batch_insert_link(hubreg_batch* batch, uint64_t client_id, uint64_t user_id) {
  if (batch == nullptr) return HUBREG_INVALID_ARGUMENT;
  return Guarded(nullptr, [&] {
    batch->batch.Link(client_id, user_id);
    batch->assigned_ids.clear();
    return HUBREG_OK;
  });
}

hubreg_status hubreg_batch_erase_link(hubreg_batch* batch, uint64_t client_id, uint64_t user_id) {
  if (batch == nullptr) return HUBREG_INVALID_ARGUMENT;
  return Guarded(nullptr, [&] {
    batch->batch.Unlink(client_id, user_id);
    batch->assigned_ids.clear();
    return HUBREG_OK;
  });
}

hubreg_status hubreg_apply(hubreg_registry* reg, hubreg_batch* batch, uint64_t* sequence) {
  if (reg == nullptr || batch == nullptr) return HUBREG_INVALID_ARGUMENT;
  return ApplyBatch(reg, batch, sequence);
}

hubreg_status hubreg_batch_assigned_id(const hubreg_batch* batch, size_t index, uint64_t* id) {
  if (batch == nullptr || id == nullptr) return HUBREG_INVALID_ARGUMENT;
  if (index >= batch->assigned_ids.size() || batch->assigned_ids[index] == hubreg::kNoId) {
    return HUBREG_NOT_FOUND;
  }
  *id = batch->assigned_ids[index];
  return HUBREG_OK;
}

hubreg_status hubreg_insert_app(hubreg_registry* reg, const hubreg_app* row, uint64_t* id) {
  return ApplyOne(reg, id, [&](hubreg_batch* b) { return hubreg_batch_insert_app(b, row); });
}
hubreg_status hubreg_insert_organization(hubreg_registry* reg, const hubreg_organization* row,
                                         uint64_t* id) {
  return ApplyOne(reg, id,
                  [&](hubreg_batch* b) { return hubreg_batch_insert_organization(b, row); });
}
hubreg_status hubreg_insert_client(hubreg_registry* reg, const hubreg_client* row, uint64_t* id) {
  return ApplyOne(reg, id, [&](hubreg_batch* b) { return hubreg_batch_insert_client(b, row); });
}
hubreg_status hubreg_insert_user(hubreg_registry* reg, const hubreg_user* row, uint64_t* id) {
  return ApplyOne(reg, id, [&](hubreg_batch* b) { return hubreg_batch_insert_user(b, row); });
}
hubreg_status hubreg_update_app(hubreg_registry* reg, const hubreg_app* row) {
  return ApplyOne(reg, nullptr, [&](hubreg_batch* b) { return hubreg_batch_update_app(b, row); });
}
hubreg_status hubreg_update_organization(hubreg_registry* reg, const hubreg_organization* row) {
  return ApplyOne(reg, nullptr,
                  [&](hubreg_batch* b) { return hubreg_batch_update_organization(b, row); });
}
hubreg_status hubreg_update_client(hubreg_registry* reg, const hubreg_client* row) {
  return ApplyOne(reg, nullptr,
                  [&](hubreg_batch* b) { return hubreg_batch_update_client(b, row); });
}
hubreg_status hubreg_update_user(hubreg_registry* reg, const hubreg_user* row) {
  return ApplyOne(reg, nullptr, [&](hubreg_batch* b) { return hubreg_batch_update_user(b, row); });
}
hubreg_status hubreg_erase_app(hubreg_registry* reg, uint64_t id) {
  return ApplyOne(reg, nullptr, [&](hubreg_batch* b) { return hubreg_batch_erase_app(b, id); });
}
hubreg_status hubreg_erase_organization(hubreg_registry* reg, uint64_t id) {
  return ApplyOne(reg, nullptr,
                  [&](hubreg_batch* b) { return hubreg_batch_erase_organization(b, id); });
}
hubreg_status hubreg_erase_client(hubreg_registry* reg, uint64_t id) {
  return ApplyOne(reg, nullptr, [&](hubreg_batch* b) { return hubreg_batch_erase_client(b, id); });
}
hubreg_status hubreg_erase_user(hubreg_registry* reg, uint64_t id) {
  return ApplyOne(reg, nullptr, [&](hubreg_batch* b) { return hubreg_batch_erase_user(b, id); });
}
hubreg_status hubreg_insert_link(hubreg_registry* reg, uint64_t client_id, uint64_t user_id) {
  return ApplyOne(reg, nullptr,
                  [&](hubreg_batch* b) { return hubreg_batch_insert_link(b, client_id, user_id); });
}
hubreg_status hubreg_erase_link(hubreg_registry* reg, uint64_t client_id, uint64_t user_id) {
  return ApplyOne(reg, nullptr,
                  [&](hubreg_batch* b) { return hubreg_batch_erase_link(b, client_id, user_id); });
}

}  // extern "C"
