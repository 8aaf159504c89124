// Internal: checks, before following, that each of the five source tables
// exists, fits the registry (ChangeTranslator::CheckRelation on the table as
// the catalog describes it) and is in the publication.
#pragma once

#include <string>

#include "change_translator.h"
#include "pg_conn.h"

namespace hubreg::sync {

// OK, or kInvalidArgument "the source schema does not fit: " and every
// difference, separated by "; ".
Status CheckSourceSchema(PgConn& conn, const ChangeTranslator& translator,
                         const std::string& publication);

}  // namespace hubreg::sync
