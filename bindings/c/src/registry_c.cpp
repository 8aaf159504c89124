// Opening and closing registries, status names and error messages.
#include <cstring>

#include "c_api_internal.h"

using hubreg::ErrorCode;
using hubreg::Status;
using hubreg::bindings::Handle;

namespace hubreg::capi {
namespace {

// Failures that have no handle to carry their message (open, restore).
std::string& ThreadError() {
  thread_local std::string message;
  return message;
}

}  // namespace

hubreg_status ToCStatus(ErrorCode code) {
  switch (code) {
    case ErrorCode::kOk:
      return HUBREG_OK;
    case ErrorCode::kNotFound:
      return HUBREG_NOT_FOUND;
    case ErrorCode::kDuplicate:
      return HUBREG_DUPLICATE;
    case ErrorCode::kForeignKey:
      return HUBREG_FOREIGN_KEY;
    case ErrorCode::kInUse:
      return HUBREG_IN_USE;
    case ErrorCode::kInvalidArgument:
      return HUBREG_INVALID_ARGUMENT;
    case ErrorCode::kCorruption:
      return HUBREG_CORRUPTION;
    case ErrorCode::kIo:
      return HUBREG_IO;
    case ErrorCode::kVersion:
      return HUBREG_VERSION;
    case ErrorCode::kReadOnly:
      return HUBREG_READ_ONLY;
    case ErrorCode::kResyncRequired:
      return HUBREG_RESYNC_REQUIRED;
  }
  return HUBREG_INTERNAL;
}

hubreg_status Fail(const hubreg_registry* reg, hubreg_status code, std::string message) {
  try {
    if (reg == nullptr) {
      ThreadError() = std::move(message);
    } else {
      std::lock_guard<std::mutex> lock(reg->error_mutex);
      reg->last_error = std::move(message);
    }
  } catch (...) {
    // Out of memory while keeping the message: the code still tells.
  }
  return code;
}

hubreg_status Fail(const hubreg_registry* reg, const Status& status) {
  return Fail(reg, ToCStatus(status.code()), status.message());
}

}  // namespace hubreg::capi

using namespace hubreg::capi;

static_assert(HUBREG_RESYNC_REQUIRED == static_cast<int>(ErrorCode::kResyncRequired),
              "hubreg_status mirrors hubreg::ErrorCode");

extern "C" {

const char* hubreg_status_name(hubreg_status status) {
  switch (status) {
    case HUBREG_NO_MEMORY:
      return "out of memory";
    case HUBREG_INTERNAL:
      return "internal error";
    default:
      break;
  }
  if (status >= HUBREG_OK && status <= HUBREG_RESYNC_REQUIRED) {
    // ErrorCodeName returns views of string literals, so data() is terminated.
    return hubreg::ErrorCodeName(static_cast<ErrorCode>(status)).data();
  }
  return "unknown status";
}

int hubreg_have_persistence(void) { return hubreg::bindings::HavePersistence() ? 1 : 0; }

hubreg_status hubreg_open_memory(hubreg_registry** out) {
  if (out == nullptr) return Fail(nullptr, HUBREG_INVALID_ARGUMENT, "out must not be NULL");
  *out = nullptr;
  return Guarded(nullptr, [&] {
    auto reg = std::make_unique<hubreg_registry>();
    reg->handle = Handle::InMemory();
    *out = reg.release();
    return HUBREG_OK;
  });
}

hubreg_status hubreg_open(const char* path, unsigned flags, hubreg_registry** out) {
  if (out == nullptr) return Fail(nullptr, HUBREG_INVALID_ARGUMENT, "out must not be NULL");
  *out = nullptr;
  if (path == nullptr || *path == '\0') {
    return Fail(nullptr, HUBREG_INVALID_ARGUMENT, "the data directory path must not be empty");
  }
  return Guarded(nullptr, [&] {
    hubreg::bindings::OpenOptions options;
    options.path = path;
    options.read_only = (flags & HUBREG_OPEN_READ_ONLY) != 0;
    options.create_if_missing = (flags & HUBREG_OPEN_NO_CREATE) == 0;
    if (flags & HUBREG_OPEN_NO_SYNC) {
      options.sync = hubreg::bindings::Sync::kNoSync;
    } else if (flags & HUBREG_OPEN_NO_META_SYNC) {
      options.sync = hubreg::bindings::Sync::kNoMetaSync;
    }
    auto opened = Handle::Open(options);
    if (!opened.ok()) return Fail(nullptr, opened.status());
    auto reg = std::make_unique<hubreg_registry>();
    reg->handle = std::move(opened).value();
    *out = reg.release();
    return HUBREG_OK;
  });
}

void hubreg_close(hubreg_registry* reg) { delete reg; }

const char* hubreg_errmsg(const hubreg_registry* reg) {
  if (reg == nullptr) return ThreadError().c_str();
  thread_local std::string copy;
  try {
    std::lock_guard<std::mutex> lock(reg->error_mutex);
    copy = reg->last_error;
  } catch (...) {
    return "out of memory";
  }
  return copy.c_str();
}

uint64_t hubreg_last_sequence(const hubreg_registry* reg) {
  return reg == nullptr ? 0 : reg->handle->LastSequence();
}

hubreg_status hubreg_snapshot_save(hubreg_registry* reg, const char* file) {
  if (reg == nullptr) return HUBREG_INVALID_ARGUMENT;
  if (file == nullptr || *file == '\0') {
    return Fail(reg, HUBREG_INVALID_ARGUMENT, "the snapshot file name must not be empty");
  }
  return Guarded(reg, [&] {
    if (reg->handle->ThisThreadHoldsView()) {
      // Saving waits for writers, and a writer may be waiting for our view.
      return Fail(reg, HUBREG_INVALID_ARGUMENT,
                  "this thread holds a view of the registry; end it before saving a snapshot");
    }
    Status saved = reg->handle->SaveSnapshot(file);
    return saved.ok() ? HUBREG_OK : Fail(reg, saved);
  });
}

hubreg_status hubreg_snapshot_restore(const char* file, const char* path, int overwrite) {
  if (file == nullptr || path == nullptr || *file == '\0' || *path == '\0') {
    return Fail(nullptr, HUBREG_INVALID_ARGUMENT, "file and path must not be empty");
  }
  return Guarded(nullptr, [&] {
    Status restored = hubreg::bindings::RestoreSnapshot(file, path, overwrite != 0);
    return restored.ok() ? HUBREG_OK : Fail(nullptr, restored);
  });
}

hubreg_status hubreg_refresh(hubreg_registry* reg) {
  if (reg == nullptr) return HUBREG_INVALID_ARGUMENT;
  return Guarded(reg, [&] {
    if (reg->handle->ThisThreadHoldsView()) {
      return Fail(reg, HUBREG_INVALID_ARGUMENT,
                  "this thread holds a view of the registry; end it before refreshing");
    }
    Status refreshed = reg->handle->Refresh();
    return refreshed.ok() ? HUBREG_OK : Fail(reg, refreshed);
  });
}

}  // extern "C"
