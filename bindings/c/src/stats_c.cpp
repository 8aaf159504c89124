// Statistics (as a struct and as Prometheus text), compaction and the version.
#include <algorithm>
#include <cstddef>
#include <cstring>

#include "c_api_internal.h"
#include "hubreg/metrics.h"
#include "hubreg/version.h"

using namespace hubreg::capi;

namespace {

// The first hubreg_stats ended with retired_registries: callers built against
// it pass this size.
constexpr std::size_t kFirstStatsSize = offsetof(hubreg_stats, replacements);

}  // namespace

extern "C" {

hubreg_status hubreg_store_stats(const hubreg_registry* reg, hubreg_stats* out, size_t size) {
  if (reg == nullptr || out == nullptr) return HUBREG_INVALID_ARGUMENT;
  if (size < kFirstStatsSize) {
    return Fail(reg, HUBREG_INVALID_ARGUMENT,
                "hubreg_store_stats: size " + std::to_string(size) +
                    " is smaller than hubreg_stats (pass sizeof(hubreg_stats))");
  }
  return Guarded(reg, [&] {
    hubreg::StatusOr<hubreg::StoreStats> stats = reg->handle->Stats();
    if (!stats.ok()) return Fail(reg, stats.status());
    thread_local std::string last_compaction_error;
    last_compaction_error = stats->last_compaction_error;
    hubreg_stats filled{};
    filled.counts = {stats->counts.apps, stats->counts.organizations, stats->counts.clients,
                     stats->counts.users, stats->counts.links};
    filled.last_sequence = stats->last_sequence;
    filled.snapshot_sequence = stats->snapshot_sequence;
    filled.snapshot_bytes = stats->snapshot_bytes;
    filled.journal_batches = stats->journal_batches;
    filled.journal_bytes = stats->journal_bytes;
    filled.map_size = stats->map_size;
    filled.map_used = stats->map_used;
    filled.open_seconds = stats->open_seconds;
    filled.compactions = stats->compactions;
    filled.last_compaction_error = last_compaction_error.c_str();
    filled.retired_registries = stats->retired_registries;
    filled.replacements = stats->replacements;
    filled.copies = stats->copies;
    filled.commit_signal = stats->commit_signal ? 1 : 0;
    std::memcpy(out, &filled, std::min(size, sizeof filled));
    return HUBREG_OK;
  });
}

hubreg_status hubreg_store_stats_prometheus(const hubreg_registry* reg, const char* prefix,
                                            const char* path, char* buf, size_t size,
                                            size_t* needed) {
  if (reg == nullptr || (buf == nullptr && size != 0)) return HUBREG_INVALID_ARGUMENT;
  return Guarded(reg, [&] {
    hubreg::StatusOr<hubreg::StoreStats> stats = reg->handle->Stats();
    if (!stats.ok()) return Fail(reg, stats.status());
    const std::string text = hubreg::RenderPrometheus(*stats, prefix != nullptr ? prefix : "",
                                                      path != nullptr ? path : "");
    if (needed != nullptr) *needed = text.size() + 1;
    if (text.size() + 1 > size) {
      return Fail(reg, HUBREG_INVALID_ARGUMENT,
                  "hubreg_store_stats_prometheus: the text takes " +
                      std::to_string(text.size() + 1) + " bytes, the buffer holds " +
                      std::to_string(size));
    }
    std::memcpy(buf, text.c_str(), text.size() + 1);
    return HUBREG_OK;
  });
}

hubreg_status hubreg_store_compact(hubreg_registry* reg) {
  if (reg == nullptr) return HUBREG_INVALID_ARGUMENT;
  return Guarded(reg, [&] {
    const hubreg::Status compacted = reg->handle->Compact();
    return compacted.ok() ? HUBREG_OK : Fail(reg, compacted);
  });
}

const char* hubreg_version(void) { return HUBREG_VERSION_STRING; }

}  // extern "C"
