// Internal: checks, before following, that the source's five tables have
// every column hubreg needs with a type it can read, and that the
// publication holds them. Extra columns are allowed (they are ignored).
#pragma once

#include <string>

#include "hubreg/follower.h"
#include "pg_conn.h"

namespace hubreg::sync {

// OK, or kInvalidArgument listing every difference, e.g. "the source schema
// does not fit: public.client.db_port has type text, expected an integer
// (smallint, integer, bigint); public.user.email is missing".
Status CheckSourceSchema(PgConn& conn, const SourceTables& tables, const std::string& publication);

}  // namespace hubreg::sync
