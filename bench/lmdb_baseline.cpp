#include "lmdb_baseline.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <utility>
#include <vector>

namespace hubreg::bench {
namespace {

void Check(int rc, const char* call) {
  if (rc == MDB_SUCCESS) return;
  std::fprintf(stderr, "hubreg_bench: lmdb: %s: %s\n", call, mdb_strerror(rc));
  std::abort();
}

MDB_val Val(const void* data, std::size_t size) { return MDB_val{size, const_cast<void*>(data)}; }
MDB_val Val(const Id& id) { return Val(&id, sizeof id); }
MDB_val Val(std::string_view text) { return Val(text.data(), text.size()); }

std::string Lower(std::string_view text) {
  std::string lower(text);
  for (char& c : lower) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
  }
  return lower;
}

// Packs fixed-size fields as bytes and strings as u16 length + bytes.
class Packer {
 public:
  template <typename T>
  Packer& Fixed(const T& value) {
    const auto* bytes = reinterpret_cast<const char*>(&value);
    data_.append(bytes, sizeof value);
    return *this;
  }
  Packer& Text(std::string_view text) {
    Fixed(static_cast<std::uint16_t>(text.size()));
    data_.append(text);
    return *this;
  }
  const std::string& data() const { return data_; }

 private:
  std::string data_;
};

template <typename T>
T Load(const MDB_val& value, std::size_t offset) {
  T out;
  std::memcpy(&out, static_cast<const char*>(value.mv_data) + offset, sizeof out);
  return out;
}

// Offsets in the packed rows that the readers use.
constexpr std::size_t kUserStatus = 8;          // user: [id][status]...
constexpr std::size_t kOrganizationOwner = 16;  // organization: [id][app][owner]...
constexpr std::size_t kClientStatus = 16;       // client: [id][organization][status][port]...
constexpr std::size_t kClientPort = 17;

// Puts keys in order with MDB_APPEND: much faster than random inserts.
void PutSorted(MDB_txn* txn, MDB_dbi dbi, std::vector<std::pair<std::string, Id>> entries) {
  std::sort(entries.begin(), entries.end());
  for (const auto& [key, id] : entries) {
    MDB_val k = Val(key), v = Val(id);
    Check(mdb_put(txn, dbi, &k, &v, MDB_APPEND), "mdb_put (index)");
  }
}

void PutPairs(MDB_txn* txn, MDB_dbi dbi, std::vector<std::pair<Id, Id>> pairs) {
  std::sort(pairs.begin(), pairs.end());
  for (const auto& [key, value] : pairs) {
    MDB_val k = Val(key), v = Val(value);
    Check(mdb_put(txn, dbi, &k, &v, MDB_APPENDDUP), "mdb_put (links)");
  }
}

}  // namespace

