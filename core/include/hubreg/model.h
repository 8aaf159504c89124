// The hub_alpha registry model, schema v1.2. Table and column names are fixed
// by the product's schema document; the CSV import/export and the bindings
// use the same names.
//
// Ids are unsigned 64-bit and start at 1. Id 0 means "none": in an insert it
// asks the registry to assign the next free id of the table, and in
// Client::threecolts_organization_id it is the NULL of v1.0 data.
// Timestamps are UTC, in microseconds; the default (the epoch) in an insert
// or update means "now" (created_at of an update: "keep the stored value").
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "hubreg/secret.h"

namespace hubreg {

using Id = std::uint64_t;
inline constexpr Id kNoId = 0;

using Timestamp = std::chrono::sys_time<std::chrono::microseconds>;

enum class Environment : std::uint8_t { kStage, kProd };
enum class RecordStatus : std::uint8_t { kActive, kDisabled };

// `threecolts_app`: one record per environment.
struct App {
  Id id = kNoId;
  std::string name;
  std::string app_key;  // unique
  Environment environment = Environment::kStage;
  Timestamp created_at{};
  Timestamp updated_at{};
  bool operator==(const App&) const = default;
};

// `threecolts_organization` ("3C Organization"): the top level.
struct Organization {
  Id id = kNoId;
  Id threecolts_app_id = kNoId;      // -> threecolts_app
  Id organization_owner_id = kNoId;  // -> user
  std::string external_id;           // 3C's organization id, unique per app
  std::string name;
  Timestamp created_at{};
  Timestamp updated_at{};
  bool operator==(const Organization&) const = default;
};

// `client` ("3C Account"): a separate database, with how to connect to it.
struct Client {
  Id id = kNoId;
  Id threecolts_organization_id = kNoId;  // -> organization; kNoId only for v1.0 data
  std::string external_id;                // 3C's account id, unique
  std::string name;
  std::string db_host;
  std::uint16_t db_port = 0;
  std::string db_name;
  std::string db_user;
  Secret db_password;  // never logged, never in an error (see secret.h)
  RecordStatus status = RecordStatus::kActive;
  Timestamp created_at{};
  Timestamp updated_at{};
  bool operator==(const Client&) const = default;
};

// `user` ("3C Users"): a person with access to clients.
struct User {
  Id id = kNoId;
  std::string external_id;  // 3C's user id, unique
  std::string email;        // unique, compared ASCII-case-insensitively
  std::string name;
  RecordStatus status = RecordStatus::kActive;
  Timestamp created_at{};
  Timestamp updated_at{};
  bool operator==(const User&) const = default;
};

// `client_user`: the many-to-many link; the pair is unique.
struct ClientUserLink {
  Id client_id = kNoId;  // -> client
  Id user_id = kNoId;    // -> user
  Timestamp created_at{};
  bool operator==(const ClientUserLink&) const = default;
};

// Table names as in the schema document. The columns of each row type are
// described once, in hubreg/columns.h.
inline constexpr std::string_view kAppTable = "threecolts_app";
inline constexpr std::string_view kOrganizationTable = "threecolts_organization";
inline constexpr std::string_view kClientTable = "client";
inline constexpr std::string_view kUserTable = "user";
inline constexpr std::string_view kClientUserTable = "client_user";

std::string_view ToString(Environment environment);  // "stage" / "prod"
std::string_view ToString(RecordStatus status);      // "active" / "disabled"
std::optional<Environment> ParseEnvironment(std::string_view text);
std::optional<RecordStatus> ParseRecordStatus(std::string_view text);

// ISO 8601 in UTC with microseconds only when non-zero: "2026-01-02T03:04:05Z".
std::string FormatTimestamp(Timestamp t);

// ASCII case folding used for emails, so that the index and callers agree.
bool EqualsIgnoreCase(std::string_view a, std::string_view b);

}  // namespace hubreg
