// Standalone snapshot files: saving, verifying, reading, and refusing every
// kind of damage with a precise error (persist/src/snapshot_file.h).
#include "snapshot_file.h"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <boost/crc.hpp>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <random>
#include <thread>

#include "checksum.h"
#include "codec.h"
#include "hubreg/store.h"
#include "snapshot_format.h"
#include "snapshot_testutil.h"

using namespace hubreg;
using namespace hubreg::test;
using persist::ComputeCrc32c;
using persist::ReadSnapshotFile;
using persist::WriteSnapshotFile;

namespace {

const std::string kDataDir = HUBREG_TEST_DATA_DIR;

template <typename T>
void Put(std::string& bytes, std::size_t offset, T value) {
  std::memcpy(bytes.data() + offset, &value, sizeof(value));
}

std::string Hex(std::uint32_t value) {
  char text[11];
  std::snprintf(text, sizeof(text), "0x%08x", value);
  return text;
}

// Recomputes both checksums, as a forger would.
void Reseal(std::string& bytes) {
  Put(bytes, 72, ComputeCrc32c(std::string_view(bytes).substr(0, 72)));
  std::size_t end = bytes.size() - 4;
  Put(bytes, end, ComputeCrc32c(std::string_view(bytes).substr(0, end)));
}

// A good file of FixedRegistry() saved in `dir`, and its bytes.
struct GoodFile {
  explicit GoodFile(const TempDir& dir) : path(dir.Path("good.snapshot")) {
    REQUIRE_OK(WriteSnapshotFile(FixedRegistry()->Read(), path));
    bytes = ReadFile(path);
  }
  std::string path;
  std::string bytes;
};

// Writes `bytes` as "<dir>/damaged.snapshot" and returns what reading says.
Status ReadDamaged(const TempDir& dir, std::string_view bytes, std::string* path) {
  *path = dir.Path("damaged.snapshot");
  WriteFile(*path, bytes);
  Status read = ReadSnapshotFile(*path).status();
  // Verify is the same check and must say the same.
  Status verified = VerifySnapshotFile(*path).status();
  CHECK(verified.code() == read.code());
  CHECK(verified.message() == read.message());
  return read;
}

}  // namespace

TEST_CASE("the file checksum is CRC-32C") {
  CHECK(ComputeCrc32c("123456789") == 0xE3069283u);  // the standard check value
  CHECK(persist::Crc32c().Update("1234").Update("56789").Value() == 0xE3069283u);
  CHECK(persist::ComputeCrc32cPortable("123456789") == 0xE3069283u);
}

TEST_CASE("the CRC-32C instruction path and the table path agree on every length and alignment") {
  // Boost.CRC is the independent oracle: the same parameters, bit by bit.
  std::string bytes(4096 + 64, '\0');
  std::uint32_t seed = 12345;
  for (char& c : bytes) c = static_cast<char>((seed = seed * 1103515245u + 12345u) >> 16);
  for (std::size_t offset : {0, 1, 3, 7}) {
    for (std::size_t size : {0, 1, 7, 8, 9, 63, 64, 65, 1000, 4096}) {
      std::string_view piece = std::string_view(bytes).substr(offset, size);
      boost::crc_optimal<32, 0x1EDC6F41, 0xFFFFFFFF, 0xFFFFFFFF, true, true> oracle;
      oracle.process_bytes(piece.data(), piece.size());
      INFO("offset ", offset, ", size ", size);
      CHECK(ComputeCrc32c(piece) == oracle.checksum());
      CHECK(persist::ComputeCrc32cPortable(piece) == oracle.checksum());
      // Split anywhere, the running checksum is the same.
      const std::size_t half = size / 3;
      CHECK(persist::Crc32c().Update(piece.substr(0, half)).Update(piece.substr(half)).Value() ==
            oracle.checksum());
    }
  }
}

