#include "hubreg/lsn.h"

#include <doctest/doctest.h>

using namespace hubreg;

TEST_CASE("an LSN prints as PostgreSQL prints pg_lsn") {
  CHECK(FormatLsn(0) == "0/0");
  CHECK(FormatLsn(0x16B374D848ull) == "16/B374D848");
  CHECK(FormatLsn(0xFFFFFFFFFFFFFFFFull) == "FFFFFFFF/FFFFFFFF");
}

TEST_CASE("an LSN's text form parses back, in either case") {
  CHECK(ParseLsn("16/B374D848") == 0x16B374D848ull);
  CHECK(ParseLsn("16/b374d848") == 0x16B374D848ull);
  CHECK(ParseLsn("0/0") == 0u);
  CHECK(ParseLsn("FFFFFFFF/FFFFFFFF") == 0xFFFFFFFFFFFFFFFFull);
  for (Lsn lsn : {Lsn{1}, Lsn{0x100000000ull}, Lsn{0xABCDEF0123456789ull}})
    CHECK(ParseLsn(FormatLsn(lsn)) == lsn);
}

TEST_CASE("malformed LSN text is refused") {
  for (const char* text : {"", "/", "16", "16/", "/B374D848", "16/B374D848/1", "x/1", "1/g", "+1/2",
                           "0x1/2", "123456789/0", "1 /2", "-1/2"}) {
    CAPTURE(text);
    CHECK_FALSE(ParseLsn(text).has_value());
  }
}
