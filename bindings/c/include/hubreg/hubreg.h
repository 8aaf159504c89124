/* hubreg's C API: the registry of hub_alpha organizations, accounts (clients)
 * and users, for programs that are not written in C++.
 *
 * Plain C99. Every handle is opaque; no C++ type or exception crosses this
 * interface (the library catches every exception and returns a status).
 *
 * Ownership, from the names:
 *   - hubreg_*_new / hubreg_open* create a handle; the matching
 *     hubreg_*_free / hubreg_close / hubreg_view_end destroys it.
 *   - Strings you pass in are copied (or only read during the call); NULL
 *     stands for the empty string.
 *   - Strings the library hands out are BORROWED: "borrowed" below means the
 *     pointer points into registry memory and stays valid until the view that
 *     produced it ends (hubreg_view_end). Copy what you need to keep.
 *
 * Errors: every call returns a hubreg_status. When a call on a registry
 * handle fails, hubreg_errmsg(handle) describes it ("user: email
 * \"ann@example.com\" is already used by id 1; in mutation 2 of 3");
 * hubreg_errmsg(NULL) describes a failed open or restore. Error messages
 * never contain a database password. A lookup that finds nothing
 * returns HUBREG_NOT_FOUND and leaves the message alone: that is an answer,
 * not a failure.
 *
 * Thread safety: a registry handle may be shared by threads. Any number of
 * threads may hold views at once and look things up without waiting; writes
 * are serialised. A view, a batch and an iterator are used by one thread at a
 * time, and a view is ended on the thread that began it. Views are meant to
 * be short: a write waits for the views of the state it replaces, so a
 * thread holding a view of a handle cannot write through that handle (the
 * write returns HUBREG_INVALID_ARGUMENT instead of waiting forever).
 *
 * Pointers to handles, rows and out-parameters must not be NULL unless the
 * comment of the function says otherwise.
 *
 * Timestamps are microseconds since 1970-01-01T00:00:00Z. In an insert or
 * update, 0 means "now" (for created_at in an update: keep the stored value).
 * Ids start at 1; an id of 0 in an insert asks the registry to assign one.
 */
#ifndef HUBREG_HUBREG_H_
#define HUBREG_HUBREG_H_

#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__)
#define HUBREG_API __attribute__((visibility("default")))
#else
#define HUBREG_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Status codes: HUBREG_OK .. HUBREG_RESYNC_REQUIRED mirror hubreg::ErrorCode. */
typedef enum hubreg_status {
  HUBREG_OK = 0,
  HUBREG_NOT_FOUND = 1,        /* the row (or file) named does not exist */
  HUBREG_DUPLICATE = 2,        /* a unique key would be used twice */
  HUBREG_FOREIGN_KEY = 3,      /* a reference points at a row that does not exist */
  HUBREG_IN_USE = 4,           /* a row cannot be deleted while others refer to it */
  HUBREG_INVALID_ARGUMENT = 5, /* a value is malformed or out of range, or misuse */
  HUBREG_CORRUPTION = 6,       /* stored bytes are damaged or inconsistent */
  HUBREG_IO = 7,               /* the operating system or LMDB refused an operation */
  HUBREG_VERSION = 8,          /* a format or schema version this build cannot read */
  HUBREG_READ_ONLY = 9,        /* a write through a read-only handle */
  HUBREG_RESYNC_REQUIRED = 10, /* a change feed cursor is older than what is kept */
  HUBREG_NO_MEMORY = 100,      /* an allocation failed */
  HUBREG_INTERNAL = 101        /* an unexpected internal error (a bug in hubreg) */
} hubreg_status;

/* Stable lower-case name of a status, e.g. "not found". Static storage. */
HUBREG_API const char* hubreg_status_name(hubreg_status status);

typedef enum hubreg_environment { HUBREG_STAGE = 0, HUBREG_PROD = 1 } hubreg_environment;
typedef enum hubreg_record_status { HUBREG_ACTIVE = 0, HUBREG_DISABLED = 1 } hubreg_record_status;

