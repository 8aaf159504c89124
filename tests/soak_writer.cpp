// A steady writer for the soak test (tests/soak_test.cpp) and scripts/soak.sh:
// commits single-mutation batches to a data directory with automatic
// compaction on and reports, every few batches, what the writer costs on
// disk and in memory.
//
//   soak_writer DIR [--users=N] [--batches=N] [--seconds=S] [--sample=N] [--sync=nosync|full]
//                   [--min-journal-bytes=N]
//
// A DIR without a registry first gets a generated one (hubreg::gen, the
// ratios of size S/M/L scaled to N users; default 10,000 = size S). Then it
// renames random users (one UpdateRow<User> per batch) until N batches (0:
// no limit) or S seconds (0: no limit) have passed, whichever comes first.
// Every --sample batches (and once at the end) it writes one CSV line to
// stdout, after a header line:
//
//   seconds,batches,file_bytes,map_size,map_used,rss_bytes,rss_anon_bytes,rss_file_bytes,
//   batches_per_second,compactions,snapshot_bytes,journal_bytes,feed_window_bytes,copies
//
// file_bytes is data.mdb's size, rss_* come from /proc/self/status (RssAnon:
// the process's own memory; RssFile: mapped file pages, LMDB's map among
// them), batches_per_second is the rate since the previous line.
// journal_bytes counts the entries after the snapshot (StoreStats), and
// feed_window_bytes the change feed's window that compaction keeps before
// it (the store's defaults, feed_retention_batches entries of the journal's
// mean size, at most feed_retention_bytes). copies counts the copying
// compactions (StoreStats::copies). Exits 0 when done, 2 (with the
// error on stderr) when anything fails.
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <random>
#include <string>
#include <string_view>

#include "hubreg/generator.h"
#include "hubreg/store.h"

namespace {

struct Args {
  std::string dir;
  std::size_t users = 10'000;
  std::uint64_t batches = 0;
  double seconds = 0;
  std::uint64_t sample = 10'000;
  hubreg::SyncMode sync = hubreg::SyncMode::kNoSync;
  std::uint64_t min_journal_bytes = hubreg::StoreOptions().min_journal_bytes;
};

bool Parse(int argc, char** argv, Args* args) {
  if (argc < 2) return false;
  args->dir = argv[1];
  for (int i = 2; i < argc; ++i) {
    const std::string_view arg = argv[i];
    const std::size_t equals = arg.find('=');
    if (equals == std::string_view::npos) return false;
    const std::string_view name = arg.substr(0, equals);
    const std::string value(arg.substr(equals + 1));
    if (name == "--users") {
      args->users = std::stoull(value);
    } else if (name == "--batches") {
      args->batches = std::stoull(value);
    } else if (name == "--seconds") {
      args->seconds = std::stod(value);
    } else if (name == "--sample") {
      args->sample = std::max<std::uint64_t>(1, std::stoull(value));
    } else if (name == "--min-journal-bytes") {
      args->min_journal_bytes = std::stoull(value);
    } else if (name == "--sync" && (value == "nosync" || value == "full")) {
      args->sync = value == "full" ? hubreg::SyncMode::kFull : hubreg::SyncMode::kNoSync;
    } else {
      return false;
    }
  }
  return args->users > 0;
}

int Fail(const hubreg::Status& status) {
  std::fprintf(stderr, "soak_writer: %s\n", status.ToString().c_str());
  return 2;
}

struct Memory {
  std::uint64_t rss = 0;
  std::uint64_t anon = 0;
  std::uint64_t file = 0;
};

Memory ReadMemory() {
  Memory memory;
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    // Lines look like "VmRSS:	   12345 kB".
    const auto kilobytes = [&] { return std::stoull(line.substr(line.find(':') + 1)) * 1024; };
    if (line.starts_with("VmRSS:")) memory.rss = kilobytes();
    if (line.starts_with("RssAnon:")) memory.anon = kilobytes();
    if (line.starts_with("RssFile:")) memory.file = kilobytes();
  }
  return memory;
}

std::uint64_t FileBytes(const std::string& path) {
  struct stat info {};
  return ::stat(path.c_str(), &info) == 0 ? static_cast<std::uint64_t>(info.st_size) : 0;
}

// The generator's ratios (per 1,000 users: 100 accounts, 5 organizations,
// 3,000 links), committed as one batch.
hubreg::Status LoadGenerated(hubreg::Store& store, std::size_t users) {
  hubreg::gen::GeneratorOptions options = hubreg::gen::SizeS();
  options.users = users;
  options.clients = std::max<std::size_t>(1, users / 10);
  options.organizations = std::max<std::size_t>(1, users / 200);
  options.links = users * 3;
  hubreg::RegistryRows rows = hubreg::gen::Generate(options);
  hubreg::Batch batch;
  for (const hubreg::App& row : rows.apps) batch.Insert(row);
  for (const hubreg::User& row : rows.users) batch.Insert(row);
  for (const hubreg::Organization& row : rows.organizations) batch.Insert(row);
  for (const hubreg::Client& row : rows.clients) batch.Insert(row);
  for (const hubreg::ClientUserLink& row : rows.links) batch.Insert(row);
  return store.Apply(batch).status();
}

