// Batches and the one-mutation conveniences: C rows become hubreg rows here
// (strings copied, enums checked), and hubreg_apply hands the batch to the
// registry.
#include <string>
#include <variant>

#include "c_api_internal.h"

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

Status Convert(const hubreg_app& in, hubreg::App* out) {
  const long long environment = hubreg::capi::RawEnum(in.environment);
  if (environment != HUBREG_STAGE && environment != HUBREG_PROD) {
    return BadEnum(hubreg::kAppTable, "environment", environment);
  }
  out->id = in.id;
  out->name = Copy(in.name);
  out->app_key = Copy(in.app_key);
  out->environment = static_cast<hubreg::Environment>(in.environment);
  out->created_at = FromMicros(in.created_at);
  out->updated_at = FromMicros(in.updated_at);
  return Status::Ok();
}

Status Convert(const hubreg_organization& in, hubreg::Organization* out) {
  out->id = in.id;
  out->threecolts_app_id = in.threecolts_app_id;
  out->organization_owner_id = in.organization_owner_id;
  out->external_id = Copy(in.external_id);
  out->name = Copy(in.name);
  out->created_at = FromMicros(in.created_at);
  out->updated_at = FromMicros(in.updated_at);
  return Status::Ok();
}

Status Convert(const hubreg_client& in, hubreg::Client* out) {
  const long long status = hubreg::capi::RawEnum(in.status);
  if (status != HUBREG_ACTIVE && status != HUBREG_DISABLED) {
    return BadEnum(hubreg::kClientTable, "status", status);
  }
  out->id = in.id;
  out->threecolts_organization_id = in.threecolts_organization_id;
  out->external_id = Copy(in.external_id);
  out->name = Copy(in.name);
  out->db_host = Copy(in.db.db_host);
  out->db_port = in.db.db_port;
  out->db_name = Copy(in.db.db_name);
  out->db_user = Copy(in.db.db_user);
  out->db_password = Copy(in.db.db_password);
  out->status = static_cast<hubreg::RecordStatus>(in.status);
  out->created_at = FromMicros(in.created_at);
  out->updated_at = FromMicros(in.updated_at);
  return Status::Ok();
}

Status Convert(const hubreg_user& in, hubreg::User* out) {
  const long long status = hubreg::capi::RawEnum(in.status);
  if (status != HUBREG_ACTIVE && status != HUBREG_DISABLED) {
    return BadEnum(hubreg::kUserTable, "status", status);
  }
  out->id = in.id;
  out->external_id = Copy(in.external_id);
  out->email = Copy(in.email);
  out->name = Copy(in.name);
  out->status = static_cast<hubreg::RecordStatus>(in.status);
  out->created_at = FromMicros(in.created_at);
  out->updated_at = FromMicros(in.updated_at);
  return Status::Ok();
}

// Adds `row` as an insert or update; a row that does not convert is recorded
// so that hubreg_apply refuses the batch with the reason.
template <typename Row, typename CRow, bool kInsert>
hubreg_status AddRow(hubreg_batch* batch, const CRow* row) {
  if (batch == nullptr || row == nullptr) return HUBREG_INVALID_ARGUMENT;
  return Guarded(nullptr, [&] {
    Row converted;
    Status status = Convert(*row, &converted);
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