/* ---- Rows. The same structs are filled by lookups (strings borrowed from
 * the view) and read by inserts and updates (strings copied). Column names
 * follow the schema document. */
typedef struct hubreg_app {
  uint64_t id;
  const char* name;
  const char* app_key; /* unique */
  hubreg_environment environment;
  int64_t created_at;
  int64_t updated_at;
} hubreg_app;

typedef struct hubreg_organization {
  uint64_t id;
  uint64_t threecolts_app_id;
  uint64_t organization_owner_id; /* a user id */
  const char* external_id;        /* unique per app */
  const char* name;
  int64_t created_at;
  int64_t updated_at;
} hubreg_organization;

/* Where an account's database lives. db_password is a secret: the library
 * never puts it in an error message; do not log it either. */
typedef struct hubreg_connection {
  const char* db_host;
  uint16_t db_port;
  const char* db_name;
  const char* db_user;
  const char* db_password;
} hubreg_connection;

typedef struct hubreg_client {
  uint64_t id;
  uint64_t threecolts_organization_id; /* 0: a v1.0 account without organization */
  const char* external_id;             /* unique */
  const char* name;
  hubreg_connection db;
  hubreg_record_status status;
  int64_t created_at;
  int64_t updated_at;
} hubreg_client;

typedef struct hubreg_user {
  uint64_t id;
  const char* external_id; /* unique */
  const char* email;       /* unique, ASCII-case-insensitive */
  const char* name;
  hubreg_record_status status;
  int64_t created_at;
  int64_t updated_at;
} hubreg_user;

typedef struct hubreg_link {
  uint64_t client_id;
  uint64_t user_id;
  int64_t created_at;
} hubreg_link;

typedef struct hubreg_counts {
  uint64_t apps;
  uint64_t organizations;
  uint64_t clients;
  uint64_t users;
  uint64_t links;
} hubreg_counts;

/* ---- Opening and closing. */
typedef struct hubreg_registry hubreg_registry;

/* Flags for hubreg_open. The sync flags choose how hard a commit pushes data
 * to disk: full (default) survives power loss; NO_META_SYNC may lose the last
 * batch on power loss; NO_SYNC survives a process crash only. */
enum {
  HUBREG_OPEN_READ_ONLY = 1 << 0, /* another process writes; see hubreg_refresh */
  HUBREG_OPEN_NO_CREATE = 1 << 1, /* fail if `path` holds no registry yet */
  HUBREG_OPEN_NO_META_SYNC = 1 << 2,
  HUBREG_OPEN_NO_SYNC = 1 << 3
};

/* An empty registry in memory. *out is set to NULL on failure. */
HUBREG_API hubreg_status hubreg_open_memory(hubreg_registry** out);

/* Opens (or creates) the data directory `path`. On failure *out is set to
 * NULL and hubreg_errmsg(NULL) explains. */
HUBREG_API hubreg_status hubreg_open(const char* path, unsigned flags, hubreg_registry** out);

/* Closes the handle. REQUIRES: no view of it is open. NULL is ignored. */
HUBREG_API void hubreg_close(hubreg_registry* reg);

/* The message of the last failed call on `reg` ("" if none); with NULL, the
 * message of the calling thread's last failed hubreg_open* or
 * hubreg_snapshot_restore, which have no handle to carry it. The pointer is
 * valid until the calling thread's next hubreg_errmsg call. When threads
 * share a handle and fail at the same moment, the message may be the other
 * thread's; the returned status is always the call's own. */
HUBREG_API const char* hubreg_errmsg(const hubreg_registry* reg);

/* 1 when this build can open data directories and handle snapshots: every
 * build of this version can; kept so that callers may keep asking. */
HUBREG_API int hubreg_have_persistence(void);

/* Sequence number of the last batch applied (0: empty registry). */
HUBREG_API uint64_t hubreg_last_sequence(const hubreg_registry* reg);

