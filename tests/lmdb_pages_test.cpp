// Reading LMDB's data file with pread (persist/src/lmdb_pages.h) and the
// open-time length check built on it: a data.mdb that ends before a page
// LMDB allocated and freed in the same transaction (a "loose" page, which it
// never writes) is whole and opens; one that ends before a page in use, or
// before a page of its own free list, is refused by name; a damaged
// free-list page is an error, not a crash.
#include "lmdb_pages.h"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <lmdb.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include "lmdb_env.h"
#include "temp_dir.h"

using namespace hubreg;
using namespace hubreg::persist;

namespace {

namespace fs = std::filesystem;
constexpr std::size_t kPageSize = 4096;

std::uint64_t FileBytes(const std::string& dir) { return fs::file_size(dir + "/data.mdb"); }

// Random puts and deletes, one transaction at a time, until `done` (given
// the directory) is true after a commit; false if it never was.
template <typename Done>
bool WriteUntil(const std::string& dir, unsigned seed, Done done) {
  MDB_env* env = nullptr;
  REQUIRE(mdb_env_create(&env) == 0);
  REQUIRE(mdb_env_set_mapsize(env, std::size_t{1} << 28) == 0);
  REQUIRE(mdb_env_open(env, dir.c_str(), MDB_NOSYNC, 0600) == 0);
  std::mt19937 random(seed);
  bool reached = false;
  for (int round = 0; round < 2000 && !reached; ++round) {
    MDB_txn* txn = nullptr;
    REQUIRE(mdb_txn_begin(env, nullptr, 0, &txn) == 0);
    MDB_dbi dbi = 0;
    REQUIRE(mdb_dbi_open(txn, nullptr, 0, &dbi) == 0);
    const unsigned changes = 1 + random() % 50;
    for (unsigned i = 0; i < changes; ++i) {
      char key[16];
      std::snprintf(key, sizeof key, "k%05u", static_cast<unsigned>(random() % 300));
      MDB_val key_val{std::strlen(key), key};
      if (random() % 2 != 0) {
        std::string value(random() % (random() % 4 == 0 ? 9000 : 200), 'x');
        MDB_val value_val{value.size(), value.data()};
        REQUIRE(mdb_put(txn, dbi, &key_val, &value_val, 0) == 0);
      } else {
        const int rc = mdb_del(txn, dbi, &key_val, nullptr);
        REQUIRE((rc == 0 || rc == MDB_NOTFOUND));
      }
    }
    REQUIRE(mdb_txn_commit(txn) == 0);
    reached = done(dir);
  }
  mdb_env_close(env);
  return reached;
}

lmdb::MetaPage NewestMeta(int fd) {
  StatusOr<lmdb::MetaPage> first = lmdb::ReadMetaPage(fd, kPageSize, 0, "dir");
  StatusOr<lmdb::MetaPage> second = lmdb::ReadMetaPage(fd, kPageSize, 1, "dir");
  REQUIRE(first.ok());
  REQUIRE(second.ok());
  return first->txnid > second->txnid ? *first : *second;
}

// The check, as DataDirectory::Open runs it.
Status CheckLength(const std::string& dir) {
  StatusOr<lmdb::Env> env = lmdb::Env::Open(dir, {});
  REQUIRE(env.ok());
  return env->CheckFileCoversPages();
}

struct ShortFile {
  std::string dir;
  lmdb::MetaPage meta;
  std::uint64_t file_pages = 0;
  std::vector<std::uint64_t> free_pages;  // sorted
};

// The newest meta page and the free list of the data file in `dir`.
ShortFile ReadState(const std::string& dir) {
  ShortFile file;
  file.dir = dir;
  const int fd = ::open((dir + "/data.mdb").c_str(), O_RDONLY);
  REQUIRE(fd >= 0);
  file.meta = NewestMeta(fd);
  file.file_pages = FileBytes(dir) / kPageSize;
  StatusOr<std::vector<std::uint64_t>> free_pages =
      lmdb::ReadFreePages(fd, kPageSize, file.meta.free_list_root, file.file_pages, dir);
  ::close(fd);
  REQUIRE(free_pages.ok());
  file.free_pages = *free_pages;
  std::sort(file.free_pages.begin(), file.free_pages.end());
  return file;
}

// LMDB 0.9 leaves data.mdb shorter than its pages in use whenever the
// highest page a transaction allocated was freed again before the commit;
// with this seed that happens within a few dozen transactions.
ShortFile MakeShortFile(const test::TempDir& temp, const std::string& name) {
  const std::string dir = temp.Path(name);
  fs::create_directory(dir);
  REQUIRE(WriteUntil(dir, 1, [](const std::string& at) {
    return FileBytes(at) < (ReadState(at).meta.last_page + 1) * kPageSize;
  }));
  return ReadState(dir);
}

bool IsFree(const ShortFile& file, std::uint64_t page) {
  return std::binary_search(file.free_pages.begin(), file.free_pages.end(), page);
}

}  // namespace