TEST_CASE("a saved snapshot file verifies and reads back every row, field and next id") {
  TempDir dir;
  auto registry = FixedRegistry();
  std::string path = dir.Path("registry.snapshot");
  REQUIRE_OK(WriteSnapshotFile(registry->Read(), path));

  StatusOr<SnapshotFileInfo> info = VerifySnapshotFile(path);
  REQUIRE_OK(info);
  CHECK(info->format_version == 1);
  CHECK(info->schema_version == 102);
  CHECK(info->sequence == 2);
  CHECK(info->counts == registry->Read().counts());
  CHECK(info->file_bytes == std::filesystem::file_size(path));

  StatusOr<persist::LoadedSnapshot> loaded = ReadSnapshotFile(path);
  REQUIRE_OK(loaded);
  CHECK(loaded->registry->LastSequence() == 2);
  CheckSameRows(SortedRows(loaded->registry->Read()), SortedRows(registry->Read()));
}

TEST_CASE("a snapshot file already in memory decodes as reading it from disk does") {
  TempDir dir;
  const GoodFile good(dir);
  StatusOr<persist::LoadedSnapshot> decoded = persist::DecodeSnapshotFile(good.bytes, good.path);
  REQUIRE_OK(decoded);
  StatusOr<persist::LoadedSnapshot> read = ReadSnapshotFile(good.path);
  REQUIRE_OK(read);
  CHECK(decoded->info.schema_version == read->info.schema_version);
  CHECK(decoded->info.sequence == read->info.sequence);
  CHECK(decoded->info.counts == read->info.counts);
  CHECK(decoded->info.file_bytes == read->info.file_bytes);
  CheckSameRows(SortedRows(decoded->registry->Read()), SortedRows(read->registry->Read()));

  std::string damaged = good.bytes;
  damaged[100] ^= 0x01;  // in the payload
  std::string path;
  const Status from_disk = ReadDamaged(dir, damaged, &path);
  const Status in_memory = persist::DecodeSnapshotFile(damaged, path).status();
  CHECK(in_memory.code() == ErrorCode::kCorruption);
  CHECK(in_memory.message() == from_disk.message());
}

TEST_CASE("a saved snapshot file is private to its owner and leaves no temporary file") {
  TempDir dir;
  std::string path = dir.Path("registry.snapshot");
  REQUIRE_OK(WriteSnapshotFile(SampleRegistry()->Read(), path));
  REQUIRE_OK(WriteSnapshotFile(FixedRegistry()->Read(), path));  // replaces the first
  CHECK(VerifySnapshotFile(path)->sequence == 2);
  auto permissions = std::filesystem::status(path).permissions();
  CHECK((permissions & std::filesystem::perms::all) ==
        (std::filesystem::perms::owner_read | std::filesystem::perms::owner_write));
  int entries = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(dir.path())) {
    ++entries;
  }
  CHECK(entries == 1);
}

TEST_CASE("saving into a missing directory is not found, naming the file") {
  TempDir dir;
  std::string path = dir.Path("missing/registry.snapshot");
  Status status = WriteSnapshotFile(SampleRegistry()->Read(), path);
  CHECK(status.code() == ErrorCode::kNotFound);
  CHECK(status.message() == path + ": create: No such file or directory");
}

TEST_CASE("a saved snapshot file is 0600 whatever the umask") {
  for (mode_t mask : {0000, 0022, 0277}) {
    CAPTURE(mask);
    TempDir dir;
    const std::string path = dir.Path("registry.snapshot");
    const mode_t previous = ::umask(mask);
    Status saved = WriteSnapshotFile(SampleRegistry()->Read(), path);
    ::umask(previous);
    REQUIRE_OK(saved);
    struct stat info;
    REQUIRE(::stat(path.c_str(), &info) == 0);
    CHECK((info.st_mode & 07777) == 0600);
  }
}