/* ---- Views: consistent reads. Every lookup through one view sees the same
 * state however the registry changes meanwhile. */
typedef struct hubreg_view hubreg_view;

HUBREG_API hubreg_status hubreg_view_begin(hubreg_registry* reg, hubreg_view** out);
/* Ends the view; every borrowed pointer it produced becomes invalid. */
HUBREG_API void hubreg_view_end(hubreg_view* view);
/* Moves the view to the latest state, as hubreg_view_end followed by
 * hubreg_view_begin would, without freeing and allocating: for a service that
 * keeps one view per thread and renews it per request. Every borrowed pointer
 * the view produced before becomes invalid. */
HUBREG_API void hubreg_view_renew(hubreg_view* view);
HUBREG_API uint64_t hubreg_view_sequence(const hubreg_view* view);
HUBREG_API void hubreg_view_counts(const hubreg_view* view, hubreg_counts* out);

/* Point lookups. HUBREG_OK fills *out with borrowed strings; HUBREG_NOT_FOUND
 * leaves *out untouched. */
HUBREG_API hubreg_status hubreg_find_app(const hubreg_view* view, uint64_t id, hubreg_app* out);
HUBREG_API hubreg_status hubreg_find_app_by_key(const hubreg_view* view, const char* app_key,
                                                hubreg_app* out);
HUBREG_API hubreg_status hubreg_find_organization(const hubreg_view* view, uint64_t id,
                                                  hubreg_organization* out);
HUBREG_API hubreg_status hubreg_find_organization_by_external_id(const hubreg_view* view,
                                                                 uint64_t app_id,
                                                                 const char* external_id,
                                                                 hubreg_organization* out);
HUBREG_API hubreg_status hubreg_find_client(const hubreg_view* view, uint64_t id,
                                            hubreg_client* out);
HUBREG_API hubreg_status hubreg_find_client_by_external_id(const hubreg_view* view,
                                                           const char* external_id,
                                                           hubreg_client* out);
HUBREG_API hubreg_status hubreg_find_user(const hubreg_view* view, uint64_t id, hubreg_user* out);
HUBREG_API hubreg_status hubreg_find_user_by_external_id(const hubreg_view* view,
                                                         const char* external_id, hubreg_user* out);
/* ASCII-case-insensitive. */
HUBREG_API hubreg_status hubreg_find_user_by_email(const hubreg_view* view, const char* email,
                                                   hubreg_user* out);
HUBREG_API hubreg_status hubreg_find_link(const hubreg_view* view, uint64_t client_id,
                                          uint64_t user_id, hubreg_link* out);
/* The owner of an organization; HUBREG_NOT_FOUND if the organization is unknown. */
HUBREG_API hubreg_status hubreg_owner_of_organization(const hubreg_view* view,
                                                      uint64_t organization_id, hubreg_user* out);

/* ---- Iterators over client_user links. The iterator lives wherever the
 * caller puts it (typically the stack); iterating allocates nothing. Its
 * fields are private. It is valid while its view is.
 *
 *   hubreg_iter it;
 *   hubreg_client client;
 *   hubreg_clients_of_user_begin(view, user_id, &it);
 *   while (hubreg_clients_of_user_next(&it, &client) == HUBREG_OK) { ... }
 *
 * _next returns HUBREG_OK and fills *out, or HUBREG_NOT_FOUND at the end.
 * An unknown id yields an empty sequence. Order is unspecified. */
typedef struct hubreg_iter {
  uint64_t private_state[3]; /* the library's own iterator */
} hubreg_iter;

HUBREG_API void hubreg_clients_of_user_begin(const hubreg_view* view, uint64_t user_id,
                                             hubreg_iter* it);
HUBREG_API hubreg_status hubreg_clients_of_user_next(hubreg_iter* it, hubreg_client* out);
HUBREG_API void hubreg_users_of_client_begin(const hubreg_view* view, uint64_t client_id,
                                             hubreg_iter* it);