TEST_CASE("a data.mdb that ends before free pages only is whole") {
  test::TempDir temp;
  const ShortFile file = MakeShortFile(temp, "short");
  CAPTURE(file.file_pages);
  CAPTURE(file.meta.last_page);
  REQUIRE(file.file_pages <= file.meta.last_page);
  // What LMDB left unwritten is on its free list...
  for (std::uint64_t page = file.file_pages; page <= file.meta.last_page; ++page) {
    CAPTURE(page);
    CHECK(IsFree(file, page));
  }
  // ...so the check accepts the file, and every value in it reads back.
  Status status = CheckLength(file.dir);
  CHECK_MESSAGE(status.ok(), status.message());
  MDB_env* env = nullptr;
  REQUIRE(mdb_env_create(&env) == 0);
  REQUIRE(mdb_env_open(env, file.dir.c_str(), MDB_RDONLY, 0600) == 0);
  MDB_txn* txn = nullptr;
  REQUIRE(mdb_txn_begin(env, nullptr, MDB_RDONLY, &txn) == 0);
  MDB_dbi dbi = 0;
  REQUIRE(mdb_dbi_open(txn, nullptr, 0, &dbi) == 0);
  MDB_cursor* cursor = nullptr;
  REQUIRE(mdb_cursor_open(txn, dbi, &cursor) == 0);
  MDB_val key{}, value{};
  std::size_t entries = 0;
  while (mdb_cursor_get(cursor, &key, &value, entries == 0 ? MDB_FIRST : MDB_NEXT) == 0) {
    CHECK(std::all_of(static_cast<const char*>(value.mv_data),
                      static_cast<const char*>(value.mv_data) + value.mv_size,
                      [](char c) { return c == 'x'; }));
    ++entries;
  }
  CHECK(entries > 0);
  mdb_cursor_close(cursor);
  mdb_txn_abort(txn);
  mdb_env_close(env);
}

// The highest page of `file` that is in use: neither free nor the free
// list's root (nor a meta page); 0 when there is none above the root.
std::uint64_t HighestPageInUseAboveFreeList(const ShortFile& file) {
  for (std::uint64_t page = file.file_pages - 1; page > 1; --page) {
    if (page <= file.meta.free_list_root && file.meta.free_list_root != ~std::uint64_t{0}) break;
    if (!IsFree(file, page)) return page;
  }
  return 0;
}

TEST_CASE("a data.mdb that ends before a page in use is refused, naming the page") {
  test::TempDir temp;
  const std::string dir = temp.Path("cut");
  fs::create_directory(dir);
  // A state in which a page in use lies above the free list (which is often
  // written last, at the top): cutting there leaves the free list whole.
  REQUIRE(WriteUntil(dir, 2, [](const std::string& at) {
    return HighestPageInUseAboveFreeList(ReadState(at)) != 0;
  }));
  const ShortFile file = ReadState(dir);
  const std::uint64_t in_use = HighestPageInUseAboveFreeList(file);
  CAPTURE(in_use);
  fs::resize_file(dir + "/data.mdb", in_use * kPageSize);
  Status status = CheckLength(dir);
  CHECK(status.code() == ErrorCode::kCorruption);
  CHECK(status.message() == dir + ": data.mdb has " + std::to_string(in_use * kPageSize) +
                                " bytes but its pages in use end at byte " +
                                std::to_string((file.meta.last_page + 1) * kPageSize) +
                                " (the file was truncated: page " + std::to_string(in_use) +
                                ", which is in use, is missing)");
}

TEST_CASE("a data.mdb that ends before its free list's root is refused") {
  test::TempDir temp;
  const ShortFile file = MakeShortFile(temp, "short");
  REQUIRE(file.meta.free_list_root != ~std::uint64_t{0});
  REQUIRE(file.meta.free_list_root > 2);
  fs::resize_file(file.dir + "/data.mdb", file.meta.free_list_root * kPageSize);
  Status status = CheckLength(file.dir);
  CHECK(status.code() == ErrorCode::kCorruption);
  CHECK(status.message() ==
        file.dir + ": data.mdb has " + std::to_string(file.meta.free_list_root) +
            " whole pages but its free list uses page " + std::to_string(file.meta.free_list_root) +
            " (the file was truncated)");
}