TEST_CASE("a symbolic link at the snapshot file's name is refused, not followed") {
  TempDir dir;
  const std::string victim = dir.Path("victim");
  WriteFile(victim, "keep me");
  const std::string path = dir.Path("registry.snapshot");
  REQUIRE(::symlink(victim.c_str(), path.c_str()) == 0);
  // And one at the name earlier versions used for the temporary file.
  const std::string old_temporary = path + ".tmp-" + std::to_string(::getpid());
  REQUIRE(::symlink(victim.c_str(), old_temporary.c_str()) == 0);

  Status status = WriteSnapshotFile(SampleRegistry()->Read(), path);
  CHECK(status.code() == ErrorCode::kInvalidArgument);
  CHECK(status.message() ==
        path + ": is a symbolic link, not a regular file; refusing to replace it");
  CHECK(ReadFile(victim) == "keep me");
  CHECK(std::filesystem::is_symlink(path));

  REQUIRE(::unlink(path.c_str()) == 0);
  REQUIRE_OK(WriteSnapshotFile(SampleRegistry()->Read(), path));
  CHECK(ReadFile(victim) == "keep me");
  CHECK(std::filesystem::is_symlink(old_temporary));
  CHECK(std::distance(std::filesystem::directory_iterator(dir.path()),
                      std::filesystem::directory_iterator()) == 3);
}

TEST_CASE("a FIFO given as a snapshot file is refused without waiting for a writer") {
  TempDir dir;
  const std::string path = dir.Path("pipe.snapshot");
  REQUIRE(::mkfifo(path.c_str(), 0600) == 0);
  // Held open with a few bytes in it, so that a reader that opened and read
  // the FIFO would get an answer (a wrong one) instead of hanging the test.
  const int writer = ::open(path.c_str(), O_RDWR | O_NONBLOCK);
  REQUIRE(writer >= 0);
  REQUIRE(::write(writer, "HUBREG", 6) == 6);
  Status status = VerifySnapshotFile(path).status();
  ::close(writer);
  CHECK(status.code() == ErrorCode::kInvalidArgument);
  CHECK(status.message() == path + ": is a FIFO (named pipe), not a regular file");
}

TEST_CASE("a header promising 8 GiB on a sparse file is damage, found before allocating") {
  TempDir dir;
  GoodFile good(dir);
  constexpr std::uint64_t kPayload = std::uint64_t{8} << 30;
  std::string header = good.bytes.substr(0, 80);
  Put<std::uint64_t>(header, 64, kPayload);
  Put(header, 72, ComputeCrc32c(std::string_view(header).substr(0, 72)));
  const std::string path = dir.Path("sparse.snapshot");
  WriteFile(path, header);
  REQUIRE(::truncate(path.c_str(), static_cast<off_t>(80 + kPayload + 4)) == 0);
  Status status = VerifySnapshotFile(path).status();
  CHECK(status.code() == ErrorCode::kCorruption);
  // Where the hole starts depends on the file system's block size.
  CHECK(status.message().starts_with(path + ": the header promises " +
                                     std::to_string(80 + kPayload + 4) +
                                     " bytes, but the file has a hole (bytes never written) at "
                                     "offset "));
}

TEST_CASE("saving while a writer keeps applying batches yields a consistent snapshot") {
  TempDir dir;
  Registry registry;
  // Batch n inserts user n and links it to client 1 (from batch 1), so a
  // state at sequence s holds s - 1 users and s - 1 links.
  REQUIRE_OK(registry.Apply(Batch().Insert(MakeClient(1, kNoId, "ACC-1"))));
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    // Bounded, so the snapshots stay small and the test quick.
    for (Id n = 2; !stop && n < 3000; ++n) {
      if (!registry.Apply(UserLinkedToClient1(n)).ok()) break;
    }
  });
  std::string path = dir.Path("live.snapshot");
  std::uint64_t last_sequence = 0;
  for (int round = 0; round < 10; ++round) {
    REQUIRE_OK(WriteSnapshotFile(registry.Read(), path));
    StatusOr<persist::LoadedSnapshot> loaded = ReadSnapshotFile(path);
    REQUIRE_OK(loaded);
    std::uint64_t sequence = loaded->info.sequence;
    CHECK(sequence >= last_sequence);
    last_sequence = sequence;
    CHECK(loaded->info.counts.users == sequence - 1);
    CHECK(loaded->info.counts.links == sequence - 1);
    CHECK(loaded->registry->Read().counts() == loaded->info.counts);
  }
  stop = true;
  writer.join();
  CHECK(last_sequence > 1);
}