HUBREG_API hubreg_status hubreg_users_of_client_next(hubreg_iter* it, hubreg_user* out);

/* ---- Access check and routing: may this user use this account, and where
 * does the account's database live. */
typedef enum hubreg_verdict {
  HUBREG_ALLOWED = 0,
  HUBREG_UNKNOWN_USER,
  HUBREG_UNKNOWN_ACCOUNT,
  HUBREG_UNKNOWN_APP,
  HUBREG_UNKNOWN_ORGANIZATION,
  HUBREG_WRONG_ORGANIZATION,
  HUBREG_NO_LINK,
  HUBREG_USER_DISABLED,
  HUBREG_ACCOUNT_DISABLED
} hubreg_verdict;

/* "allowed", "unknown user", ... Static storage. */
HUBREG_API const char* hubreg_verdict_name(hubreg_verdict verdict);

typedef struct hubreg_access_request {
  const char* account_external_id;
  const char* user_external_id;
  const char* app_key;                  /* NULL: not checked */
  const char* organization_external_id; /* NULL: not checked */
} hubreg_access_request;

typedef struct hubreg_access_decision {
  hubreg_verdict verdict;
  uint64_t client_id; /* 0 when the account was not found */
  uint64_t user_id;   /* 0 when the user was not found */
  /* Borrowed; filled (including db_password) only when allowed. */
  hubreg_connection connection;
} hubreg_access_decision;

/* Returns HUBREG_OK whatever the verdict (a refusal is an answer). */
HUBREG_API hubreg_status hubreg_resolve(const hubreg_view* view,
                                        const hubreg_access_request* request,
                                        hubreg_access_decision* out);

/* ---- Batches: mutations applied together, atomically. */
typedef struct hubreg_batch hubreg_batch;

/* NULL when out of memory. */
HUBREG_API hubreg_batch* hubreg_batch_new(void);
HUBREG_API void hubreg_batch_free(hubreg_batch* batch);
HUBREG_API size_t hubreg_batch_size(const hubreg_batch* batch);
/* Empties the batch for reuse. */
HUBREG_API void hubreg_batch_clear(hubreg_batch* batch);

/* Each add_* copies the row. An out-of-range enum is reported by the add
 * (HUBREG_INVALID_ARGUMENT) and again by hubreg_apply, with a message. */
HUBREG_API hubreg_status hubreg_batch_insert_app(hubreg_batch* batch, const hubreg_app* row);
HUBREG_API hubreg_status hubreg_batch_update_app(hubreg_batch* batch, const hubreg_app* row);
HUBREG_API hubreg_status hubreg_batch_erase_app(hubreg_batch* batch, uint64_t id);
HUBREG_API hubreg_status hubreg_batch_insert_organization(hubreg_batch* batch,
                                                          const hubreg_organization* row);
HUBREG_API hubreg_status hubreg_batch_update_organization(hubreg_batch* batch,
                                                          const hubreg_organization* row);
HUBREG_API hubreg_status hubreg_batch_erase_organization(hubreg_batch* batch, uint64_t id);
HUBREG_API hubreg_status hubreg_batch_insert_client(hubreg_batch* batch, const hubreg_client* row);
HUBREG_API hubreg_status hubreg_batch_update_client(hubreg_batch* batch, const hubreg_client* row);
HUBREG_API hubreg_status hubreg_batch_erase_client(hubreg_batch* batch, uint64_t id);
HUBREG_API hubreg_status hubreg_batch_insert_user(hubreg_batch* batch, const hubreg_user* row);
HUBREG_API hubreg_status hubreg_batch_update_user(hubreg_batch* batch, const hubreg_user* row);
HUBREG_API hubreg_status hubreg_batch_erase_user(hubreg_batch* batch, uint64_t id);
HUBREG_API hubreg_status hubreg_batch_insert_link(hubreg_batch* batch, uint64_t client_id,
                                                  uint64_t user_id);
HUBREG_API hubreg_status hubreg_batch_erase_link(hubreg_batch* batch, uint64_t client_id,
                                                 uint64_t user_id);

