#include "lmdb_pages.h"

#include <unistd.h>

#include <cstring>

namespace hubreg::persist::lmdb {
namespace {

constexpr std::size_t kPageHeaderBytes = 16;
constexpr std::size_t kNodeHeaderBytes = 8;
constexpr std::uint16_t kBranchPage = 0x01;
constexpr std::uint16_t kLeafPage = 0x02;
constexpr std::uint16_t kOverflowPage = 0x04;
constexpr std::uint16_t kBigDataNode = 0x01;
constexpr std::uint32_t kMagic = 0xBEEFC0DE;
constexpr std::uint64_t kNoRoot = ~std::uint64_t{0};
// LMDB's trees are far shallower (a depth of 10 would hold more pages than
// any map); deeper means a cycle in a damaged file.
constexpr int kMaxDepth = 32;

template <typename T>
T Load(const std::vector<char>& bytes, std::size_t offset) {
  T value;
  std::memcpy(&value, bytes.data() + offset, sizeof value);
  return value;
}

class FreeListReader {
 public:
  FreeListReader(int fd, std::size_t page_size, std::uint64_t file_pages, const std::string& path)
      : fd_(fd), page_size_(page_size), file_pages_(file_pages), path_(path) {}

  Status Walk(std::uint64_t page, int depth) {
    if (depth > kMaxDepth) return Damaged(page, "the tree is deeper than any LMDB tree");
    // A tree reads each of its pages once; damaged branches that point at
    // the same subtree again must not multiply the walk.
    if (++pages_read_ > file_pages_) {
      return Damaged(page, "the tree holds more pages than the file");
    }
    std::vector<char> bytes;
    HUBREG_RETURN_IF_ERROR(ReadPages(page, 1, bytes));
    const auto flags = Load<std::uint16_t>(bytes, 10);
    const auto lower = Load<std::uint16_t>(bytes, 12);
    if ((flags & (kBranchPage | kLeafPage)) == 0 || lower < kPageHeaderBytes ||
        lower > page_size_) {
      return Damaged(page, "neither a branch nor a leaf page");
    }
    const std::size_t nodes = (lower - kPageHeaderBytes) / 2;
    for (std::size_t i = 0; i < nodes; ++i) {
      const auto offset = Load<std::uint16_t>(bytes, kPageHeaderBytes + 2 * i);
      if (offset < lower || offset + kNodeHeaderBytes > page_size_) {
        return Damaged(page, "a node lies outside the page");
      }
      const auto lo = Load<std::uint16_t>(bytes, offset);
      const auto hi = Load<std::uint16_t>(bytes, offset + 2);
      const auto node_flags = Load<std::uint16_t>(bytes, offset + 4);
      const auto key_size = Load<std::uint16_t>(bytes, offset + 6);
      const std::size_t data_at = offset + kNodeHeaderBytes + key_size;
      if (flags & kBranchPage) {
        const std::uint64_t child =
            lo | (std::uint64_t{hi} << 16) | (std::uint64_t{node_flags} << 32);
        HUBREG_RETURN_IF_ERROR(Walk(child, depth + 1));
        continue;
      }
      const std::size_t data_size = lo | (std::size_t{hi} << 16);
      if (node_flags & kBigDataNode) {
        if (data_at + 8 > page_size_) return Damaged(page, "a node lies outside the page");
        HUBREG_RETURN_IF_ERROR(ReadOverflow(Load<std::uint64_t>(bytes, data_at), data_size));
      } else {
        if (data_at + data_size > page_size_) return Damaged(page, "a node lies outside the page");
        HUBREG_RETURN_IF_ERROR(AddPageList(bytes, data_at, data_size, page));
      }
    }
    return Status::Ok();
  }

  std::vector<std::uint64_t> TakePages() { return std::move(pages_); }