TEST_CASE("a damaged free-list page is an error, not a crash") {
  test::TempDir temp;
  const ShortFile file = MakeShortFile(temp, "short");
  REQUIRE(file.meta.free_list_root != ~std::uint64_t{0});
  const std::uint64_t root = file.meta.free_list_root;
  // Overwrites two bytes of the root page at `offset` and checks the error.
  auto damage = [&](std::size_t offset, std::uint8_t value, const std::string& what) {
    std::fstream data(file.dir + "/data.mdb", std::ios::in | std::ios::out | std::ios::binary);
    data.seekp(static_cast<std::streamoff>(root * kPageSize + offset));
    const char bytes[2] = {static_cast<char>(value), static_cast<char>(value)};
    data.write(bytes, sizeof bytes);
    data.close();
    Status status = CheckLength(file.dir);
    CHECK(status.code() == ErrorCode::kCorruption);
    CHECK(status.message() ==
          file.dir + ": data.mdb: free-list page " + std::to_string(root) + " is damaged: " + what);
  };
  SUBCASE("flags of neither a branch nor a leaf") {
    damage(10, 0, "neither a branch nor a leaf page");
  }
  SUBCASE("a node offset beyond the page") { damage(16, 0xff, "a node lies outside the page"); }
  // A branch page whose `count` nodes all point at page `child`.
  auto make_branch = [&](std::uint64_t child, std::uint16_t count) {
    std::string page(kPageSize, '\0');
    const std::uint16_t flags = 0x01;  // branch
    const auto lower = static_cast<std::uint16_t>(16 + 2 * count);
    std::memcpy(page.data() + 10, &flags, 2);
    std::memcpy(page.data() + 12, &lower, 2);
    for (std::uint16_t i = 0; i < count; ++i) {
      const auto node = static_cast<std::uint16_t>(lower + 8 * i);
      std::memcpy(page.data() + 16 + 2 * i, &node, 2);
      const std::uint16_t lo = child & 0xffff, hi = (child >> 16) & 0xffff,
                          top = (child >> 32) & 0xffff;
      std::memcpy(page.data() + node, &lo, 2);
      std::memcpy(page.data() + node + 2, &hi, 2);
      std::memcpy(page.data() + node + 4, &top, 2);
    }
    return page;
  };
  auto write_page = [&](std::uint64_t number, const std::string& page) {
    std::fstream data(file.dir + "/data.mdb", std::ios::in | std::ios::out | std::ios::binary);
    data.seekp(static_cast<std::streamoff>(number * kPageSize));
    data.write(page.data(), static_cast<std::streamsize>(page.size()));
  };
  SUBCASE("a branch that points at itself") {
    write_page(root, make_branch(root, 1));
    Status status = CheckLength(file.dir);
    CHECK(status.message() == file.dir + ": data.mdb: free-list page " + std::to_string(root) +
                                  " is damaged: the tree is deeper than any LMDB tree");
  }
  SUBCASE("a branch whose nodes all point at one leaf") {
    // An empty leaf in a free page below the end, and a root naming it more
    // times than the file has pages: the walk stops instead of multiplying.
    std::uint64_t leaf = 2;
    while (leaf < file.file_pages && !IsFree(file, leaf)) ++leaf;
    REQUIRE(leaf < file.file_pages);
    std::string empty_leaf(kPageSize, '\0');
    const std::uint16_t leaf_flags = 0x02, leaf_lower = 16;
    std::memcpy(empty_leaf.data() + 10, &leaf_flags, 2);
    std::memcpy(empty_leaf.data() + 12, &leaf_lower, 2);
    write_page(leaf, empty_leaf);
    write_page(root, make_branch(leaf, static_cast<std::uint16_t>(file.file_pages + 1)));
    Status status = CheckLength(file.dir);
    CHECK(status.message() == file.dir + ": data.mdb: free-list page " + std::to_string(leaf) +
                                  " is damaged: the tree holds more pages than the file");
  }
}

TEST_CASE("a meta page without LMDB's magic is named") {
  test::TempDir temp;
  const std::string path = temp.Path("data.mdb");
  std::ofstream(path) << std::string(2 * kPageSize, '\0');
  const int fd = ::open(path.c_str(), O_RDONLY);
  REQUIRE(fd >= 0);
  StatusOr<lmdb::MetaPage> meta = lmdb::ReadMetaPage(fd, kPageSize, 1, "dir");
  ::close(fd);
  REQUIRE_FALSE(meta.ok());
  CHECK(meta.status().message() == "dir: data.mdb: meta page 1 lacks LMDB's magic number");
}