LmdbRegistry::LmdbRegistry(const RegistryRows& rows) : directory_(ScratchDirectory("lmdb")) {
  Check(mdb_env_create(&env_), "mdb_env_create");
  Check(mdb_env_set_maxdbs(env_, 16), "mdb_env_set_maxdbs");
  Check(mdb_env_set_mapsize(env_, std::size_t{16} << 30), "mdb_env_set_mapsize");
  Check(mdb_env_open(env_, directory_->path().c_str(), MDB_NOSYNC | MDB_NOTLS, 0600),
        "mdb_env_open");

  MDB_txn* txn = nullptr;
  Check(mdb_txn_begin(env_, nullptr, 0, &txn), "mdb_txn_begin");
  auto open = [&](const char* name, unsigned flags) {
    MDB_dbi dbi = 0;
    Check(mdb_dbi_open(txn, name, flags | MDB_CREATE, &dbi), "mdb_dbi_open");
    return dbi;
  };
  users_ = open("user", MDB_INTEGERKEY);
  user_by_external_id_ = open("user_by_external_id", 0);
  user_by_email_ = open("user_by_email", 0);
  clients_ = open("client", MDB_INTEGERKEY);
  client_by_external_id_ = open("client_by_external_id", 0);
  organizations_ = open("organization", MDB_INTEGERKEY);
  const unsigned kDupIds = MDB_INTEGERKEY | MDB_DUPSORT | MDB_DUPFIXED | MDB_INTEGERDUP;
  clients_of_user_ = open("clients_of_user", kDupIds);
  users_of_client_ = open("users_of_client", kDupIds);

  // Rows come with ascending ids, so MDB_APPEND applies.
  for (const User& row : rows.users) {
    Packer p;
    p.Fixed(row.id).Fixed(row.status).Fixed(row.created_at).Fixed(row.updated_at);
    p.Text(row.external_id).Text(row.email).Text(row.name);
    MDB_val k = Val(row.id), v = Val(p.data());
    Check(mdb_put(txn, users_, &k, &v, MDB_APPEND), "mdb_put (user)");
  }
  for (const Organization& row : rows.organizations) {
    Packer p;
    p.Fixed(row.id).Fixed(row.threecolts_app_id).Fixed(row.organization_owner_id);
    p.Fixed(row.created_at).Fixed(row.updated_at).Text(row.external_id).Text(row.name);
    MDB_val k = Val(row.id), v = Val(p.data());
    Check(mdb_put(txn, organizations_, &k, &v, MDB_APPEND), "mdb_put (organization)");
  }
  for (const Client& row : rows.clients) {
    Packer p;
    p.Fixed(row.id).Fixed(row.threecolts_organization_id).Fixed(row.status).Fixed(row.db_port);
    p.Fixed(row.created_at).Fixed(row.updated_at).Text(row.external_id).Text(row.name);
    p.Text(row.db_host).Text(row.db_name).Text(row.db_user).Text(row.db_password.Reveal());
    MDB_val k = Val(row.id), v = Val(p.data());
    Check(mdb_put(txn, clients_, &k, &v, MDB_APPEND), "mdb_put (client)");
  }
  std::vector<std::pair<std::string, Id>> entries;
  for (const User& row : rows.users) entries.emplace_back(row.external_id, row.id);
  PutSorted(txn, user_by_external_id_, std::move(entries));
  entries.clear();
  for (const User& row : rows.users) entries.emplace_back(Lower(row.email), row.id);
  PutSorted(txn, user_by_email_, std::move(entries));
  entries.clear();
  for (const Client& row : rows.clients) entries.emplace_back(row.external_id, row.id);
  PutSorted(txn, client_by_external_id_, std::move(entries));
  std::vector<std::pair<Id, Id>> pairs;
  for (const ClientUserLink& link : rows.links) pairs.emplace_back(link.user_id, link.client_id);
  PutPairs(txn, clients_of_user_, pairs);
  for (auto& [first, second] : pairs) std::swap(first, second);
  PutPairs(txn, users_of_client_, std::move(pairs));
  Check(mdb_txn_commit(txn), "mdb_txn_commit");
}

LmdbRegistry::~LmdbRegistry() { mdb_env_close(env_); }

LmdbRegistry::Reader::Reader(const LmdbRegistry& registry) : registry_(registry) {
  Check(mdb_txn_begin(registry.env_, nullptr, MDB_RDONLY, &txn_), "mdb_txn_begin (read)");
  Check(mdb_cursor_open(txn_, registry.clients_of_user_, &clients_of_user_), "mdb_cursor_open");
  Check(mdb_cursor_open(txn_, registry.users_of_client_, &users_of_client_), "mdb_cursor_open");
}

LmdbRegistry::Reader::~Reader() {
  mdb_cursor_close(clients_of_user_);
  mdb_cursor_close(users_of_client_);
  mdb_txn_abort(txn_);
}