TEST_CASE("a save that fails at any step leaves the previous file intact and no temporary") {
  struct Fault {
    const char* step;
    int error;
    const char* reason;
  };
  for (const Fault& fault : {Fault{"create", EACCES, "create: Permission denied"},
                             Fault{"write", ENOSPC, "write: No space left on device"},
                             Fault{"fsync", EIO, "fsync: Input/output error"},
                             Fault{"close", EIO, "close: Input/output error"}}) {
    CAPTURE(fault.step);
    TempDir dir;
    GoodFile good(dir);
    persist::SetSnapshotFileFaultHook(
        [&](std::string_view step) { return step == fault.step ? fault.error : 0; });
    Status status = WriteSnapshotFile(SampleRegistry()->Read(), good.path);
    persist::SetSnapshotFileFaultHook(nullptr);
    CHECK(status.code() == ErrorCode::kIo);
    CHECK(status.message() == good.path + ": " + fault.reason);
    CHECK(ReadFile(good.path) == good.bytes);
    CHECK(std::distance(std::filesystem::directory_iterator(dir.path()),
                        std::filesystem::directory_iterator()) == 1);
  }
}

TEST_CASE("a failed rename leaves the previous file intact and no temporary") {
  TempDir dir;
  GoodFile good(dir);
  persist::SetSnapshotFileFaultHook(
      [](std::string_view step) { return step == "rename" ? EXDEV : 0; });
  Status status = WriteSnapshotFile(SampleRegistry()->Read(), good.path);
  persist::SetSnapshotFileFaultHook(nullptr);
  CHECK(status.code() == ErrorCode::kIo);
  CHECK(status.message() == good.path + ": rename: Invalid cross-device link");
  CHECK(ReadFile(good.path) == good.bytes);
  CHECK(std::distance(std::filesystem::directory_iterator(dir.path()),
                      std::filesystem::directory_iterator()) == 1);
}

TEST_CASE("a failed directory fsync is reported after the new file is in place") {
  TempDir dir;
  GoodFile good(dir);
  persist::SetSnapshotFileFaultHook(
      [](std::string_view step) { return step == "fsync directory" ? EIO : 0; });
  Status status = WriteSnapshotFile(SampleRegistry()->Read(), good.path);
  persist::SetSnapshotFileFaultHook(nullptr);
  CHECK(status.code() == ErrorCode::kIo);
  CHECK(status.message() == dir.path().string() + ": fsync directory: Input/output error");
  CHECK(VerifySnapshotFile(good.path)->sequence == 1);  // complete, but maybe not durable
}

TEST_CASE("a missing snapshot file is not found") {
  TempDir dir;
  std::string path = dir.Path("nothing.snapshot");
  Status status = VerifySnapshotFile(path).status();
  CHECK(status.code() == ErrorCode::kNotFound);
  CHECK(status.message() == path + ": open: No such file or directory");
}

TEST_CASE("an empty file is not a snapshot") {
  TempDir dir;
  std::string path;
  Status status = ReadDamaged(dir, "", &path);
  CHECK(status.code() == ErrorCode::kCorruption);
  CHECK(status.message() == path + ": not a hubreg snapshot (empty file)");
}

TEST_CASE("a file with a bad magic is not a snapshot") {
  TempDir dir;
  GoodFile good(dir);
  std::string bytes = good.bytes;
  bytes[3] = 'X';
  std::string path;
  Status status = ReadDamaged(dir, bytes, &path);
  CHECK(status.code() == ErrorCode::kCorruption);
  CHECK(status.message() == path + ": not a hubreg snapshot (bad magic at offset 0)");
}

TEST_CASE("an unknown format version is a version error naming found and supported") {
  TempDir dir;
  GoodFile good(dir);
  std::string bytes = good.bytes;
  Put<std::uint32_t>(bytes, 8, 2);
  Reseal(bytes);
  std::string path;
  Status status = ReadDamaged(dir, bytes, &path);
  CHECK(status.code() == ErrorCode::kVersion);
  CHECK(status.message() == path + ": snapshot format version 2 is not supported (supported: 1)");
}

