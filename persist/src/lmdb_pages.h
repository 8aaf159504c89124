// Internal: reads LMDB 0.9's data file (data.mdb) with pread, not through
// the memory map, for the checks made when a data directory is opened: a
// page beyond the end of a truncated file would fault (SIGBUS) if read
// through the map, and a damaged page must give an error, not a crash.
//
// The format (lmdb.h / mdb.c of LMDB 0.9, data version 1), as far as these
// readers need it; page p starts at p * page size:
//   page header, 16 bytes: page number (8), pad (2), flags (2), then either
//     lower and upper bounds of the free space (2 + 2) or, on the first
//     page of an overflow run, the run's length in pages (4).
//     Flags: 0x01 branch, 0x02 leaf, 0x04 overflow, 0x08 meta.
//   meta pages 0 and 1, after the header: magic 0xBEEFC0DE (4), version (4),
//     address (8), map size (8), the free list's and the main database's
//     records (48 bytes each; the root page number is their last 8 bytes),
//     last page number (8), transaction id (8).
//   branch and leaf pages: after the header, (lower - 16) / 2 two-byte
//     offsets of nodes. A node: lo (2), hi (2), flags (2), key size (2), key,
//     data. In a branch node, lo | hi << 16 | flags << 32 is the child page;
//     in a leaf node lo | hi << 16 is the data size, and flag 0x01 means the
//     data is held in an overflow run whose first page number (8) is the
//     node's data.
//   The free list is the database whose record comes first in the meta: key
//   a transaction id, value a list of 8-byte page numbers led by their count.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "hubreg/status.h"

namespace hubreg::persist::lmdb {

struct MetaPage {
  std::uint64_t txnid = 0;
  std::uint64_t last_page = 0;  // the highest page number in use
  std::uint64_t free_list_root = 0;
  bool operator==(const MetaPage&) const = default;
};

// Meta page `which` (0 or 1) of the data file open as `fd`. kCorruption
// when it cannot be read or lacks LMDB's magic. `path` is for messages.
StatusOr<MetaPage> ReadMetaPage(int fd, std::size_t page_size, int which, const std::string& path);

// Every page number listed in the free list rooted at `root` (~0: empty).
// Only pages below `file_pages` are read: a page of the free list at or
// beyond it is a kCorruption error naming it, as is a page that is not what
// its parent says it is.
StatusOr<std::vector<std::uint64_t>> ReadFreePages(int fd, std::size_t page_size,
                                                   std::uint64_t root, std::uint64_t file_pages,
                                                   const std::string& path);

}  // namespace hubreg::persist::lmdb