 private:
  Status ReadOverflow(std::uint64_t first, std::size_t data_size) {
    const std::uint64_t count = (kPageHeaderBytes + data_size + page_size_ - 1) / page_size_;
    pages_read_ += count;
    if (pages_read_ > file_pages_) return Damaged(first, "the tree holds more pages than the file");
    std::vector<char> bytes;
    HUBREG_RETURN_IF_ERROR(ReadPages(first, count, bytes));
    if ((Load<std::uint16_t>(bytes, 10) & kOverflowPage) == 0 ||
        Load<std::uint32_t>(bytes, 12) < count) {
      return Damaged(first, "not the overflow run its node names");
    }
    return AddPageList(bytes, kPageHeaderBytes, data_size, first);
  }

  // A free-list value: a count, then that many page numbers.
  Status AddPageList(const std::vector<char>& bytes, std::size_t at, std::size_t size,
                     std::uint64_t page) {
    if (size < 8 || size % 8 != 0) return Damaged(page, "a free-list entry of a bad size");
    const auto count = Load<std::uint64_t>(bytes, at);
    if (count != size / 8 - 1) return Damaged(page, "a free-list entry whose count is wrong");
    for (std::uint64_t i = 1; i <= count; ++i)
      pages_.push_back(Load<std::uint64_t>(bytes, at + 8 * i));
    return Status::Ok();
  }

  Status ReadPages(std::uint64_t first, std::uint64_t count, std::vector<char>& bytes) {
    if (first >= file_pages_ || count > file_pages_ - first) {
      return Status::Corruption(path_ + ": data.mdb has " + std::to_string(file_pages_) +
                                " whole pages but its free list uses page " +
                                std::to_string(first >= file_pages_ ? first : file_pages_) +
                                " (the file was truncated)");
    }
    bytes.resize(count * page_size_);
    const auto offset = static_cast<off_t>(first * page_size_);
    if (::pread(fd_, bytes.data(), bytes.size(), offset) != static_cast<ssize_t>(bytes.size())) {
      return Status::Corruption(path_ + ": data.mdb: cannot read free-list page " +
                                std::to_string(first));
    }
    return Status::Ok();
  }

  Status Damaged(std::uint64_t page, const std::string& what) const {
    return Status::Corruption(path_ + ": data.mdb: free-list page " + std::to_string(page) +
                              " is damaged: " + what);
  }

  int fd_;
  std::size_t page_size_;
  std::uint64_t file_pages_;
  const std::string& path_;
  std::vector<std::uint64_t> pages_;
  std::uint64_t pages_read_ = 0;
};

}  // namespace

StatusOr<MetaPage> ReadMetaPage(int fd, std::size_t page_size, int which, const std::string& path) {
  // Magic at 16, free list's root at 16 + 24 + 40, last page at 136,
  // transaction id at 144 (see the header comment).
  char bytes[152];
  const auto offset = static_cast<off_t>(which * page_size);
  std::uint32_t magic = 0;
  MetaPage meta;
  if (::pread(fd, bytes, sizeof bytes, offset) != static_cast<ssize_t>(sizeof bytes)) {
    return Status::Corruption(path + ": data.mdb: cannot read meta page " + std::to_string(which));
  }
  std::memcpy(&magic, bytes + 16, sizeof magic);
  if (magic != kMagic) {
    return Status::Corruption(path + ": data.mdb: meta page " + std::to_string(which) +
                              " lacks LMDB's magic number");
  }
  std::memcpy(&meta.free_list_root, bytes + 80, 8);
  std::memcpy(&meta.last_page, bytes + 136, 8);
  std::memcpy(&meta.txnid, bytes + 144, 8);
  return meta;
}

StatusOr<std::vector<std::uint64_t>> ReadFreePages(int fd, std::size_t page_size,
                                                   std::uint64_t root, std::uint64_t file_pages,
                                                   const std::string& path) {
  if (root == kNoRoot) return std::vector<std::uint64_t>();
  FreeListReader reader(fd, page_size, file_pages, path);
  HUBREG_RETURN_IF_ERROR(reader.Walk(root, 0));
  return reader.TakePages();
}

}  // namespace hubreg::persist::lmdb