/* Applies the batch atomically: all of it or, on the first failing mutation,
 * none ("...; in mutation 3 of 5"). On success *sequence (if not NULL) is the
 * batch's sequence number, and hubreg_batch_assigned_id tells the ids given
 * to inserts. The batch is left as it was and may be applied again. */
HUBREG_API hubreg_status hubreg_apply(hubreg_registry* reg, hubreg_batch* batch,
                                      uint64_t* sequence);

/* After a successful hubreg_apply: the id of the row inserted by mutation
 * `index` (0-based). HUBREG_NOT_FOUND if that mutation is not an insert with
 * an id or the batch was not applied. */
HUBREG_API hubreg_status hubreg_batch_assigned_id(const hubreg_batch* batch, size_t index,
                                                  uint64_t* id);

/* ---- One-mutation conveniences: a batch of one, applied. Inserts set *id
 * (if not NULL) to the row's id. */
HUBREG_API hubreg_status hubreg_insert_app(hubreg_registry* reg, const hubreg_app* row,
                                           uint64_t* id);
HUBREG_API hubreg_status hubreg_insert_organization(hubreg_registry* reg,
                                                    const hubreg_organization* row, uint64_t* id);
HUBREG_API hubreg_status hubreg_insert_client(hubreg_registry* reg, const hubreg_client* row,
                                              uint64_t* id);
HUBREG_API hubreg_status hubreg_insert_user(hubreg_registry* reg, const hubreg_user* row,
                                            uint64_t* id);
HUBREG_API hubreg_status hubreg_update_app(hubreg_registry* reg, const hubreg_app* row);
HUBREG_API hubreg_status hubreg_update_organization(hubreg_registry* reg,
                                                    const hubreg_organization* row);
HUBREG_API hubreg_status hubreg_update_client(hubreg_registry* reg, const hubreg_client* row);
HUBREG_API hubreg_status hubreg_update_user(hubreg_registry* reg, const hubreg_user* row);
HUBREG_API hubreg_status hubreg_erase_app(hubreg_registry* reg, uint64_t id);
HUBREG_API hubreg_status hubreg_erase_organization(hubreg_registry* reg, uint64_t id);
HUBREG_API hubreg_status hubreg_erase_client(hubreg_registry* reg, uint64_t id);
HUBREG_API hubreg_status hubreg_erase_user(hubreg_registry* reg, uint64_t id);
HUBREG_API hubreg_status hubreg_insert_link(hubreg_registry* reg, uint64_t client_id,
                                            uint64_t user_id);
HUBREG_API hubreg_status hubreg_erase_link(hubreg_registry* reg, uint64_t client_id,
                                           uint64_t user_id);

/* ---- Persistence (data directories only; HUBREG_INVALID_ARGUMENT on an
 * in-memory registry or in a build without persistence). */

/* Writes a standalone snapshot file of the current state while writers
 * continue; the file appears atomically under its name. */
HUBREG_API hubreg_status hubreg_snapshot_save(hubreg_registry* reg, const char* file);

/* Loads a snapshot file into the data directory `path`, which must hold no
 * registry unless `overwrite` is non-zero; on any error the directory is left
 * as it was. Not tied to a handle: hubreg_errmsg(NULL) explains a failure.
 * Close every writing handle on `path` first (HUBREG_IO while one is open);
 * read-only handles may stay open: their next hubreg_refresh loads the
 * restored registry (counted in hubreg_stats.replacements). */
HUBREG_API hubreg_status hubreg_snapshot_restore(const char* file, const char* path, int overwrite);

/* Read-only handles: applies the batches the writing process committed since
 * the handle was opened or last refreshed. */
HUBREG_API hubreg_status hubreg_refresh(hubreg_registry* reg);

/* What a data directory holds and how its store is doing: hubreg::StoreStats,
 * field for field but last_refresh_error (docs/operations.md says what to
 * watch). Later versions only append fields, so pass sizeof(hubreg_stats) as
 * `size`: the library fills the fields that fit in `size` bytes and no more. */
