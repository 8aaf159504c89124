// How `hubreg watch` shows the change feed: one JSON object per line for
// programs, one readable line per batch for people (docs/cli.md, "watch").
#pragma once

#include <cstdint>
#include <string>

#include "hubreg/change.h"

namespace hubreg::cli {

struct ChangeOutputOptions {
  bool include_secrets = false;  // otherwise db_password is null
  bool include_access = false;   // add the batch's access pairs and connection_changed
};

// {"event":"batch","sequence":N,"committed_at":"<RFC 3339 UTC>","changes":[
//   {"table":T,"op":"insert"|"update"|"delete","before":ROW|null,"after":ROW|null},...]}
// with, when include_access, "access":[{"user_id","client_id","before","after",
// "organization_before","organization_after"},...] and "connection_changed":[ids].
// ROW is an object keyed by column name in schema order, as export's JSONL:
// ids and ports as numbers, a NULL (an id of 0, a hidden secret) as null.
// Text that is not valid UTF-8 is shown with U+FFFD in its place. One line,
// ending with a newline.
std::string RenderBatchJson(const ChangeBatch& batch, const ChangeOutputOptions& options);

// "batch N at <time>: K changes: client 7 update, client_user 7/3 delete, ..."
// (then "; access: user 3 client 7 allowed -> unknown account, ...;
// connection changed: clients 7, 9" when include_access). Passwords are
// never shown. One line, ending with a newline.
std::string RenderBatchText(const ChangeBatch& batch, const ChangeOutputOptions& options);

// {"event":"resync","restart_sequence":N,"message":"..."}: the batches after
// the watcher's cursor are no longer kept. One line, ending with a newline.
std::string RenderResyncJson(std::uint64_t restart_sequence, const std::string& message);

}  // namespace hubreg::cli
