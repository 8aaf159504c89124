#include "hubreg/status.h"

#include <doctest/doctest.h>

using hubreg::ErrorCode;
using hubreg::Status;
using hubreg::StatusOr;

TEST_CASE("a default status is ok and prints as ok") {
  Status status;
  CHECK(status.ok());
  CHECK(status.code() == ErrorCode::kOk);
  CHECK(status.ToString() == "ok");
}

TEST_CASE("an error prints its code name and message") {
  CHECK(Status::NotFound("user: id 7 not found").ToString() == "not found: user: id 7 not found");
  CHECK(Status::ForeignKey("x").ToString() == "foreign key: x");
  CHECK(Status::InUse("x").ToString() == "in use: x");
  CHECK(Status::Duplicate("x").ToString() == "duplicate: x");
  CHECK(Status::InvalidArgument("x").ToString() == "invalid argument: x");
  CHECK(Status::Corruption("x").ToString() == "corruption: x");
  CHECK(Status::Io("x").ToString() == "I/O error: x");
  CHECK(Status::Version("x").ToString() == "unsupported version: x");
  CHECK(Status::ReadOnly("x").ToString() == "read-only: x");
  CHECK(Status::ResyncRequired("x").ToString() == "resync required: x");
}

TEST_CASE("context is appended to an error and ignored on ok") {
  Status status = Status::Duplicate("user: id 1 already exists").WithContext("mutation 2 of 3");
  CHECK(status.code() == ErrorCode::kDuplicate);
  CHECK(status.message() == "user: id 1 already exists; in mutation 2 of 3");
  CHECK(Status::Ok().WithContext("anything").ok());
}

TEST_CASE("a StatusOr holds either a value or the error") {
  StatusOr<int> value = 42;
  REQUIRE(value.ok());
  CHECK(*value == 42);
  CHECK(value.status().ok());

  StatusOr<int> error = Status::NotFound("nothing");
  CHECK_FALSE(error.ok());
  CHECK(error.status().code() == ErrorCode::kNotFound);
}