TEST_CASE("an unknown schema version is a version error naming found and supported") {
  TempDir dir;
  GoodFile good(dir);
  std::string bytes = good.bytes;
  Put<std::uint32_t>(bytes, 12, 103);
  Reseal(bytes);
  std::string path;
  Status status = ReadDamaged(dir, bytes, &path);
  CHECK(status.code() == ErrorCode::kVersion);
  CHECK(status.message() ==
        path +
            ": snapshot schema version 103 is not supported (supported: 100 (v1.0), 102 "
            "(v1.2))");
}

TEST_CASE("a flipped byte in the payload fails the file checksum") {
  TempDir dir;
  GoodFile good(dir);
  std::string bytes = good.bytes;
  bytes[100] = static_cast<char>(bytes[100] ^ 0x10);
  std::size_t end = bytes.size() - 4;
  std::uint32_t stored;
  std::memcpy(&stored, bytes.data() + end, 4);
  std::string path;
  Status status = ReadDamaged(dir, bytes, &path);
  CHECK(status.code() == ErrorCode::kCorruption);
  CHECK(status.message() == path + ": checksum mismatch: expected " + Hex(stored) +
                                " (stored at offset " + std::to_string(end) + "), found " +
                                Hex(ComputeCrc32c(std::string_view(bytes).substr(0, end))) +
                                " over bytes 0-" + std::to_string(end - 1));
}

TEST_CASE("a flipped byte in the header fails the header checksum") {
  TempDir dir;
  GoodFile good(dir);
  std::string bytes = good.bytes;
  bytes[17] = static_cast<char>(bytes[17] ^ 0x01);  // the sequence
  std::uint32_t stored;
  std::memcpy(&stored, bytes.data() + 72, 4);
  std::string path;
  Status status = ReadDamaged(dir, bytes, &path);
  CHECK(status.code() == ErrorCode::kCorruption);
  CHECK(status.message() == path + ": header checksum mismatch: expected " + Hex(stored) +
                                " (stored at offset 72), found " +
                                Hex(ComputeCrc32c(std::string_view(bytes).substr(0, 72))) +
                                " over bytes 0-71");
}

TEST_CASE("a file truncated inside the header is refused") {
  TempDir dir;
  GoodFile good(dir);
  for (std::size_t size : {4, 8, 40, 79}) {
    std::string path;
    Status status = ReadDamaged(dir, good.bytes.substr(0, size), &path);
    CHECK(status.code() == ErrorCode::kCorruption);
    CHECK(status.message() == path + ": truncated header: the file has " + std::to_string(size) +
                                  " bytes, a snapshot header has 80");
  }
}

TEST_CASE("a file truncated in the payload or trailer is refused with both lengths") {
  TempDir dir;
  GoodFile good(dir);
  std::size_t full = good.bytes.size();
  std::size_t payload = full - 84;
  for (std::size_t size : {std::size_t{80}, 80 + payload / 2, full - 4, full - 1}) {
    std::string path;
    Status status = ReadDamaged(dir, good.bytes.substr(0, size), &path);
    CHECK(status.code() == ErrorCode::kCorruption);
    CHECK(status.message() == path + ": truncated: the header promises " + std::to_string(full) +
                                  " bytes (80 header + " + std::to_string(payload) +
                                  " payload + 4 checksum), the file has " + std::to_string(size));
  }
}

TEST_CASE("bytes after the checksum are refused") {
  TempDir dir;
  GoodFile good(dir);
  std::string path;
  Status status = ReadDamaged(dir, good.bytes + "junk", &path);
  CHECK(status.code() == ErrorCode::kCorruption);
  CHECK(status.message() == path + ": 4 unexpected bytes after the checksum at offset " +
                                std::to_string(good.bytes.size()));
}