namespace {

bool Get(MDB_txn* txn, MDB_dbi dbi, MDB_val key, MDB_val& value) {
  const int rc = mdb_get(txn, dbi, &key, &value);
  if (rc == MDB_NOTFOUND) return false;
  Check(rc, "mdb_get");
  return true;
}

// Follows an index entry (key -> id) to the row, as a reader must.
bool GetThroughIndex(MDB_txn* txn, MDB_dbi index, MDB_dbi table, MDB_val key, MDB_val& row) {
  MDB_val id;
  return Get(txn, index, key, id) && Get(txn, table, id, row);
}

// Walks the duplicates of `key`, fetching each target row; sums target ids.
std::uint64_t Join(MDB_txn* txn, MDB_cursor* cursor, MDB_dbi targets, Id key) {
  MDB_val k = Val(key), v;
  std::uint64_t sum = 0;
  int rc = mdb_cursor_get(cursor, &k, &v, MDB_SET_KEY);
  while (rc == MDB_SUCCESS) {
    MDB_val row;
    if (Get(txn, targets, v, row)) sum += Load<Id>(row, 0) + Load<std::uint8_t>(row, 8);
    rc = mdb_cursor_get(cursor, &k, &v, MDB_NEXT_DUP);
  }
  if (rc != MDB_NOTFOUND) Check(rc, "mdb_cursor_get");
  return sum;
}

}  // namespace

Id LmdbRegistry::Reader::FindUser(Id id) {
  MDB_val row;
  return Get(txn_, registry_.users_, Val(id), row) ? Load<Id>(row, 0) : 0;
}

Id LmdbRegistry::Reader::FindUserByExternalId(std::string_view external_id) {
  MDB_val row;
  return GetThroughIndex(txn_, registry_.user_by_external_id_, registry_.users_, Val(external_id),
                         row)
             ? Load<Id>(row, 0)
             : 0;
}

Id LmdbRegistry::Reader::FindUserByEmail(std::string_view email) {
  char folded[256];
  if (email.size() > sizeof folded) return 0;
  for (std::size_t i = 0; i < email.size(); ++i) {
    const char c = email[i];
    folded[i] = (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
  }
  MDB_val row;
  return GetThroughIndex(txn_, registry_.user_by_email_, registry_.users_,
                         Val(folded, email.size()), row)
             ? Load<Id>(row, 0)
             : 0;
}

Id LmdbRegistry::Reader::OwnerOfOrganization(Id organization_id) {
  MDB_val organization, user;
  if (!Get(txn_, registry_.organizations_, Val(organization_id), organization)) return 0;
  const Id owner = Load<Id>(organization, kOrganizationOwner);
  return Get(txn_, registry_.users_, Val(owner), user) ? Load<Id>(user, 0) : 0;
}

std::uint64_t LmdbRegistry::Reader::ClientsOfUser(Id user_id) {
  return Join(txn_, clients_of_user_, registry_.clients_, user_id);
}

std::uint64_t LmdbRegistry::Reader::UsersOfClient(Id client_id) {
  return Join(txn_, users_of_client_, registry_.users_, client_id);
}

Id LmdbRegistry::Reader::Resolve(std::string_view account_external_id,
                                 std::string_view user_external_id) {
  MDB_val client, user;
  if (!GetThroughIndex(txn_, registry_.client_by_external_id_, registry_.clients_,
                       Val(account_external_id), client) ||
      !GetThroughIndex(txn_, registry_.user_by_external_id_, registry_.users_,
                       Val(user_external_id), user)) {
    return 0;
  }
  Id user_id = Load<Id>(user, 0);
  Id client_id = Load<Id>(client, 0);
  MDB_val k = Val(user_id), v = Val(client_id);
  const int rc = mdb_cursor_get(clients_of_user_, &k, &v, MDB_GET_BOTH);
  if (rc == MDB_NOTFOUND) return 0;
  Check(rc, "mdb_cursor_get (link)");
  const bool active =
      Load<std::uint8_t>(client, kClientStatus) == 0 && Load<std::uint8_t>(user, kUserStatus) == 0;
  return active && Load<std::uint16_t>(client, kClientPort) != 0 ? client_id : 0;
}

}  // namespace hubreg::bench
