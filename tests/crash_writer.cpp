// A child process for the store's multi-process tests (crash_test,
// store_test). Modes:
//
//   crash_writer write DIR COMPACT_EVERY SYNC
//     Opens DIR (SYNC: "full" or "nosync") and applies numbered batches forever. Batch k inserts
//     user k, client k ("ACC-k", no organization) and the link (k, k). After Apply returns it
//     writes "k\n" to stdout: batch k is acknowledged. With COMPACT_EVERY > 0 it also compacts
//     every that many batches, and automatic compaction runs after nearly every batch. Meant to be
//     killed.
//
//   crash_writer group DIR SYNC
//     As write, but applies the numbered batches in groups of 1 to 4 through
//     Store::ApplyGroup, batch k with source state "after k"; after each
//     group it writes the group's last k. Automatic compaction runs on the
//     store's own thread (background_compaction, as `hubreg follow`), due
//     after nearly every group. Meant to be killed.
//
//   crash_writer reader DIR
//     Opens DIR read-only, then for each line on stdin ("refresh") refreshes
//     and answers "<status code> <last sequence> <users>\n"; exits at EOF.
//
//   crash_writer hold-read DIR
//     Opens DIR's LMDB environment and begins a read transaction (taking a
//     reader slot), prints "ready\n" and waits to be killed.
//
//   crash_writer hold-open DIR
//     The same without the read transaction: keeps the environment open.
//
//   crash_writer pin DIR
//     As hold-read, but for each line on stdin: "release" ends the read
//     transaction and answers "released", "hold" begins one again and
//     answers "held"; exits at EOF.
//
//   crash_writer copy-kill DIR STEP
//     Opens DIR for writing with copying compaction at every compaction,
//     applies and acknowledges numbered batches (as write) up to 40, then
//     compacts, and kills itself with SIGKILL when the copying compaction
//     reaches STEP (copy_compaction.h: copied, prepared, exchanged); "none"
//     lets it finish and prints "done".
//
//   crash_writer check DIR
//     Opens DIR (as a writer would) and verifies it, then prints either
//     "ok <sequence> <fingerprint of every row>" or "error <code>: <message>".
//     A crash shows as death by a signal.
#include <lmdb.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <utility>
#include <vector>

#include "copy_compaction.h"
#include "hubreg/store.h"