TEST_CASE("a huge file is refused from its header and size, without being read") {
  TempDir dir;
  GoodFile good(dir);
  std::string path = dir.Path("huge.snapshot");
  WriteFile(path, good.bytes);
  const std::uintmax_t huge = std::uintmax_t{1} << 40;  // sparse: no disk used
  std::filesystem::resize_file(path, huge);
  Status status = VerifySnapshotFile(path).status();
  CHECK(status.code() == ErrorCode::kCorruption);
  CHECK(status.message() == path + ": " + std::to_string(huge - good.bytes.size()) +
                                " unexpected bytes after the checksum at offset " +
                                std::to_string(good.bytes.size()));
}

TEST_CASE("a payload that does not decode is refused even with valid checksums") {
  TempDir dir;
  RegistryRows rows = SortedRows(SampleRegistry()->Read());
  std::string path = dir.Path("forged.snapshot");
  std::string payload = EncodeV12Payload(rows) + "x";
  REQUIRE_OK(WriteSnapshotFile(path, persist::kSchemaV12, 1, CountsOf(rows), payload));
  Status status = VerifySnapshotFile(path).status();
  CHECK(status.code() == ErrorCode::kCorruption);
  CHECK(status.message() == path +
                                ": payload at offset 80: snapshot (schema v1.2): end: 1 "
                                "unexpected bytes after the last record at byte offset " +
                                std::to_string(payload.size() - 1));
}

TEST_CASE("header counts that differ from the payload's rows are refused") {
  TempDir dir;
  RegistryRows rows = SortedRows(SampleRegistry()->Read());
  TableCounts counts = CountsOf(rows);
  counts.clients += 1;
  std::string path = dir.Path("forged.snapshot");
  REQUIRE_OK(WriteSnapshotFile(path, persist::kSchemaV12, 1, counts, EncodeV12Payload(rows)));
  Status status = VerifySnapshotFile(path).status();
  CHECK(status.code() == ErrorCode::kCorruption);
  CHECK(status.message() == path + ": header counts 5 client rows, the payload holds 4");
}