int Run(const Args& args) {
  hubreg::StoreOptions options;
  options.path = args.dir;
  options.sync = args.sync;
  options.min_journal_bytes = args.min_journal_bytes;
  auto opened = hubreg::Store::Open(options);
  if (!opened.ok()) return Fail(opened.status());
  hubreg::Store& store = **opened;
  if (store.Read().counts().users == 0) {
    hubreg::Status loaded = LoadGenerated(store, args.users);
    if (!loaded.ok()) return Fail(loaded);
  }
  const std::size_t users = store.Read().counts().users;
  const std::string data_file = args.dir + "/data.mdb";

  std::mt19937_64 random(42);
  std::uniform_int_distribution<hubreg::Id> pick(1, users);
  using Clock = std::chrono::steady_clock;
  const Clock::time_point start = Clock::now();
  Clock::time_point last_time = start;
  std::uint64_t last_batches = 0;
  std::uint64_t entry_bytes = 0;  // the journal entries' mean size, once there are any
  std::printf(
      "seconds,batches,file_bytes,map_size,map_used,rss_bytes,rss_anon_bytes,rss_file_bytes,"
      "batches_per_second,compactions,snapshot_bytes,journal_bytes,feed_window_bytes,copies\n");
  std::fflush(stdout);
  auto sample = [&](std::uint64_t batches) {
    const Clock::time_point now = Clock::now();
    const double interval = std::chrono::duration<double>(now - last_time).count();
    const double rate = interval > 0 ? static_cast<double>(batches - last_batches) / interval : 0.0;
    const hubreg::StoreStats stats = store.Stats();
    const Memory memory = ReadMemory();
    // Every batch renames one user: the journal's entries are all about the
    // same size, so its mean sizes the window's entries as well.
    if (stats.journal_batches != 0) entry_bytes = stats.journal_bytes / stats.journal_batches;
    const std::uint64_t feed_window =
        std::min(options.feed_retention_bytes, options.feed_retention_batches * entry_bytes);
    std::printf("%.3f,%llu,%llu,%llu,%llu,%llu,%llu,%llu,%.0f,%llu,%llu,%llu,%llu,%llu\n",
                std::chrono::duration<double>(now - start).count(),
                static_cast<unsigned long long>(batches),
                static_cast<unsigned long long>(FileBytes(data_file)),
                static_cast<unsigned long long>(stats.map_size),
                static_cast<unsigned long long>(stats.map_used),
                static_cast<unsigned long long>(memory.rss),
                static_cast<unsigned long long>(memory.anon),
                static_cast<unsigned long long>(memory.file), rate,
                static_cast<unsigned long long>(stats.compactions),
                static_cast<unsigned long long>(stats.snapshot_bytes),
                static_cast<unsigned long long>(stats.journal_bytes),
                static_cast<unsigned long long>(feed_window),
                static_cast<unsigned long long>(stats.copies));
    std::fflush(stdout);
    last_time = now;
    last_batches = batches;
  };

  std::uint64_t batches = 0;
  for (;;) {
    if (args.batches != 0 && batches >= args.batches) break;
    if (args.seconds > 0 && batches % 1000 == 0 &&
        std::chrono::duration<double>(Clock::now() - start).count() >= args.seconds) {
      break;
    }
    const hubreg::Id id = pick(random);
    hubreg::User user;
    {
      hubreg::View view = store.Read();
      const hubreg::User* found = view.FindUser(id);
      if (found == nullptr) return Fail(hubreg::Status::NotFound("user " + std::to_string(id)));
      user = *found;
    }
    user.name = "User " + std::to_string(id) + " rename " + std::to_string(batches);
    auto applied = store.Apply(hubreg::Batch().Update(std::move(user)));
    if (!applied.ok()) return Fail(applied.status());
    ++batches;
    if (batches % args.sample == 0) sample(batches);
  }
  if (batches % args.sample != 0) sample(batches);
  const hubreg::StoreStats stats = store.Stats();
  if (!stats.last_compaction_error.empty()) {
    return Fail(hubreg::Status::Io("automatic compaction failed: " + stats.last_compaction_error));
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  bool parsed = false;
  try {
    parsed = Parse(argc, argv, &args);
  } catch (const std::exception&) {  // a number that is not one
  }
  if (!parsed) {
    std::fprintf(stderr,
                 "usage: soak_writer DIR [--users=N] [--batches=N] [--seconds=S] [--sample=N] "
                 "[--sync=nosync|full] [--min-journal-bytes=N]\n");
    return 1;
  }
  return Run(args);
}
