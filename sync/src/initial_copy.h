// Internal: the follower's first copy. Copies the five tables with
// COPY ... TO STDOUT inside the snapshot a new replication slot exported, so
// that the copy plus the slot's stream from its consistent point holds every
// change exactly once.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "hubreg/follower.h"
#include "hubreg/registry.h"
#include "pg_conn.h"
#include "source_mapping.h"

namespace hubreg::sync {

// Called after every 10,000 rows of a table and at its end, with the rows of
// that table so far.
using CopyProgress = std::function<void(std::string_view table, std::uint64_t rows)>;

// On `conn` (a normal connection): BEGIN ISOLATION LEVEL REPEATABLE READ,
// SET TRANSACTION SNAPSHOT `snapshot`, then one COPY per table (in the
// order parents before children), each row read as the registry's model
// (the same conversions as the stream: timestamps to UTC, NULL as import
// treats it), COMMIT. kIo when the connection fails, kInvalidArgument naming
// table, row and column for a value the registry cannot hold.
StatusOr<RegistryRows> CopyTables(PgConn& conn, const std::string& snapshot,
                                  const SourceMapping& mapping, const CopyProgress& progress);

}  // namespace hubreg::sync
