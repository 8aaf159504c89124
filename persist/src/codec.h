// Internal: cereal encodings of batches (journal records) and of whole
// registry states (snapshots). The bytes are described in docs/storage.md,
// "Record encoding (cereal, versions)".
//
// Decoding never reads outside `bytes`, never allocates more than a small
// multiple of `bytes.size()`, and never throws: damaged bytes give
// kCorruption naming what was being decoded and the byte offset.
// Thread safety: all functions may run concurrently.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "hubreg/batch.h"
#include "hubreg/registry.h"
#include "hubreg/status.h"
#include "hubreg/view.h"

namespace hubreg::persist {

// Registry schema versions a snapshot can hold: major * 100 + minor.
inline constexpr std::uint32_t kSchemaV10 = 100, kSchemaV12 = 102;
inline constexpr std::uint32_t kCurrentSchema = kSchemaV12;

// "v1.0" for 100, "v1.2" for 102, otherwise the number.
std::string SchemaName(std::uint32_t schema_version);

std::string EncodeBatch(const Batch& batch);
// Replaces *batch with the decoded mutations. kCorruption on bad bytes,
// including bytes left over after the last mutation.
Status DecodeBatch(std::string_view bytes, Batch* batch);

// Every row of `view` and its next ids, in schema v1.2.
std::string EncodeSnapshot(const View& view);
// Rows of a snapshot payload written in `schema_version` (kSchemaV10 rows are
// migrated to v1.2: clients without an organization, no apps or
// organizations). kVersion for a schema this build does not know.
StatusOr<RegistryRows> DecodeSnapshot(std::string_view bytes, std::uint32_t schema_version);

}  // namespace hubreg::persist