namespace {

void WriteLine(const std::string& line) {
  std::string text = line + "\n";
  // write(2), not stdio: an acknowledgement must leave the process before
  // the next batch starts, whatever buffering stdout has.
  const char* data = text.data();
  std::size_t left = text.size();
  while (left > 0) {
    ssize_t n = ::write(STDOUT_FILENO, data, left);
    if (n <= 0) std::_Exit(3);
    data += n;
    left -= static_cast<std::size_t>(n);
  }
}

int Fail(const hubreg::Status& status) {
  std::fprintf(stderr, "crash_writer: %s\n", status.ToString().c_str());
  return 2;
}

hubreg::Batch NumberedBatch(hubreg::Id k) {
  hubreg::User user;
  user.id = k;
  user.external_id = "U-" + std::to_string(k);
  user.email = "u" + std::to_string(k) + "@example.com";
  user.name = "User " + std::to_string(k);
  hubreg::Client client;
  client.id = k;
  client.external_id = "ACC-" + std::to_string(k);
  client.name = "Account " + std::to_string(k);
  client.db_host = "db.internal";
  client.db_port = 5432;
  client.db_name = "account_" + std::to_string(k);
  client.db_user = "svc";
  client.db_password = "pw-" + std::to_string(k);
  hubreg::Batch batch;
  batch.Insert(user).Insert(client).Link(k, k);
  return batch;
}

int Write(const std::string& dir, int compact_every, const std::string& sync) {
  hubreg::StoreOptions options;
  options.path = dir;
  options.sync = sync == "nosync" ? hubreg::SyncMode::kNoSync : hubreg::SyncMode::kFull;
  options.initial_map_size = 1u << 20;  // small, so that kills land during map growth too
  if (compact_every > 0) options.min_journal_bytes = 1;
  auto store = hubreg::Store::Open(options);
  if (!store.ok()) return Fail(store.status());
  for (hubreg::Id k = (*store)->registry().Read().counts().users + 1;; ++k) {
    auto result = (*store)->Apply(NumberedBatch(k));
    if (!result.ok()) return Fail(result.status());
    WriteLine(std::to_string(k));
    if (compact_every > 0 && k % static_cast<hubreg::Id>(compact_every) == 0) {
      hubreg::Status compacted = (*store)->Compact();
      if (!compacted.ok()) return Fail(compacted);
    }
  }
}

int WriteGroups(const std::string& dir, const std::string& sync) {
  hubreg::StoreOptions options;
  options.path = dir;
  options.sync = sync == "nosync" ? hubreg::SyncMode::kNoSync : hubreg::SyncMode::kFull;
  options.initial_map_size = 1u << 20;
  // As a follower's store: compactions on the store's own thread, due after
  // nearly every group, so kills land in them while groups are committed.
  options.background_compaction = true;
  options.min_journal_bytes = 1;
  auto store = hubreg::Store::Open(options);
  if (!store.ok()) return Fail(store.status());
  hubreg::Id next = (*store)->registry().Read().counts().users + 1;
  for (hubreg::Id group = 0;; ++group) {
    std::vector<hubreg::Batch> batches;
    std::vector<std::string> states;
    for (hubreg::Id i = 0; i <= group % 4; ++i, ++next) {
      batches.push_back(NumberedBatch(next));
      states.push_back("after " + std::to_string(next));
    }
    auto result = (*store)->ApplyGroup(batches, states);
    if (!result.status.ok()) return Fail(result.status);
    WriteLine(std::to_string(next - 1));
  }
}

int Read(const std::string& dir) {
  hubreg::StoreOptions options;
  options.path = dir;
  options.read_only = true;
  auto store = hubreg::Store::Open(options);
  if (!store.ok()) return Fail(store.status());
  std::string line;
  while (std::getline(std::cin, line)) {
    hubreg::Status refreshed = (*store)->Refresh();
    hubreg::View view = (*store)->Read();
    WriteLine(std::to_string(static_cast<int>(refreshed.code())) + " " +
              std::to_string(view.sequence()) + " " + std::to_string(view.counts().users));
  }
  return 0;
}

// A hash over every field of every row, in id order.
std::size_t Fingerprint(const hubreg::View& view) {
  std::vector<const hubreg::User*> users;
  std::vector<const hubreg::Client*> clients;
  std::vector<std::pair<hubreg::Id, hubreg::Id>> links;
  for (const hubreg::User& user : view.Rows<hubreg::User>()) users.push_back(&user);
  for (const hubreg::Client& client : view.Rows<hubreg::Client>()) clients.push_back(&client);
  for (const hubreg::ClientUserLink& link : view.Rows<hubreg::ClientUserLink>())
    links.emplace_back(link.client_id, link.user_id);
  auto by_id = [](const auto* a, const auto* b) { return a->id < b->id; };
  std::sort(users.begin(), users.end(), by_id);
  std::sort(clients.begin(), clients.end(), by_id);
  std::sort(links.begin(), links.end());
  std::string text;
  for (const hubreg::User* u : users) {
    text += std::to_string(u->id) + u->external_id + u->email + u->name +
            std::to_string(static_cast<int>(u->status)) +
            std::to_string(u->created_at.time_since_epoch().count()) + "\n";
  }
  for (const hubreg::Client* c : clients) {
    text += std::to_string(c->id) + std::to_string(c->threecolts_organization_id) + c->external_id +
            c->name + c->db_host + std::to_string(c->db_port) + c->db_name + c->db_user +
            c->db_password.Reveal() + std::to_string(static_cast<int>(c->status)) + "\n";
  }
  for (const auto& [client, user] : links)
    text += std::to_string(client) + "-" + std::to_string(user) + "\n";
  return std::hash<std::string>()(text);
}

int Check(const std::string& dir) {
  hubreg::StoreOptions options;
  options.path = dir;
  options.create_if_missing = false;
  auto store = hubreg::Store::Open(options);
  hubreg::Status status = store.ok() ? (*store)->Verify() : store.status();
  if (!status.ok()) {
    WriteLine("error " + status.ToString());
    return 0;
  }
  hubreg::View view = (*store)->Read();
  WriteLine("ok " + std::to_string(view.sequence()) + " " + std::to_string(Fingerprint(view)));
  return 0;
}

int Hold(const std::string& dir, bool read) {
  MDB_env* env = nullptr;
  MDB_txn* txn = nullptr;
  if (mdb_env_create(&env) != 0 || mdb_env_set_maxdbs(env, 4) != 0 ||
      mdb_env_open(env, dir.c_str(), MDB_RDONLY | MDB_NOTLS, 0600) != 0 ||
      (read && mdb_txn_begin(env, nullptr, MDB_RDONLY, &txn) != 0)) {
    std::fprintf(stderr, "crash_writer: cannot open a read transaction in %s\n", dir.c_str());
    return 2;
  }
  WriteLine("ready");
  for (;;) ::pause();
}

int Pin(const std::string& dir) {
  MDB_env* env = nullptr;
  MDB_txn* txn = nullptr;
  if (mdb_env_create(&env) != 0 || mdb_env_set_maxdbs(env, 4) != 0 ||
      mdb_env_open(env, dir.c_str(), MDB_RDONLY | MDB_NOTLS, 0600) != 0 ||
      mdb_txn_begin(env, nullptr, MDB_RDONLY, &txn) != 0) {
    std::fprintf(stderr, "crash_writer: cannot open a read transaction in %s\n", dir.c_str());
    return 2;
  }
  WriteLine("ready");
  std::string line;
  while (std::getline(std::cin, line)) {
    if (line == "release" && txn != nullptr) {
      mdb_txn_abort(txn);
      txn = nullptr;
      WriteLine("released");
    } else if (line == "hold" && txn == nullptr) {
      if (mdb_txn_begin(env, nullptr, MDB_RDONLY, &txn) != 0) return 2;
      WriteLine("held");
    } else {
      WriteLine("?");
    }
  }
  if (txn != nullptr) mdb_txn_abort(txn);
  mdb_env_close(env);
  return 0;
}

int CopyKill(const std::string& dir, const std::string& step) {
  hubreg::persist::SetCopyStepHook([step](std::string_view reached) {
    if (reached == step) ::raise(SIGKILL);
  });
  hubreg::StoreOptions options;
  options.path = dir;
  options.copy_compaction_ratio = 1;  // any free page is reason enough
  options.copy_compaction_min_free_bytes = 0;
  options.copy_compaction_interval = std::chrono::seconds(0);
  auto store = hubreg::Store::Open(options);
  if (!store.ok()) return Fail(store.status());
  for (hubreg::Id k = (*store)->registry().Read().counts().users + 1; k <= 40; ++k) {
    auto result = (*store)->Apply(NumberedBatch(k));
    if (!result.ok()) return Fail(result.status());
    WriteLine(std::to_string(k));
  }
  hubreg::Status compacted = (*store)->Compact();
  if (!compacted.ok()) return Fail(compacted);
  if ((*store)->Stats().copies != 1)
    return Fail(hubreg::Status::Io("no copying compaction was made"));
  WriteLine("done");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 2 ? argv[1] : "";
  if (mode == "write" && argc == 5) return Write(argv[2], std::atoi(argv[3]), argv[4]);
  if (mode == "group" && argc == 4) return WriteGroups(argv[2], argv[3]);
  if (mode == "reader" && argc == 3) return Read(argv[2]);
  if (mode == "hold-read" && argc == 3) return Hold(argv[2], /*read=*/true);
  if (mode == "hold-open" && argc == 3) return Hold(argv[2], /*read=*/false);
  if (mode == "check" && argc == 3) return Check(argv[2]);
  if (mode == "pin" && argc == 3) return Pin(argv[2]);
  if (mode == "copy-kill" && argc == 4) return CopyKill(argv[2], argv[3]);
  std::fprintf(stderr,
               "usage: crash_writer write DIR COMPACT_EVERY full|nosync | group DIR full|nosync | "
               "reader DIR | "
               "hold-read DIR | hold-open DIR | check DIR | pin DIR | copy-kill DIR STEP\n");
  return 1;
}
