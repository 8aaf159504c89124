// Internal to the benchmark program: data directories for the store
// benchmarks, built once per process and removed at exit.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "hubreg/store.h"
#include "suite.h"

namespace hubreg::bench {

// A directory under $HUBREG_BENCH_TMPDIR (default /tmp), removed with its
// contents by the destructor. /tmp must be a real disk for the durable-write
// figures to mean anything (tmpfs makes fsync free).
class TempDirectory {
 public:
  explicit TempDirectory(const std::string& label);
  ~TempDirectory();
  TempDirectory(const TempDirectory&) = delete;
  TempDirectory& operator=(const TempDirectory&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Store options that never compact on their own, so a data directory keeps
// the shape it was built with (snapshot only, or journal only).
StoreOptions NoAutoCompaction(const std::string& path);

// Commits every row of `rows` in `batches` durable batches, parents first.
Status LoadRows(Store& store, const RegistryRows& rows, std::size_t batches);

// The data directories of one size, built on first use:
//   journal: every row in 100 journal batches, no snapshot;
//   snapshot: the same registry compacted into one snapshot, no journal;
//   snapshot_file: a standalone snapshot file of it.
struct DataDirectories {
  std::unique_ptr<TempDirectory> journal;
  std::unique_ptr<TempDirectory> snapshot;
  std::unique_ptr<TempDirectory> files;
  std::string snapshot_file;
  std::uint64_t snapshot_bytes = 0;
  std::uint64_t entities = 0;  // rows of every table, links included
};
const DataDirectories& GetDataDirectories(Size size);

// Aborts the program with the error (a benchmark has no caller to tell).
void CheckOk(const Status& status, const char* what);

}  // namespace hubreg::bench
