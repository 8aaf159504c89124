/* The C API end to end, compiled as C99: open, write through batches and the
 * one-mutation helpers, read through views and iterators, resolve, and the
 * errors (codes and exact messages). Each check names what the API promises. */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hubreg/hubreg.h"
#include "temp_dir.h"

static int failures = 0;

#define EXPECT(cond, what)                                                          \
  do {                                                                              \
    if (!(cond)) {                                                                  \
      fprintf(stderr, "%s:%d: FAILED: %s (%s)\n", __FILE__, __LINE__, what, #cond); \
      ++failures;                                                                   \
    }                                                                               \
  } while (0)

#define EXPECT_STATUS(expr, code, what)                                                 \
  do {                                                                                  \
    hubreg_status got_ = (expr);                                                        \
    if (got_ != (code)) {                                                               \
      fprintf(stderr, "%s:%d: FAILED: %s: got %s, want %s\n", __FILE__, __LINE__, what, \
              hubreg_status_name(got_), hubreg_status_name(code));                      \
      ++failures;                                                                       \
    }                                                                                   \
  } while (0)

#define EXPECT_STR(actual, expected, what)                                                      \
  do {                                                                                          \
    const char* a_ = (actual);                                                                  \
    if (a_ == NULL || strcmp(a_, (expected)) != 0) {                                            \
      fprintf(stderr, "%s:%d: FAILED: %s:\n  got  \"%s\"\n  want \"%s\"\n", __FILE__, __LINE__, \
              what, a_ ? a_ : "(null)", (expected));                                            \
      ++failures;                                                                               \
    }                                                                                           \
  } while (0)

static const int64_t kT0 = 1700000000000000LL; /* 2023-11-14T22:13:20Z */

static hubreg_user make_user(uint64_t id, const char* external_id, const char* email,
                             hubreg_record_status status) {
  hubreg_user user;
  memset(&user, 0, sizeof user);
  user.id = id;
  user.external_id = external_id;
  user.email = email;
  user.name = external_id;
  user.status = status;
  user.created_at = kT0;
  user.updated_at = kT0;
  return user;
}

static hubreg_client make_client(uint64_t id, uint64_t organization_id, const char* external_id,
                                 const char* password, hubreg_record_status status) {
  hubreg_client client;
  memset(&client, 0, sizeof client);
  client.id = id;
  client.threecolts_organization_id = organization_id;
  client.external_id = external_id;
  client.name = external_id;
  client.db.db_host = "db.internal";
  client.db.db_port = 5432;
  client.db.db_name = external_id;
  client.db.db_user = "svc";
  client.db.db_password = password;
  client.status = status;
  client.created_at = kT0;
  client.updated_at = kT0;
  return client;
}

/* apps 1 "key-stage"; users 1 ann, 2 bob, 3 dee (disabled); org 1 "ORG-1"
 * (app 1, owner ann); clients 1 ACC-1, 2 ACC-2 (disabled); links (1,1) (2,1)
 * (1,2) (1,3). */
static hubreg_registry* sample_registry(void) {
  hubreg_registry* reg = NULL;
  hubreg_batch* batch = hubreg_batch_new();
  hubreg_app app;
  hubreg_organization org;
  hubreg_user users[3];
  hubreg_client clients[2];
  uint64_t sequence = 0;
  int i;

  EXPECT_STATUS(hubreg_open_memory(&reg), HUBREG_OK, "an in-memory registry opens");
  memset(&app, 0, sizeof app);
  app.id = 1;
  app.name = "hub_alpha stage";
  app.app_key = "key-stage";
  app.environment = HUBREG_STAGE;
  memset(&org, 0, sizeof org);
  org.id = 1;
  org.threecolts_app_id = 1;
  org.organization_owner_id = 1;
  org.external_id = "ORG-1";
  org.name = "Organization 1";
  users[0] = make_user(1, "U-1", "ann@example.com", HUBREG_ACTIVE);
  users[1] = make_user(2, "U-2", "bob@example.com", HUBREG_ACTIVE);
  users[2] = make_user(3, "U-3", "dee@example.com", HUBREG_DISABLED);
  clients[0] = make_client(1, 1, "ACC-1", "s3cret-1", HUBREG_ACTIVE);
  clients[1] = make_client(2, 1, "ACC-2", "s3cret-2", HUBREG_DISABLED);

  EXPECT_STATUS(hubreg_batch_insert_app(batch, &app), HUBREG_OK, "adding an app");
  for (i = 0; i < 3; ++i) {
    EXPECT_STATUS(hubreg_batch_insert_user(batch, &users[i]), HUBREG_OK, "adding a user");
  }
  EXPECT_STATUS(hubreg_batch_insert_organization(batch, &org), HUBREG_OK, "adding an org");
  for (i = 0; i < 2; ++i) {
    EXPECT_STATUS(hubreg_batch_insert_client(batch, &clients[i]), HUBREG_OK, "adding a client");
  }
  hubreg_batch_insert_link(batch, 1, 1);
  hubreg_batch_insert_link(batch, 2, 1);
  hubreg_batch_insert_link(batch, 1, 2);
  hubreg_batch_insert_link(batch, 1, 3);
  EXPECT(hubreg_batch_size(batch) == 11, "a batch counts its mutations");
  EXPECT_STATUS(hubreg_apply(reg, batch, &sequence), HUBREG_OK, "the sample batch applies");
  EXPECT(sequence == 1, "the first batch has sequence 1");
  hubreg_batch_free(batch);
  return reg;
}

static void test_lookups_fill_rows_with_borrowed_strings(void) {
  hubreg_registry* reg = sample_registry();
  hubreg_view* view = NULL;
  hubreg_user user;
  hubreg_client client;
  hubreg_app app;
  hubreg_organization org;
  hubreg_link link;
  hubreg_counts counts;

  EXPECT_STATUS(hubreg_view_begin(reg, &view), HUBREG_OK, "a view begins");
  EXPECT(hubreg_view_sequence(view) == 1, "the view sees sequence 1");
  hubreg_view_counts(view, &counts);
  EXPECT(counts.apps == 1 && counts.organizations == 1 && counts.clients == 2 &&
             counts.users == 3 && counts.links == 4,
         "counts match the sample");

  EXPECT_STATUS(hubreg_find_user(view, 2, &user), HUBREG_OK, "user 2 is found by id");
  EXPECT_STR(user.email, "bob@example.com", "user 2's email");
  EXPECT(user.created_at == kT0, "timestamps are microseconds since the epoch");
  EXPECT_STATUS(hubreg_find_user_by_email(view, "ANN@Example.com", &user), HUBREG_OK,
                "emails are found ignoring ASCII case");
  EXPECT(user.id == 1, "the email belongs to ann");
  EXPECT_STATUS(hubreg_find_user_by_external_id(view, "U-3", &user), HUBREG_OK,
                "users are found by external id");
  EXPECT(user.status == HUBREG_DISABLED, "dee is disabled");
  EXPECT_STATUS(hubreg_find_user(view, 99, &user), HUBREG_NOT_FOUND, "an unknown id is not found");
  EXPECT_STR(hubreg_errmsg(reg), "", "a lookup that finds nothing records no error");

  EXPECT_STATUS(hubreg_find_client_by_external_id(view, "ACC-1", &client), HUBREG_OK,
                "clients are found by external id");
  EXPECT_STR(client.db.db_host, "db.internal", "the client's host");
  EXPECT(client.db.db_port == 5432, "the client's port");
  EXPECT_STR(client.db.db_password, "s3cret-1", "the password is in the connection field");
  EXPECT_STATUS(hubreg_find_client(view, 2, &client), HUBREG_OK, "clients are found by id");
  EXPECT(client.status == HUBREG_DISABLED, "ACC-2 is disabled");

  EXPECT_STATUS(hubreg_find_app_by_key(view, "key-stage", &app), HUBREG_OK, "apps by key");
  EXPECT(app.id == 1 && app.environment == HUBREG_STAGE, "the stage app");
  EXPECT_STATUS(hubreg_find_app(view, 1, &app), HUBREG_OK, "apps by id");
  EXPECT_STATUS(hubreg_find_organization_by_external_id(view, 1, "ORG-1", &org), HUBREG_OK,
                "organizations by app and external id");
  EXPECT(org.id == 1, "ORG-1 is organization 1");
  EXPECT_STATUS(hubreg_find_organization_by_external_id(view, 2, "ORG-1", &org), HUBREG_NOT_FOUND,
                "external ids of organizations are per app");
  EXPECT_STATUS(hubreg_find_organization(view, 1, &org), HUBREG_OK, "organizations by id");
  EXPECT_STATUS(hubreg_owner_of_organization(view, 1, &user), HUBREG_OK, "the owner is found");
  EXPECT_STR(user.external_id, "U-1", "ann owns ORG-1");
  EXPECT_STATUS(hubreg_owner_of_organization(view, 5, &user), HUBREG_NOT_FOUND,
                "an unknown organization has no owner");
  EXPECT_STATUS(hubreg_find_link(view, 2, 1, &link), HUBREG_OK, "links are found by pair");
  EXPECT_STATUS(hubreg_find_link(view, 2, 2, &link), HUBREG_NOT_FOUND, "bob is not on ACC-2");
  hubreg_view_end(view);
  hubreg_close(reg);
}

static void test_iterators_walk_the_links_of_one_row(void) {
  hubreg_registry* reg = sample_registry();
  hubreg_view* view = NULL;
  hubreg_iter it;
  hubreg_client client;
  hubreg_user user;
  int seen[4] = {0, 0, 0, 0};
  int count = 0;

  hubreg_view_begin(reg, &view);
  hubreg_clients_of_user_begin(view, 1, &it);
  while (hubreg_clients_of_user_next(&it, &client) == HUBREG_OK) {
    if (client.id < 4) seen[client.id]++;
    ++count;
  }
  EXPECT(count == 2 && seen[1] == 1 && seen[2] == 1, "ann is on ACC-1 and ACC-2");
  EXPECT_STATUS(hubreg_clients_of_user_next(&it, &client), HUBREG_NOT_FOUND,
                "a finished iterator stays finished");

  memset(seen, 0, sizeof seen);
  count = 0;
  hubreg_users_of_client_begin(view, 1, &it);
  while (hubreg_users_of_client_next(&it, &user) == HUBREG_OK) {
    if (user.id < 4) seen[user.id]++;
    ++count;
  }
  EXPECT(count == 3 && seen[1] == 1 && seen[2] == 1 && seen[3] == 1, "ACC-1 has ann, bob and dee");

  hubreg_clients_of_user_begin(view, 42, &it);
  EXPECT_STATUS(hubreg_clients_of_user_next(&it, &client), HUBREG_NOT_FOUND,
                "an unknown user has no clients");
  hubreg_view_end(view);
  hubreg_close(reg);
}

static void test_resolve_routes_allowed_users_and_explains_refusals(void) {
  hubreg_registry* reg = sample_registry();
  hubreg_view* view = NULL;
  hubreg_access_request request;
  hubreg_access_decision decision;

  hubreg_view_begin(reg, &view);
  memset(&request, 0, sizeof request);
  request.account_external_id = "ACC-1";
  request.user_external_id = "U-2";
  EXPECT_STATUS(hubreg_resolve(view, &request, &decision), HUBREG_OK, "resolve answers");
  EXPECT(decision.verdict == HUBREG_ALLOWED, "bob may use ACC-1");
  EXPECT(decision.client_id == 1 && decision.user_id == 2, "the rows involved");
  EXPECT_STR(decision.connection.db_name, "ACC-1", "routing names the database");
  EXPECT_STR(decision.connection.db_password, "s3cret-1", "routing includes the password");

  request.app_key = "key-stage";
  request.organization_external_id = "ORG-1";
  hubreg_resolve(view, &request, &decision);
  EXPECT(decision.verdict == HUBREG_ALLOWED, "the right app and organization pass");

  request.app_key = "key-nope";
  hubreg_resolve(view, &request, &decision);
  EXPECT(decision.verdict == HUBREG_UNKNOWN_APP, "an unknown app key is refused");
  EXPECT(decision.connection.db_password == NULL, "a refusal carries no connection details");
  EXPECT_STR(hubreg_verdict_name(decision.verdict), "unknown app", "verdicts have names");

  request.app_key = NULL;
  request.organization_external_id = NULL;
  request.account_external_id = "ACC-2";
  request.user_external_id = "U-1";
  hubreg_resolve(view, &request, &decision);
  EXPECT(decision.verdict == HUBREG_ACCOUNT_DISABLED, "a disabled account is refused");
  request.user_external_id = "U-2";
  request.account_external_id = "ACC-2";
  hubreg_resolve(view, &request, &decision);
  EXPECT(decision.verdict == HUBREG_ACCOUNT_DISABLED, "ACC-2 refuses bob as disabled first");
  request.user_external_id = "U-3";
  request.account_external_id = "ACC-1";
  hubreg_resolve(view, &request, &decision);
  EXPECT(decision.verdict == HUBREG_USER_DISABLED, "a disabled user is refused");
  request.user_external_id = "U-9";
  hubreg_resolve(view, &request, &decision);
  EXPECT(decision.verdict == HUBREG_UNKNOWN_USER && decision.user_id == 0, "unknown user");
  hubreg_view_end(view);
  hubreg_close(reg);
}

static void test_helpers_write_one_mutation_and_report_errors(void) {
  hubreg_registry* reg = sample_registry();
  hubreg_user user = make_user(0, "U-10", "new@example.com", HUBREG_ACTIVE);
  hubreg_client client = make_client(0, 1, "ACC-10", "pw-10", HUBREG_ACTIVE);
  hubreg_view* view = NULL;
  uint64_t user_id = 0;
  uint64_t client_id = 0;

  EXPECT_STATUS(hubreg_insert_user(reg, &user, &user_id), HUBREG_OK, "a user is inserted");
  EXPECT(user_id == 4, "the next free user id is assigned");
  EXPECT_STATUS(hubreg_insert_client(reg, &client, &client_id), HUBREG_OK, "a client too");
  EXPECT_STATUS(hubreg_insert_link(reg, client_id, user_id), HUBREG_OK, "and linked");
  EXPECT(hubreg_last_sequence(reg) == 4, "each helper is one batch");

  user = make_user(0, "U-11", "NEW@example.com", HUBREG_ACTIVE);
  EXPECT_STATUS(hubreg_insert_user(reg, &user, NULL), HUBREG_DUPLICATE,
                "an email used twice is a duplicate");
  EXPECT_STR(hubreg_errmsg(reg),
             "user: email \"NEW@example.com\" is already used by id 4; in mutation 1 of 1",
             "the message names the table, column, value and row");

  EXPECT_STATUS(hubreg_erase_user(reg, 1), HUBREG_IN_USE, "an owner cannot be deleted");
  EXPECT_STATUS(hubreg_insert_link(reg, 99, 1), HUBREG_FOREIGN_KEY, "a link needs its client");
  client = make_client(0, 1, "ACC-11", "hunter2", HUBREG_ACTIVE);
  client.db.db_port = 5432;
  client.external_id = "ACC-1";
  EXPECT_STATUS(hubreg_insert_client(reg, &client, NULL), HUBREG_DUPLICATE,
                "client external ids are unique");
  EXPECT(strstr(hubreg_errmsg(reg), "hunter2") == NULL, "errors never show a password");

  user.status = (hubreg_record_status)7;
  EXPECT_STATUS(hubreg_insert_user(reg, &user, NULL), HUBREG_INVALID_ARGUMENT,
                "an out-of-range enum is refused");
  EXPECT_STR(hubreg_errmsg(reg), "user: status 7 is not one of the enum's values; in mutation 1",
             "the message names the column and value");

  user = make_user(4, "U-10", "renamed@example.com", HUBREG_DISABLED);
  EXPECT_STATUS(hubreg_update_user(reg, &user), HUBREG_OK, "a user is updated");
  EXPECT_STATUS(hubreg_erase_link(reg, client_id, user_id), HUBREG_OK, "a link is removed");
  EXPECT_STATUS(hubreg_erase_client(reg, client_id), HUBREG_OK, "a client is erased");

  hubreg_view_begin(reg, &view);
  EXPECT_STATUS(hubreg_find_user(view, 4, &user), HUBREG_OK, "the updated user");
  EXPECT_STR(user.email, "renamed@example.com", "the update is visible");
  EXPECT_STATUS(hubreg_erase_user(reg, 4), HUBREG_INVALID_ARGUMENT,
                "a thread holding a view cannot write (it would wait for itself)");
  EXPECT_STR(hubreg_errmsg(reg),
             "this thread holds a view of the registry; end it before writing (a write waits "
             "for the views of the state it replaces)",
             "the message says why");
  hubreg_view_end(view);
  EXPECT_STATUS(hubreg_erase_user(reg, 4), HUBREG_OK, "after the view ends, writes work");
  hubreg_close(reg);
}

static void test_batches_are_atomic_and_report_assigned_ids(void) {
  hubreg_registry* reg = sample_registry();
  hubreg_batch* batch = hubreg_batch_new();
  hubreg_user user = make_user(0, "U-20", "u20@example.com", HUBREG_ACTIVE);
  hubreg_view* view = NULL;
  hubreg_counts before;
  hubreg_counts after;
  uint64_t id = 0;
  uint64_t sequence = 0;

  hubreg_view_begin(reg, &view);
  hubreg_view_counts(view, &before);
  hubreg_view_end(view);

  hubreg_batch_insert_user(batch, &user);
  hubreg_batch_insert_link(batch, 1, 77);
  EXPECT_STATUS(hubreg_apply(reg, batch, &sequence), HUBREG_FOREIGN_KEY,
                "a batch with a bad link fails");
  EXPECT_STR(hubreg_errmsg(reg),
             "client_user: user_id 77 does not exist in user; in mutation 2 of 2",
             "the message names the failing mutation");
  EXPECT_STATUS(hubreg_batch_assigned_id(batch, 0, &id), HUBREG_NOT_FOUND,
                "a failed batch assigns nothing");
  hubreg_view_begin(reg, &view);
  hubreg_view_counts(view, &after);
  hubreg_view_end(view);
  EXPECT(after.users == before.users, "nothing of a failed batch is visible");

  hubreg_batch_clear(batch);
  hubreg_batch_insert_user(batch, &user);
  hubreg_batch_insert_link(batch, 1, 4);
  EXPECT_STATUS(hubreg_apply(reg, batch, &sequence), HUBREG_OK, "the fixed batch applies");
  EXPECT(sequence == 2, "it is the second batch");
  EXPECT_STATUS(hubreg_batch_assigned_id(batch, 0, &id), HUBREG_OK, "the insert got an id");
  EXPECT(id == 4, "the next user id");
  EXPECT_STATUS(hubreg_batch_assigned_id(batch, 1, &id), HUBREG_NOT_FOUND, "links have no id");
  hubreg_batch_free(batch);
  hubreg_close(reg);
}

static void test_a_view_keeps_its_state_while_others_write(void) {
  hubreg_registry* reg = sample_registry();
  hubreg_view* old_view = NULL;
  hubreg_user user;
  hubreg_user ann = make_user(1, "U-1", "ann@elsewhere.com", HUBREG_ACTIVE);

  hubreg_view_begin(reg, &old_view);
  hubreg_find_user(old_view, 1, &user);
  /* The write comes from a view-less path: end, write, and compare with a
   * view begun on another handle would need threads; instead check that a
   * borrowed pointer taken before the view ended still reads right until then. */
  EXPECT_STR(user.email, "ann@example.com", "the view shows its state");
  hubreg_view_end(old_view);
  EXPECT_STATUS(hubreg_update_user(reg, &ann), HUBREG_OK, "ann moves");
  hubreg_view_begin(reg, &old_view);
  hubreg_find_user(old_view, 1, &user);
  EXPECT_STR(user.email, "ann@elsewhere.com", "a new view sees the write");
  EXPECT(hubreg_view_sequence(old_view) == 2, "at the new sequence");
  hubreg_view_end(old_view);

  /* A kept view renewed per request stays usable and still counts as held. */
  hubreg_view_begin(reg, &old_view);
  hubreg_view_renew(old_view);
  EXPECT(hubreg_view_sequence(old_view) == 2, "a renewed view is at the latest state");
  EXPECT_STATUS(hubreg_find_user(old_view, 1, &user), HUBREG_OK, "and answers");
  EXPECT_STR(user.email, "ann@elsewhere.com", "with the latest rows");
  EXPECT_STATUS(hubreg_update_user(reg, &ann), HUBREG_INVALID_ARGUMENT,
                "a renewed view still blocks writes from its thread");
  hubreg_view_end(old_view);
  EXPECT_STATUS(hubreg_update_user(reg, &ann), HUBREG_OK, "until it ends");
  hubreg_close(reg);
}

/* A reader thread keeps one view across another thread's write. */
typedef struct reader_args {
  hubreg_registry* reg;
  int to_reader; /* read end: the writer has written */
  int to_writer; /* write end: the reader has its view / is done */
  int saw_old;   /* the kept view still showed the old email */
  int saw_new;   /* a view begun after the write showed the new one */
  uint64_t kept_sequence;
} reader_args;

static void* reader_main(void* raw) {
  reader_args* args = (reader_args*)raw;
  hubreg_view* kept = NULL;
  hubreg_view* fresh = NULL;
  hubreg_user user;
  char byte = 0;
  hubreg_view_begin(args->reg, &kept);
  if (write(args->to_writer, "v", 1) != 1) return NULL;
  if (read(args->to_reader, &byte, 1) != 1) return NULL;
  args->saw_old =
      hubreg_find_user(kept, 1, &user) == HUBREG_OK && strcmp(user.email, "ann@example.com") == 0;
  args->kept_sequence = hubreg_view_sequence(kept);
  hubreg_view_begin(args->reg, &fresh);
  args->saw_new = hubreg_find_user(fresh, 1, &user) == HUBREG_OK &&
                  strcmp(user.email, "ann@moved.example.com") == 0;
  hubreg_view_end(fresh);
  hubreg_view_end(kept);
  return NULL;
}

static void test_a_view_is_consistent_while_another_thread_writes(void) {
  hubreg_registry* reg = sample_registry();
  hubreg_user ann = make_user(1, "U-1", "ann@moved.example.com", HUBREG_ACTIVE);
  reader_args args;
  pthread_t reader;
  int to_reader[2];
  int to_writer[2];
  char byte = 0;

  EXPECT(pipe(to_reader) == 0 && pipe(to_writer) == 0, "pipes");
  memset(&args, 0, sizeof args);
  args.reg = reg;
  args.to_reader = to_reader[0];
  args.to_writer = to_writer[1];
  EXPECT(pthread_create(&reader, NULL, reader_main, &args) == 0, "the reader starts");
  EXPECT(read(to_writer[0], &byte, 1) == 1, "the reader holds its view");
  EXPECT_STATUS(hubreg_update_user(reg, &ann), HUBREG_OK,
                "another thread writes while the view is held");
  EXPECT(write(to_reader[1], "w", 1) == 1, "the reader goes on");
  pthread_join(reader, NULL);
  EXPECT(args.saw_old, "the kept view still shows the state it began with");
  EXPECT(args.kept_sequence == 1, "at its sequence");
  EXPECT(args.saw_new, "a view begun after the write shows it");
  EXPECT_STATUS(hubreg_update_user(reg, &ann), HUBREG_OK,
                "once the view ended, the next write does not wait");
  close(to_reader[0]);
  close(to_reader[1]);
  close(to_writer[0]);
  close(to_writer[1]);
  hubreg_close(reg);
}

static void test_names_and_persistence_calls(void) {
  hubreg_registry* reg = NULL;
  EXPECT_STR(hubreg_status_name(HUBREG_FOREIGN_KEY), "foreign key", "status names");
  EXPECT_STR(hubreg_status_name(HUBREG_NO_MEMORY), "out of memory", "status names");
  EXPECT_STR(hubreg_status_name(HUBREG_RESYNC_REQUIRED), "resync required", "status names");
  EXPECT_STR(hubreg_status_name((hubreg_status)55), "unknown status", "unknown status");
  EXPECT_STR(hubreg_verdict_name((hubreg_verdict)1000), "unknown verdict", "unknown verdict");
  EXPECT_STATUS(hubreg_open_memory(&reg), HUBREG_OK, "open");
  EXPECT_STATUS(hubreg_refresh(reg), HUBREG_INVALID_ARGUMENT,
                "an in-memory registry cannot refresh");
  EXPECT_STATUS(hubreg_snapshot_save(reg, ""), HUBREG_INVALID_ARGUMENT, "a file is needed");
  EXPECT_STR(hubreg_errmsg(reg), "the snapshot file name must not be empty", "and said");
  hubreg_close(reg);
  EXPECT_STATUS(hubreg_open("", 0, &reg), HUBREG_INVALID_ARGUMENT, "a path is needed");
  EXPECT(reg == NULL, "a failed open returns no handle");
  EXPECT_STR(hubreg_errmsg(NULL), "the data directory path must not be empty",
             "a failed open explains through hubreg_errmsg(NULL)");
  hubreg_close(NULL);
}

/* ---- Data directories: only in builds with the persist layer. */

static void path_join(char* out, size_t size, const char* dir, const char* name) {
  snprintf(out, size, "%s/%s", dir, name);
}

static uint64_t user_count(hubreg_registry* reg) {
  hubreg_view* view = NULL;
  hubreg_counts counts;
  if (hubreg_view_begin(reg, &view) != HUBREG_OK) return 0;
  hubreg_view_counts(view, &counts);
  hubreg_view_end(view);
  return counts.users;
}

/* A second process writes one user to `data` once `go` says so. Forked before
 * the parent opens anything, so no LMDB environment crosses the fork. */
static pid_t start_writer(const char* data, int go_fd) {
  pid_t pid = fork();
  if (pid == 0) {
    hubreg_registry* reg = NULL;
    hubreg_user user = make_user(0, "U-from-child", "child@example.com", HUBREG_ACTIVE);
    char byte;
    if (read(go_fd, &byte, 1) != 1) _exit(2);
    if (hubreg_open(data, HUBREG_OPEN_NO_SYNC, &reg) != HUBREG_OK) _exit(3);
    if (hubreg_insert_user(reg, &user, NULL) != HUBREG_OK) _exit(4);
    hubreg_close(reg);
    _exit(0);
  }
  return pid;
}

static void test_data_directories_persist_refresh_and_snapshot(void) {
  char dir[512];
  char data[600];
  char snapshot[600];
  char restored[600];
  hubreg_registry* reg = NULL;
  hubreg_registry* reader = NULL;
  hubreg_batch* batch = hubreg_batch_new();
  hubreg_user user = make_user(0, "U-9", "nine@example.com", HUBREG_ACTIVE);
  int go[2];
  int child_status = 0;
  pid_t child;

  if (hubreg_test_make_temp_dir("c-api", dir, sizeof dir) != 0) {
    EXPECT(0, "a temporary directory is made");
    return;
  }
  path_join(data, sizeof data, dir, "data");
  path_join(snapshot, sizeof snapshot, dir, "registry.snapshot");
  path_join(restored, sizeof restored, dir, "restored");

  EXPECT_STATUS(hubreg_open(data, HUBREG_OPEN_NO_CREATE, &reg), HUBREG_NOT_FOUND,
                "NO_CREATE refuses a missing directory");
  EXPECT(reg == NULL, "and returns no handle");
  EXPECT(strlen(hubreg_errmsg(NULL)) > 0, "and explains through hubreg_errmsg(NULL)");

  EXPECT_STATUS(hubreg_open(data, HUBREG_OPEN_NO_SYNC, &reg), HUBREG_OK, "a directory is made");
  EXPECT_STATUS(hubreg_insert_user(reg, &user, NULL), HUBREG_OK, "a write");
  hubreg_close(reg);
  reg = NULL;
  EXPECT_STATUS(hubreg_open(data, 0, &reg), HUBREG_OK, "the directory opens again");
  EXPECT(user_count(reg) == 1 && hubreg_last_sequence(reg) == 1, "the write survived");
  EXPECT_STATUS(hubreg_snapshot_save(reg, snapshot), HUBREG_OK, "a snapshot is saved");
  EXPECT(hubreg_have_persistence() == (reg != NULL && access(snapshot, F_OK) == 0),
         "hubreg_have_persistence() says whether this build opens directories and saves snapshots");
  hubreg_close(reg);
  reg = NULL;

  EXPECT_STATUS(hubreg_snapshot_restore(snapshot, restored, 0), HUBREG_OK,
                "the snapshot restores into a new directory");
  EXPECT(hubreg_snapshot_restore(snapshot, restored, 0) != HUBREG_OK,
         "restoring over a registry needs overwrite");
  EXPECT_STATUS(hubreg_open(restored, HUBREG_OPEN_READ_ONLY, &reg), HUBREG_OK,
                "the restored directory opens");
  EXPECT(user_count(reg) == 1, "with the snapshot's rows");
  {
    hubreg_change_batch* changes = NULL;
    uint64_t restart = 0;
    EXPECT_STATUS(hubreg_changes_next(reg, 0, 0, &changes, &restart), HUBREG_RESYNC_REQUIRED,
                  "the restored directory no longer holds batch 1");
    EXPECT(changes == NULL && restart == 1, "start again from the snapshot at sequence 1");
    EXPECT(strstr(hubreg_errmsg(reg), "batch 1") != NULL, "the message names the batch");
  }
  hubreg_close(reg);
  reg = NULL;

  EXPECT(pipe(go) == 0, "a pipe");
  child = start_writer(data, go[0]);
  EXPECT_STATUS(hubreg_open(data, HUBREG_OPEN_READ_ONLY, &reader), HUBREG_OK,
                "a read-only handle opens");
  EXPECT_STATUS(hubreg_batch_insert_user(batch, &user), HUBREG_OK, "a batch");
  EXPECT_STATUS(hubreg_apply(reader, batch, NULL), HUBREG_READ_ONLY,
                "a read-only handle refuses writes");
  EXPECT(write(go[1], "!", 1) == 1, "the writer starts");
  waitpid(child, &child_status, 0);
  EXPECT(WIFEXITED(child_status) && WEXITSTATUS(child_status) == 0, "the writer wrote");
  EXPECT(user_count(reader) == 1, "the reader does not see it yet");
  EXPECT_STATUS(hubreg_refresh(reader), HUBREG_OK, "refresh");
  EXPECT(user_count(reader) == 2, "after refresh it does");
  hubreg_close(reader);
  close(go[0]);
  close(go[1]);
  hubreg_batch_free(batch);

  EXPECT(hubreg_test_remove_temp_dir(dir) == 0, "the temporary directory is removed");
}

static void test_in_memory_registries_have_no_files(void) {
  hubreg_registry* reg = NULL;
  hubreg_stats stats;
  char text[64];
  hubreg_open_memory(&reg);
  EXPECT_STATUS(hubreg_snapshot_save(reg, "/nonexistent/x.snapshot"), HUBREG_INVALID_ARGUMENT,
                "an in-memory registry has no snapshot file");
  EXPECT_STATUS(hubreg_store_stats(reg, &stats, sizeof stats), HUBREG_INVALID_ARGUMENT,
                "an in-memory registry has no store statistics");
  EXPECT_STR(hubreg_errmsg(reg), "statistics need a registry opened on a data directory",
             "and says so");
  EXPECT_STATUS(hubreg_store_stats_prometheus(reg, "hubreg", NULL, text, sizeof text, NULL),
                HUBREG_INVALID_ARGUMENT, "nor metrics");
  EXPECT_STR(hubreg_errmsg(reg), "statistics need a registry opened on a data directory",
             "for the same reason");
  EXPECT_STATUS(hubreg_store_compact(reg), HUBREG_INVALID_ARGUMENT, "nor compaction");
  hubreg_close(reg);
}

static void test_the_version_is_the_project_version(void) {
  EXPECT_STR(hubreg_version(), HUBREG_EXPECTED_VERSION, "hubreg_version()");
}

/* Statistics as the store keeps them, compaction, and a reader's view of both. */
static void test_store_stats_and_compaction(void) {
  char dir[512];
  char data[600];
  hubreg_registry* reg = NULL;
  hubreg_registry* reader = NULL;
  hubreg_stats stats;
  hubreg_stats small;
  char text[8192];
  char line[700];
  char file[600];
  size_t needed = 0;
  const size_t kFirstStatsSize = offsetof(hubreg_stats, replacements);
  hubreg_user user = make_user(0, "U-1", "one@example.com", HUBREG_ACTIVE);
  hubreg_user second = make_user(0, "U-2", "two@example.com", HUBREG_ACTIVE);
  unsigned char guard[sizeof(hubreg_stats) + 8];

  if (hubreg_test_make_temp_dir("c-api-stats", dir, sizeof dir) != 0) {
    EXPECT(0, "a temporary directory is made");
    return;
  }
  path_join(data, sizeof data, dir, "data");
  EXPECT_STATUS(hubreg_open(data, HUBREG_OPEN_NO_SYNC, &reg), HUBREG_OK, "a directory is made");
  EXPECT_STATUS(hubreg_insert_user(reg, &user, NULL), HUBREG_OK, "a write");
  EXPECT_STATUS(hubreg_insert_user(reg, &second, NULL), HUBREG_OK, "another");

  memset(&stats, 0xff, sizeof stats);
  EXPECT_STATUS(hubreg_store_stats(reg, &stats, sizeof stats), HUBREG_OK, "stats");
  EXPECT(stats.counts.users == 2 && stats.counts.clients == 0, "rows per table");
  EXPECT(stats.last_sequence == 2, "the last batch");
  EXPECT(stats.snapshot_sequence == 0 && stats.journal_batches == 2, "two batches journaled");
  EXPECT(stats.journal_bytes > 0 && stats.snapshot_bytes > 0, "sizes");
  EXPECT(stats.map_size >= stats.map_used && stats.map_used > 0, "the LMDB map");
  EXPECT(stats.open_seconds >= 0 && stats.open_seconds < 60, "the open time");
  EXPECT(stats.compactions == 0 && stats.retired_registries == 0, "no compaction yet");
  EXPECT_STR(stats.last_compaction_error, "", "no compaction error");
  EXPECT(stats.replacements == 0 && stats.copies == 0, "no restore, no copying compaction");
  EXPECT(stats.commit_signal == 1, "the writer made the commit signal");

  /* The same stats as Prometheus text, sized by the caller. */
  EXPECT_STATUS(hubreg_store_stats_prometheus(reg, "hubreg", data, NULL, 0, &needed),
                HUBREG_INVALID_ARGUMENT, "no buffer: the size is asked");
  EXPECT(needed > 1000 && needed < sizeof text, "the text's size, its NUL included");
  memset(text, 'x', sizeof text);
  EXPECT_STATUS(hubreg_store_stats_prometheus(reg, "hubreg", data, text, needed - 1, &needed),
                HUBREG_INVALID_ARGUMENT, "a byte too small");
  EXPECT(text[0] == 'x', "nothing is written when the text does not fit");
  EXPECT(strstr(hubreg_errmsg(reg), "bytes, the buffer holds") != NULL, "and explained");
  EXPECT_STATUS(hubreg_store_stats_prometheus(reg, "hubreg", data, text, needed, &needed),
                HUBREG_OK, "metrics");
  EXPECT(strlen(text) + 1 == needed, "the whole text and its NUL");
  EXPECT(strncmp(text, "# HELP hubreg_rows ", 19) == 0, "HELP and TYPE lines first");
  snprintf(line, sizeof line, "\nhubreg_rows{path=\"%s\",table=\"user\"} 2\n", data);
  EXPECT(strstr(text, line) != NULL, "the row counts, labelled with the path and the table");
  snprintf(line, sizeof line, "\nhubreg_last_sequence{path=\"%s\"} 2\n", data);
  EXPECT(strstr(text, line) != NULL, "the last batch");
  EXPECT(strstr(text, "\n# TYPE hubreg_compactions_total counter\n") != NULL, "counters");
  EXPECT_STATUS(hubreg_store_stats_prometheus(reg, NULL, NULL, text, sizeof text, NULL), HUBREG_OK,
                "bare names, no path label");
  EXPECT(strstr(text, "\nlast_sequence 2\n") != NULL, "as the renderer leaves them");

  EXPECT_STATUS(hubreg_store_compact(reg), HUBREG_OK, "compact");
  EXPECT_STATUS(hubreg_store_stats(reg, &stats, sizeof stats), HUBREG_OK, "stats again");
  EXPECT(stats.snapshot_sequence == 2 && stats.journal_batches == 0 && stats.journal_bytes == 0,
         "the journal is folded into the snapshot");
  EXPECT(stats.compactions == 1, "one compaction counted");
  EXPECT(stats.copies == 0, "an ordinary compaction is not a copying one");

  /* A caller built against a larger struct gets the fields this library
   * knows and nothing written past `size`; one built against the first
   * hubreg_stats (up to retired_registries) gets those fields and nothing
   * past them; a smaller size is refused. */
  memset(guard, 0xab, sizeof guard);
  EXPECT_STATUS(hubreg_store_stats(reg, (hubreg_stats*)(void*)guard, sizeof(hubreg_stats)),
                HUBREG_OK, "stats into a buffer");
  EXPECT(guard[sizeof(hubreg_stats)] == 0xab, "nothing is written past size");
  memset(&small, 0xab, sizeof small);
  EXPECT_STATUS(hubreg_store_stats(reg, &small, kFirstStatsSize), HUBREG_OK,
                "the first struct's size is still served");
  EXPECT(small.compactions == 1 && small.retired_registries == 0, "with its fields");
  EXPECT(((const unsigned char*)(const void*)&small)[kFirstStatsSize] == 0xab,
         "and nothing after them");
  EXPECT_STATUS(hubreg_store_stats(reg, &small, kFirstStatsSize - 8), HUBREG_INVALID_ARGUMENT,
                "a size smaller than the first hubreg_stats is refused");
  EXPECT(strstr(hubreg_errmsg(reg), "pass sizeof(hubreg_stats)") != NULL, "and explained");

  EXPECT_STATUS(hubreg_open(data, HUBREG_OPEN_READ_ONLY, &reader), HUBREG_OK, "a reader");
  memset(&stats, 0xff, sizeof stats);
  EXPECT_STATUS(hubreg_store_stats(reader, &stats, sizeof stats), HUBREG_OK, "reader stats");
  EXPECT(stats.counts.users == 2 && stats.snapshot_sequence == 2, "the reader sees the same");
  EXPECT(stats.replacements == 0 && stats.copies == 0 && stats.commit_signal == 1,
         "a reader that followed no restore or copy, waking on the commit signal");
  EXPECT_STATUS(hubreg_store_compact(reader), HUBREG_READ_ONLY, "a reader cannot compact");

  /* A restore replaces data.mdb under the reader: its next refresh reloads
   * everything from the new file and counts a replacement, not a copy. */
  path_join(file, sizeof file, dir, "one-user.snapshot");
  EXPECT_STATUS(hubreg_erase_user(reg, 2), HUBREG_OK, "a user erased");
  EXPECT_STATUS(hubreg_snapshot_save(reg, file), HUBREG_OK, "a snapshot of one user");
  hubreg_close(reg);
  EXPECT_STATUS(hubreg_snapshot_restore(file, data, 1), HUBREG_OK,
                "restored under the open reader");
  EXPECT_STATUS(hubreg_refresh(reader), HUBREG_OK, "the reader refreshes");
  EXPECT(user_count(reader) == 1, "onto the restored rows");
  memset(&stats, 0xff, sizeof stats);
  EXPECT_STATUS(hubreg_store_stats(reader, &stats, sizeof stats), HUBREG_OK, "reader stats again");
  EXPECT(stats.replacements == 1 && stats.copies == 0, "one replacement, no copy");
  hubreg_close(reader);
  EXPECT(hubreg_test_remove_temp_dir(dir) == 0, "the temporary directory is removed");
}

/* Every error a client row can cause: the message never holds its password. */
static void test_no_error_message_shows_a_password(void) {
  static const char* const kSecret = "SuperSecret-c9Zt";
  hubreg_registry* reg = sample_registry();
  hubreg_batch* batch = hubreg_batch_new();
  hubreg_client client;
  hubreg_status got;
  int i;

  for (i = 0; i < 7; ++i) {
    client = make_client(0, 1, "ACC-9", kSecret, HUBREG_ACTIVE);
    switch (i) {
      case 0: /* not an enum value */
        client.status = (hubreg_record_status)7;
        break;
      case 1: /* a duplicate key */
        client.external_id = "ACC-1";
        break;
      case 2: /* a duplicate id */
        client.id = 1;
        break;
      case 3: /* a missing parent */
        client.threecolts_organization_id = 99;
        break;
      case 4: /* an empty key */
        client.external_id = "";
        break;
      case 5: /* the secret elsewhere */
        client.external_id = kSecret;
        client.id = 1;
        break;
      default: /* an update of nothing */
        client.id = 77;
        break;
    }
    got = i == 6 ? hubreg_update_client(reg, &client) : hubreg_insert_client(reg, &client, NULL);
    EXPECT(got != HUBREG_OK, "the bad client is refused");
    EXPECT(strstr(hubreg_errmsg(reg), "SuperSecret") == NULL, "no message shows the password");
  }
  client = make_client(0, 1, "ACC-9", kSecret, HUBREG_ACTIVE);
  client.status = (hubreg_record_status)7;
  EXPECT_STATUS(hubreg_insert_client(reg, &client, NULL), HUBREG_INVALID_ARGUMENT,
                "an out-of-range status is refused");
  EXPECT_STR(hubreg_errmsg(reg), "client: status 7 is not one of the enum's values; in mutation 1",
             "the message names the table, column and the bad number");

  EXPECT_STATUS(hubreg_batch_insert_client(batch, &client), HUBREG_INVALID_ARGUMENT,
                "a batch refuses the row at once");
  EXPECT_STATUS(hubreg_apply(reg, batch, NULL), HUBREG_INVALID_ARGUMENT,
                "and the batch that holds it");
  EXPECT(strstr(hubreg_errmsg(reg), "SuperSecret") == NULL, "a batch's message neither");
  hubreg_batch_free(batch);
  hubreg_close(reg);
}

static void test_the_change_feed_hands_out_each_batch_with_its_rows(void) {
  hubreg_registry* reg = sample_registry();
  hubreg_client moved = make_client(2, 1, "ACC-2", "rotated-2", HUBREG_DISABLED);
  hubreg_change_batch* batch = NULL;
  hubreg_client before;
  hubreg_client after;
  hubreg_link link_before;
  hubreg_link link_after;
  hubreg_user user;
  hubreg_table table = HUBREG_TABLE_APP;
  hubreg_change_op op = HUBREG_INSERT;
  uint64_t restart = 0;

  moved.db.db_host = "moved.internal";
  EXPECT_STATUS(hubreg_update_client(reg, &moved), HUBREG_OK, "client 2 moves");
  EXPECT_STATUS(hubreg_erase_link(reg, 2, 1), HUBREG_OK, "a link goes");

  EXPECT_STATUS(hubreg_changes_next(reg, 1, 0, &batch, &restart), HUBREG_OK,
                "the batch after 1 is there");
  EXPECT(batch != NULL && hubreg_change_batch_sequence(batch) == 2, "it is batch 2");
  EXPECT(hubreg_change_batch_committed_at(batch) > 0, "with its commit time");
  EXPECT(hubreg_change_batch_size(batch) == 1, "changing one row");
  EXPECT_STATUS(hubreg_change_info(batch, 0, &table, &op), HUBREG_OK, "change 0");
  EXPECT(table == HUBREG_TABLE_CLIENT && op == HUBREG_UPDATE, "is an update of a client");
  EXPECT_STATUS(hubreg_change_client(batch, 0, &before, &after), HUBREG_OK, "its rows");
  EXPECT_STR(before.db.db_host, "db.internal", "the row before");
  EXPECT_STR(after.db.db_host, "moved.internal", "the row after");
  EXPECT_STR(after.db.db_password, "rotated-2", "passwords as in lookups");
  EXPECT(after.id == 2 && after.status == HUBREG_DISABLED, "every column");
  EXPECT_STATUS(hubreg_change_user(batch, 0, &user, NULL), HUBREG_INVALID_ARGUMENT,
                "a change read as another table's is refused");
  EXPECT_STATUS(hubreg_change_info(batch, 1, &table, &op), HUBREG_INVALID_ARGUMENT,
                "an index past the end is refused");
  hubreg_change_batch_free(batch);
  batch = NULL;

  EXPECT_STATUS(hubreg_changes_next(reg, 2, 0, &batch, NULL), HUBREG_OK, "then batch 3");
  EXPECT_STATUS(hubreg_change_info(batch, 0, &table, &op), HUBREG_OK, "its change");
  EXPECT(table == HUBREG_TABLE_CLIENT_USER && op == HUBREG_DELETE, "is a link deleted");
  EXPECT_STATUS(hubreg_change_link(batch, 0, &link_before, &link_after), HUBREG_OK, "its rows");
  EXPECT(link_before.client_id == 2 && link_before.user_id == 1, "the link before");
  EXPECT(link_after.client_id == 0 && link_after.user_id == 0, "no row after: zero-filled");
  hubreg_change_batch_free(batch);
  batch = NULL;

  EXPECT_STATUS(hubreg_changes_next(reg, 3, 20, &batch, NULL), HUBREG_NOT_FOUND,
                "a wait for a batch not yet committed times out");
  EXPECT(batch == NULL, "and hands out no batch");
  hubreg_change_batch_free(NULL);
  hubreg_close(reg);
}

int main(void) {
  test_lookups_fill_rows_with_borrowed_strings();
  test_iterators_walk_the_links_of_one_row();
  test_resolve_routes_allowed_users_and_explains_refusals();
  test_helpers_write_one_mutation_and_report_errors();
  test_no_error_message_shows_a_password();
  test_batches_are_atomic_and_report_assigned_ids();
  test_a_view_keeps_its_state_while_others_write();
  test_a_view_is_consistent_while_another_thread_writes();
  test_names_and_persistence_calls();
  test_in_memory_registries_have_no_files();
  test_the_version_is_the_project_version();
  test_store_stats_and_compaction();
  test_the_change_feed_hands_out_each_batch_with_its_rows();
  test_data_directories_persist_refresh_and_snapshot();
  if (failures != 0) {
    fprintf(stderr, "c_api_test: %d check(s) failed\n", failures);
    return 1;
  }
  printf("c_api_test: all checks passed\n");
  return 0;
}