TEST_CASE("a link to a missing user is an integrity violation even with valid checksums") {
  TempDir dir;
  RegistryRows rows = SortedRows(SampleRegistry()->Read());
  rows.links.push_back({1, 99, At(1'700'000'000)});
  std::string path = dir.Path("forged.snapshot");
  REQUIRE_OK(
      WriteSnapshotFile(path, persist::kSchemaV12, 1, CountsOf(rows), EncodeV12Payload(rows)));
  Status status = VerifySnapshotFile(path).status();
  CHECK(status.code() == ErrorCode::kCorruption);
  CHECK(status.message() == path +
                                ": integrity violation: foreign key: client_user: user_id 99 "
                                "does not exist in user; in client_user row 7");
}

TEST_CASE("a v1.2 payload labelled v1.0 is refused, even with valid checksums") {
  TempDir dir;
  GoodFile good(dir);
  std::string bytes = good.bytes;
  Put<std::uint32_t>(bytes, 12, persist::kSchemaV10);
  Reseal(bytes);
  std::string path;
  Status status = ReadDamaged(dir, bytes, &path);
  CHECK(status.code() == ErrorCode::kCorruption);
  CHECK(status.message().starts_with(path + ": payload at offset 80: snapshot (schema v1.0): "));
}

TEST_CASE("a v1.0 payload labelled v1.2 is refused, even with valid checksums") {
  std::string bytes = ReadFile(kDataDir + "/registry-v1.0.snapshot");
  Put<std::uint32_t>(bytes, 12, persist::kSchemaV12);
  Reseal(bytes);
  TempDir dir;
  std::string path;
  Status status = ReadDamaged(dir, bytes, &path);
  CHECK(status.code() == ErrorCode::kCorruption);
  CHECK(status.message().starts_with(path + ": payload at offset 80: snapshot (schema v1.2): "));
}

TEST_CASE("a v1.0 file that breaks a rule is an integrity violation") {
  std::vector<User> users = V10Users();
  users[1].email = "ANN@example.com";  // emails are unique ignoring case
  std::string payload = EncodeV10Payload(V10Clients(), users, V10Links());
  TempDir dir;
  std::string path = dir.Path("v10-duplicate.snapshot");
  REQUIRE_OK(WriteSnapshotFile(path, persist::kSchemaV10, 7, TableCounts{0, 0, 3, 4, 5}, payload));
  Status status = VerifySnapshotFile(path).status();
  CHECK(status.code() == ErrorCode::kCorruption);
  CHECK(status.message().starts_with(path + ": integrity violation: duplicate: user: "));
}

TEST_CASE("random damage anywhere in a file is refused or harmless, never a crash") {
  TempDir dir;
  GoodFile good(dir);
  const unsigned seed = 1129;
  INFO("seed ", seed);
  std::mt19937 random(seed);
  for (int round = 0; round < 200; ++round) {
    std::string bytes = good.bytes;
    bytes[random() % bytes.size()] = static_cast<char>(random());
    if (round % 2 == 1) Reseal(bytes);  // damage that the checksums cannot see
    std::string path;
    (void)ReadDamaged(dir, bytes, &path);
  }
}

TEST_CASE("the checked-in v1.2 fixture still loads with every field") {
  StatusOr<persist::LoadedSnapshot> loaded = ReadSnapshotFile(kDataDir + "/registry-v1.2.snapshot");
  REQUIRE_OK(loaded);
  CHECK(loaded->info.schema_version == 102);
  CHECK(loaded->info.sequence == 2);
  CheckSameRows(SortedRows(loaded->registry->Read()), SortedRows(FixedRegistry()->Read()));
}

TEST_CASE("the checked-in v1.0 fixture loads and migrates: clients without organizations") {
  StatusOr<persist::LoadedSnapshot> loaded = ReadSnapshotFile(kDataDir + "/registry-v1.0.snapshot");
  REQUIRE_OK(loaded);
  CHECK(loaded->info.schema_version == 100);
  CHECK(loaded->info.sequence == 7);
  CHECK(loaded->info.counts == TableCounts{0, 0, 3, 4, 5});
  RegistryRows rows = SortedRows(loaded->registry->Read());
  REQUIRE(rows.clients.size() == 3);
  for (const Client& client : rows.clients) CHECK(client.threecolts_organization_id == kNoId);
  CHECK(rows.clients[2] == MakeClient(3, kNoId, "ACC-3", RecordStatus::kDisabled));
  CHECK(rows.users == V10Users());
  CHECK(rows.links == V10Links());
  CHECK(rows.next_client_id == 4);

  View view = loaded->registry->Read();
  AccessDecision decision =
      view.Resolve({.account_external_id = "ACC-2", .user_external_id = "U-4"});
  CHECK(decision.allowed());
  CHECK(decision.account->db_password == "s3cret-2");
  CHECK(view.ClientsOfOrganization(kNoId).size() == 3);
}

TEST_CASE("a migrated v1.0 registry saves as v1.2 and reads back the same") {
  TempDir dir;
  StatusOr<persist::LoadedSnapshot> v10 = ReadSnapshotFile(kDataDir + "/registry-v1.0.snapshot");
  REQUIRE_OK(v10);
  std::string path = dir.Path("migrated.snapshot");
  REQUIRE_OK(WriteSnapshotFile(v10->registry->Read(), path));
  StatusOr<persist::LoadedSnapshot> v12 = ReadSnapshotFile(path);
  REQUIRE_OK(v12);
  CHECK(v12->info.schema_version == 102);
  CHECK(v12->info.sequence == 7);
  CheckSameRows(SortedRows(v12->registry->Read()), SortedRows(v10->registry->Read()));
}

// Writes the fixtures under tests/data. Run by hand only when adding a new
// format's fixture (existing fixtures must stay as released):
//   snapshot_file_test --no-skip -tc="*generates the checked-in fixtures*"
TEST_CASE("generates the checked-in fixtures" * doctest::skip()) {
  std::string payload = EncodeV10Payload(V10Clients(), V10Users(), V10Links());
  REQUIRE_OK(WriteSnapshotFile(kDataDir + "/registry-v1.0.snapshot", persist::kSchemaV10, 7,
                               TableCounts{0, 0, 3, 4, 5}, payload));
  REQUIRE_OK(WriteSnapshotFile(FixedRegistry()->Read(), kDataDir + "/registry-v1.2.snapshot"));
}
