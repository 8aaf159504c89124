/* Time of one lookup through the C API: 1M lookups of a user by external id
 * in a registry of 100k users, keys in a fixed pseudo-random order, once in
 * one view and once with a view begun and ended around every lookup.
 * cpp_lookup_bench.cpp and py_lookup_bench.py do the same through C++ and
 * Python, so the three figures compare.
 *
 *   c_lookup_bench [users] [lookups] */
#define _POSIX_C_SOURCE 199309L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hubreg/hubreg.h"

static double now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static void check(hubreg_status status, hubreg_registry* reg, const char* what) {
  if (status != HUBREG_OK) {
    fprintf(stderr, "%s: %s: %s\n", what, hubreg_status_name(status), hubreg_errmsg(reg));
    exit(1);
  }
}

int main(int argc, char** argv) {
  const long users = argc > 1 ? atol(argv[1]) : 100000;
  const long lookups = argc > 2 ? atol(argv[2]) : 1000000;
  hubreg_registry* reg = NULL;
  hubreg_batch* batch = hubreg_batch_new();
  hubreg_view* view = NULL;
  hubreg_user user;
  char(*keys)[16] = malloc((size_t)users * sizeof *keys);
  long* order = malloc((size_t)lookups * sizeof *order);
  unsigned long long state = 42, sum = 0;
  char email[48];
  double start, one_view, view_each, view_renewed;
  long i;

  check(hubreg_open_memory(&reg), reg, "open");
  for (i = 0; i < users; ++i) {
    memset(&user, 0, sizeof user);
    sprintf(keys[i], "U-%ld", i + 1);
    sprintf(email, "user%ld@example.com", i + 1);
    user.external_id = keys[i];
    user.email = email;
    user.name = keys[i];
    check(hubreg_batch_insert_user(batch, &user), reg, "add");
    if (hubreg_batch_size(batch) == 10000 || i + 1 == users) {
      check(hubreg_apply(reg, batch, NULL), reg, "apply");
      hubreg_batch_clear(batch);
    }
  }
  hubreg_batch_free(batch);
  for (i = 0; i < lookups; ++i) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    order[i] = (long)((state >> 33) % (unsigned long long)users);
  }

  check(hubreg_view_begin(reg, &view), reg, "view");
  start = now_ns();
  for (i = 0; i < lookups; ++i) {
    if (hubreg_find_user_by_external_id(view, keys[order[i]], &user) == HUBREG_OK) sum += user.id;
  }
  one_view = (now_ns() - start) / (double)lookups;
  hubreg_view_end(view);

  start = now_ns();
  for (i = 0; i < lookups; ++i) {
    check(hubreg_view_begin(reg, &view), reg, "view");
    if (hubreg_find_user_by_external_id(view, keys[order[i]], &user) == HUBREG_OK) sum += user.id;
    hubreg_view_end(view);
  }
  view_each = (now_ns() - start) / (double)lookups;

  check(hubreg_view_begin(reg, &view), reg, "view");
  start = now_ns();
  for (i = 0; i < lookups; ++i) {
    hubreg_view_renew(view);
    if (hubreg_find_user_by_external_id(view, keys[order[i]], &user) == HUBREG_OK) sum += user.id;
  }
  view_renewed = (now_ns() - start) / (double)lookups;
  hubreg_view_end(view);

  printf("c    find_user_by_external_id  one view:         %7.1f ns/lookup\n", one_view);
  printf("c    find_user_by_external_id  view per lookup:  %7.1f ns/lookup\n", view_each);
  printf("c    find_user_by_external_id  renew per lookup: %7.1f ns/lookup\n", view_renewed);
  printf("(%ld users, %ld lookups, checksum %llu)\n", users, lookups, sum);
  free(keys);
  free(order);
  hubreg_close(reg);
  return 0;
}
