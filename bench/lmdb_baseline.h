// Internal to the benchmark program: the registry as a hand-built LMDB
// layout, read with mdb_get and cursors inside one read transaction, the
// baseline of a service that keeps its data in LMDB and reads it directly.
//
// Layout: one database per table keyed by native 8-byte id (MDB_INTEGERKEY),
// values packed as [id][fields...][u16 length + bytes per string]; one
// database per unique string key (external ids; emails folded to lower case)
// mapping to the id; user->clients and client->users as MDB_DUPSORT
// databases of fixed-size ids.
#pragma once

#include <lmdb.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "hubreg/registry.h"
#include "temp_directory.h"

namespace hubreg::bench {

class LmdbRegistry {
 public:
  // Writes `rows` into a new environment in a temporary directory, removed by
  // the destructor. Aborts the program on any LMDB error.
  explicit LmdbRegistry(const RegistryRows& rows);
  ~LmdbRegistry();
  LmdbRegistry(const LmdbRegistry&) = delete;
  LmdbRegistry& operator=(const LmdbRegistry&) = delete;

  // A read transaction with one cursor per dup-sorted database, as a reader
  // thread would keep between requests. One thread at a time.
  class Reader {
   public:
    explicit Reader(const LmdbRegistry& registry);
    ~Reader();
    Reader(const Reader&) = delete;
    Reader& operator=(const Reader&) = delete;

    // Same contract as SqliteRegistry's: the id found (0: none), or for the
    // joins the sum of ids visited after reading the fields a caller uses.
    Id FindUser(Id id);
    Id FindUserByExternalId(std::string_view external_id);
    Id FindUserByEmail(std::string_view email);
    Id OwnerOfOrganization(Id organization_id);
    std::uint64_t ClientsOfUser(Id user_id);
    std::uint64_t UsersOfClient(Id client_id);
    Id Resolve(std::string_view account_external_id, std::string_view user_external_id);

   private:
    const LmdbRegistry& registry_;
    MDB_txn* txn_ = nullptr;
    MDB_cursor* clients_of_user_ = nullptr;
    MDB_cursor* users_of_client_ = nullptr;
  };

 private:
  std::unique_ptr<test::TempDir> directory_;
  MDB_env* env_ = nullptr;
  MDB_dbi users_ = 0, user_by_external_id_ = 0, user_by_email_ = 0, clients_ = 0,
          client_by_external_id_ = 0, organizations_ = 0, clients_of_user_ = 0,
          users_of_client_ = 0;
};

}  // namespace hubreg::bench
