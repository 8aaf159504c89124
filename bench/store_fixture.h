// Internal to the benchmark program: data directories for the store
// benchmarks, built once per process and removed at exit.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "hubreg/store.h"
#include "suite.h"
#include "temp_directory.h"

namespace hubreg::bench {

// Store options that never compact on their own, so a data directory keeps
// the shape it was built with (snapshot only, or journal only).
StoreOptions NoAutoCompaction(const std::string& path);

// User `number` of a series that no generated row collides with.
User FreshUser(std::uint64_t number);

// Commits every row of `rows` in `batches` durable batches, parents first.
Status LoadRows(Store& store, const RegistryRows& rows, std::size_t batches);

// The data directories of one size, built on first use:
//   journal: every row in 100 journal batches, no snapshot;
//   snapshot: the same registry compacted into one snapshot, no journal.
struct DataDirectories {
  std::unique_ptr<test::TempDir> journal;
  std::unique_ptr<test::TempDir> snapshot;
  std::uint64_t snapshot_bytes = 0;
  std::uint64_t entities = 0;  // rows of every table, links included
};
const DataDirectories& GetDataDirectories(Size size);

}  // namespace hubreg::bench