typedef struct hubreg_stats {
  hubreg_counts counts;
  uint64_t last_sequence;     /* the last batch applied */
  uint64_t snapshot_sequence; /* the batch the stored snapshot covers */
  uint64_t snapshot_bytes;
  uint64_t journal_batches; /* batches in the journal after the snapshot */
  uint64_t journal_bytes;
  uint64_t map_size;    /* LMDB map size, bytes */
  uint64_t map_used;    /* bytes of the map in use */
  double open_seconds;  /* how long opening took (snapshot load, journal replay) */
  uint64_t compactions; /* since the handle was opened, automatic and requested */
  /* "" when the last automatic compaction succeeded (or none ran), else its
   * error. Valid until the calling thread's next hubreg_store_stats call. */
  const char* last_compaction_error;
  uint64_t retired_registries; /* read-only handles: old states kept for live views */
  /* Appended after the first hubreg_stats, which ended here: a program built
   * against that header passes its smaller size and gets the fields above. */
  uint64_t replacements; /* read-only handles: refreshes that found data.mdb replaced
                            (a restore) and reloaded everything */
  uint64_t copies;       /* copying compactions made (a writer) or followed (a read-only
                            handle) since open; not counted in replacements */
  int commit_signal;     /* 1 when waits for the writer's commits sleep on the data
                            directory's commit signal; 0 when it is missing or damaged */
} hubreg_stats;

/* Fills *out (up to `size` bytes). HUBREG_INVALID_ARGUMENT on an in-memory
 * registry or when `size` is smaller than the first hubreg_stats (up to
 * retired_registries). */
HUBREG_API hubreg_status hubreg_store_stats(const hubreg_registry* reg, hubreg_stats* out,
                                            size_t size);

/* The same stats as Prometheus text (format 0.0.4) for a /metrics endpoint,
 * rendered by hubreg::RenderPrometheus as `hubreg stats --format prometheus`
 * prints them: names "<prefix>_<metric>" (pass "hubreg"; NULL or "" leaves
 * them bare), every sample labelled path="<path>" unless `path` is NULL or "".
 * *needed (unless NULL) is set to the bytes the text takes, its NUL included.
 * When that fits in `size`, the text and its NUL are copied to `buf`;
 * otherwise `buf` is left alone and HUBREG_INVALID_ARGUMENT returned (`buf`
 * may be NULL with `size` 0 to ask the size; the numbers may grow before the
 * next call, so leave some room). HUBREG_INVALID_ARGUMENT on an in-memory
 * registry too, as hubreg_store_stats. */
HUBREG_API hubreg_status hubreg_store_stats_prometheus(const hubreg_registry* reg,
                                                       const char* prefix, const char* path,
                                                       char* buf, size_t size, size_t* needed);

/* Writes a new snapshot and drops the journal it covers, as `hubreg snapshot
 * compact` does. Writers wait meanwhile; readers do not. HUBREG_READ_ONLY on
 * a read-only handle, HUBREG_INVALID_ARGUMENT on an in-memory registry. */
HUBREG_API hubreg_status hubreg_store_compact(hubreg_registry* reg);

/* ---- The library's version, "MAJOR.MINOR.PATCH" (static storage): the
 * project version it was built from (docs/compatibility.md). */
HUBREG_API const char* hubreg_version(void);
/* ---- The change feed (docs/feed.md): every committed batch, in sequence
 * order, none skipped, none twice, with each row it changed before and after.
 * A cursor is a batch sequence number: "I have seen every batch up to N". */
typedef struct hubreg_change_batch hubreg_change_batch;

typedef enum hubreg_table {
  HUBREG_TABLE_APP = 0,
  HUBREG_TABLE_ORGANIZATION,
  HUBREG_TABLE_CLIENT,
  HUBREG_TABLE_USER,
  HUBREG_TABLE_CLIENT_USER
} hubreg_table;

