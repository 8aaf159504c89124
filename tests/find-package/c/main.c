/* A C program against an installed hubreg's C API: built by a C-only CMake
 * project (hubreg::c) and with `cc $(pkg-config --cflags --libs hubreg)`. */
#include <stdio.h>
#include <string.h>

#include "hubreg/hubreg.h"

int main(void) {
  hubreg_registry* reg = NULL;
  if (hubreg_open_memory(&reg) != HUBREG_OK) {
    fprintf(stderr, "c consumer: open failed: %s\n", hubreg_errmsg(NULL));
    return 1;
  }
  hubreg_user user;
  memset(&user, 0, sizeof user);
  user.external_id = "u-1";
  user.email = "ann@example.com";
  user.name = "Ann";
  hubreg_batch* batch = hubreg_batch_new();
  int ok = batch != NULL && hubreg_batch_insert_user(batch, &user) == HUBREG_OK &&
           hubreg_apply(reg, batch, NULL) == HUBREG_OK;
  hubreg_batch_free(batch);
  if (!ok) {
    fprintf(stderr, "c consumer: apply failed: %s\n", hubreg_errmsg(reg));
    hubreg_close(reg);
    return 1;
  }
  hubreg_view* view = NULL;
  if (hubreg_view_begin(reg, &view) != HUBREG_OK) {
    fprintf(stderr, "c consumer: no view: %s\n", hubreg_errmsg(reg));
    hubreg_close(reg);
    return 1;
  }
  hubreg_user found;
  ok = hubreg_find_user_by_email(view, "ANN@example.com", &found) == HUBREG_OK &&
       strcmp(found.external_id, "u-1") == 0;
  hubreg_view_end(view);
  hubreg_close(reg);
  if (!ok) {
    fprintf(stderr, "c consumer: the user was not found by email\n");
    return 1;
  }
  printf("c consumer ok\n");
  return 0;
}
