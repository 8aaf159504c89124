// Internal to the C API: what the opaque handles of hubreg.h hold, and the
// one place where C++ errors and exceptions become hubreg_status codes.
#pragma once

#include <cstring>
#include <mutex>
#include <new>
#include <optional>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include "handle.h"
#include "hubreg/batch.h"
#include "hubreg/hubreg.h"
#include "hubreg/status.h"
#include "hubreg/view.h"

struct hubreg_registry {
  std::unique_ptr<hubreg::bindings::Handle> handle;
  mutable std::mutex error_mutex;
  mutable std::string last_error;  // guarded by error_mutex; set by const calls too
};

struct hubreg_view {
  hubreg::View view;
  const hubreg_registry* reg;
  // The thread whose held-view bookkeeping counts this view (see
  // Handle::ViewBegun); another thread ending it leaves that alone.
  std::thread::id owner;
};

struct hubreg_batch {
  hubreg::Batch batch;
  // The first row that could not be converted (an enum out of range);
  // hubreg_apply reports it rather than applying a half-built batch.
  hubreg::Status first_error;
  // Ids per mutation of the last successful apply (0: not an insert).
  std::vector<hubreg::Id> assigned_ids;
};

namespace hubreg::capi {

hubreg_status ToCStatus(ErrorCode code);

// Records `status` as the handle's last error (or the thread's, for NULL)
// and returns its code.
hubreg_status Fail(const hubreg_registry* reg, const Status& status);
hubreg_status Fail(const hubreg_registry* reg, hubreg_status code, std::string message);

// Runs `body` and turns anything it throws into a status and a message, so
// no exception crosses into C.
template <typename Body>
hubreg_status Guarded(const hubreg_registry* reg, Body&& body) noexcept {
  try {
    return body();
  } catch (const std::bad_alloc&) {
    return Fail(reg, HUBREG_NO_MEMORY, "out of memory");
  } catch (const std::exception& e) {
    return Fail(reg, HUBREG_INTERNAL, std::string("internal error: ") + e.what());
  } catch (...) {
    return Fail(reg, HUBREG_INTERNAL, "internal error: unknown exception");
  }
}

// The value a C caller stored in an enum field. C allows any int there, but
// in C++ loading an out-of-range value through the enum type is undefined,
// so read the bytes.
template <typename Enum>
long long RawEnum(const Enum& field) {
  std::underlying_type_t<Enum> value;
  std::memcpy(&value, &field, sizeof value);
  return static_cast<long long>(value);
}

inline std::int64_t Micros(Timestamp t) { return t.time_since_epoch().count(); }
inline Timestamp FromMicros(std::int64_t micros) {
  return Timestamp(std::chrono::microseconds(micros));
}

}  // namespace hubreg::capi