typedef enum hubreg_change_op { HUBREG_INSERT = 0, HUBREG_UPDATE, HUBREG_DELETE } hubreg_change_op;

/* A (user, account) pair whose access answer changed in the batch. */
typedef struct hubreg_access_change {
  uint64_t user_id;
  uint64_t client_id;
  hubreg_verdict before;
  hubreg_verdict after;
  uint64_t organization_before; /* the account's organization before the batch (0: none) */
  uint64_t organization_after;
} hubreg_access_change;

/* Waits up to `timeout_ms` (0: do not wait) for the batch after
 * `after_sequence`. HUBREG_OK: *out holds it (free it with
 * hubreg_change_batch_free). HUBREG_NOT_FOUND: none was committed in time;
 * *out is NULL. HUBREG_RESYNC_REQUIRED: that batch is no longer kept; *out is
 * NULL, *restart_sequence (unless NULL) is the sequence of a state to start
 * again from (the registry's latest in memory, the stored snapshot's for a
 * data directory) and hubreg_errmsg(reg) says which batches are kept. A
 * read-only handle waits for the writing process's next commit. */
HUBREG_API hubreg_status hubreg_changes_next(hubreg_registry* reg, uint64_t after_sequence,
                                             int64_t timeout_ms, hubreg_change_batch** out,
                                             uint64_t* restart_sequence);
/* NULL is ignored. Every string the batch handed out becomes invalid. */
HUBREG_API void hubreg_change_batch_free(hubreg_change_batch* batch);
HUBREG_API uint64_t hubreg_change_batch_sequence(const hubreg_change_batch* batch);
HUBREG_API int64_t hubreg_change_batch_committed_at(const hubreg_change_batch* batch);
/* The changed rows, in the order they happened, indexed from 0. */
HUBREG_API size_t hubreg_change_batch_size(const hubreg_change_batch* batch);
/* HUBREG_INVALID_ARGUMENT when `index` is out of range. */
HUBREG_API hubreg_status hubreg_change_info(const hubreg_change_batch* batch, size_t index,
                                            hubreg_table* table, hubreg_change_op* op);
/* The rows of change `index` of that table: *before is filled unless the
 * change is an insert, *after unless it is a delete; a side the change does
 * not have is zero-filled. Either pointer may be NULL. Strings (db_password
 * included, as in lookups) are borrowed from the batch. HUBREG_INVALID_ARGUMENT
 * when `index` is out of range or the change is of another table. */
HUBREG_API hubreg_status hubreg_change_app(const hubreg_change_batch* batch, size_t index,
                                           hubreg_app* before, hubreg_app* after);
HUBREG_API hubreg_status hubreg_change_organization(const hubreg_change_batch* batch, size_t index,
                                                    hubreg_organization* before,
                                                    hubreg_organization* after);
HUBREG_API hubreg_status hubreg_change_client(const hubreg_change_batch* batch, size_t index,
                                              hubreg_client* before, hubreg_client* after);
HUBREG_API hubreg_status hubreg_change_user(const hubreg_change_batch* batch, size_t index,
                                            hubreg_user* before, hubreg_user* after);
HUBREG_API hubreg_status hubreg_change_link(const hubreg_change_batch* batch, size_t index,
                                            hubreg_link* before, hubreg_link* after);
/* The access pairs, sorted by (user_id, client_id). */
HUBREG_API size_t hubreg_change_batch_access_count(const hubreg_change_batch* batch);
HUBREG_API hubreg_status hubreg_change_batch_access(const hubreg_change_batch* batch, size_t index,
                                                    hubreg_access_change* out);
/* The accounts whose connection details changed or that were deleted, sorted. */
HUBREG_API size_t hubreg_change_batch_connection_changed_count(const hubreg_change_batch* batch);
/* 0 when `index` is out of range. */
HUBREG_API uint64_t hubreg_change_batch_connection_changed(const hubreg_change_batch* batch,
                                                           size_t index);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* HUBREG_HUBREG_H_ */
