// Reading exports: the v1.2 and v1.0 fixtures, every kind of bad row, and
// the export/import round trip, through the library the command uses.
#include "importer.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "exporter.h"
#include "temp_dir.h"
#include "testutil.h"

namespace hubreg::cli {
namespace {

namespace fs = std::filesystem;
using test::TempDir;

const std::string kData = HUBREG_TEST_DATA_DIR;

std::vector<std::string> Messages(const std::vector<RowError>& errors) {
  std::vector<std::string> messages;
  for (const RowError& error : errors) messages.push_back(error.ToString());
  return messages;
}

ImportedRows ReadClean(const std::string& path, DataFormat format = DataFormat::kCsv) {
  ImportedRows imported;
  std::vector<RowError> errors;
  REQUIRE_OK(ReadImport(path, format, &imported, &errors));
  Registry empty;
  CheckImport(imported, empty.Read(), &errors);
  CHECK(Messages(errors) == std::vector<std::string>{});
  return imported;
}

// Rows in a canonical order, for comparing two reads.
RegistryRows Canonical(RegistryRows rows) {
  const auto by_id = [](const auto& a, const auto& b) { return a.id < b.id; };
  std::sort(rows.apps.begin(), rows.apps.end(), by_id);
  std::sort(rows.organizations.begin(), rows.organizations.end(), by_id);
  std::sort(rows.clients.begin(), rows.clients.end(), by_id);
  std::sort(rows.users.begin(), rows.users.end(), by_id);
  std::sort(rows.links.begin(), rows.links.end(), [](const auto& a, const auto& b) {
    return std::tie(a.client_id, a.user_id) < std::tie(b.client_id, b.user_id);
  });
  return rows;
}

void CheckSameRows(const RegistryRows& a, const RegistryRows& b) {
  CHECK(a.apps == b.apps);
  CHECK(a.organizations == b.organizations);
  CHECK(a.clients == b.clients);
  CHECK(a.users == b.users);
  CHECK(a.links == b.links);
}

std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::unique_ptr<Registry> Load(RegistryRows rows) {
  auto registry = std::make_unique<Registry>();
  REQUIRE_OK(registry->Apply(MakeImportBatch(std::move(rows))));
  return registry;
}

TEST_CASE("the v1.2 fixture is read with quotes, commas, newlines, UTF-8 and NULLs intact") {
  const ImportedRows imported = ReadClean(kData + "/csv-v1.2");
  const RegistryRows rows = Canonical(imported.rows);
  REQUIRE(rows.apps.size() == 2);
  REQUIRE(rows.organizations.size() == 3);
  REQUIRE(rows.clients.size() == 5);
  REQUIRE(rows.users.size() == 6);
  REQUIRE(rows.links.size() == 8);
  CHECK(rows.apps[1].name == "hub_alpha, production");
  CHECK(rows.apps[1].environment == Environment::kProd);
  CHECK(rows.apps[1].updated_at == test::At(1749990600) + std::chrono::milliseconds(250));
  CHECK(rows.users[0].name == "Ann Østergaard");
  CHECK(rows.users[1].name == "Bob \"The Builder\" Brown");
  CHECK(rows.users[2].name == "Cid\non two lines");
  CHECK(rows.users[3].status == RecordStatus::kDisabled);
  CHECK(rows.users[4].name == "");
  CHECK(rows.users[5].name == "Zoë 日本");
  CHECK(rows.clients[0].db_password == "p@ss,word\"1");
  CHECK(rows.clients[2].db_port == 6432);
  CHECK(rows.clients[3].threecolts_organization_id == kNoId);
  CHECK(rows.organizations[1].name == "Bob's Builders, Inc.");
  Load(imported.rows);
}

TEST_CASE("a v1.0 export without organizations is read as clients of no organization") {
  const ImportedRows imported = ReadClean(kData + "/csv-v1.0");
  CHECK(imported.rows.apps.empty());
  CHECK(imported.rows.organizations.empty());
  REQUIRE(imported.rows.clients.size() == 2);
  CHECK(imported.rows.clients[0].threecolts_organization_id == kNoId);
  CHECK(imported.rows.clients[1].name == "Second account, old");
  CHECK(imported.rows.users.size() == 3);
  CHECK(imported.rows.links.size() == 4);
  Load(imported.rows);
}

TEST_CASE("a file's text read in memory gives the rows and errors of reading the file") {
  ImportedRows from_files;
  std::vector<RowError> file_errors;
  REQUIRE_OK(ReadImport(kData + "/csv-bad/user.csv", DataFormat::kCsv, &from_files, &file_errors));
  ImportedRows in_memory;
  std::vector<RowError> memory_errors;
  ReadCsvText(Table::kUser, "user.csv", ReadText(kData + "/csv-bad/user.csv"), &in_memory,
              &memory_errors);
  CHECK(in_memory.files == std::vector<std::string>{"user.csv"});
  CHECK(in_memory.rows.users == from_files.rows.users);
  CHECK(Messages(memory_errors) == Messages(file_errors));
  CHECK(!memory_errors.empty());

  TempDir dir;
  const ImportedRows imported = ReadClean(kData + "/csv-v1.2");
  const auto registry = Load(imported.rows);
  ExportOptions options;
  options.format = DataFormat::kJsonl;
  REQUIRE_OK(Export(registry->Read(), dir.path().string(), options));
  const std::string jsonl = ReadText((dir.path() / "user.jsonl").string());
  ImportedRows from_jsonl;
  std::vector<RowError> jsonl_errors;
  ReadJsonlText("user.jsonl", jsonl, &from_jsonl, &jsonl_errors);
  CHECK(Messages(jsonl_errors) == std::vector<std::string>{});
  CHECK(Canonical(from_jsonl.rows).users == Canonical(imported.rows).users);
}

TEST_CASE("every bad row is reported as file:line: column: reason") {
  ImportedRows imported;
  std::vector<RowError> errors;
  REQUIRE_OK(ReadImport(kData + "/csv-bad", DataFormat::kCsv, &imported, &errors));
  Registry empty;
  CheckImport(imported, empty.Read(), &errors);
  SortErrors(&errors);
  std::ifstream expected_file(kData + "/csv-bad/expected-errors.txt");
  std::vector<std::string> expected;
  for (std::string line; std::getline(expected_file, line);) expected.push_back(line);
  CHECK(Messages(errors) == expected);
}

TEST_CASE("no message repeats a password") {
  ImportedRows imported;
  std::vector<RowError> errors;
  REQUIRE_OK(ReadImport(kData + "/csv-bad", DataFormat::kCsv, &imported, &errors));
  for (const RowError& error : errors) CHECK(error.ToString().find("hunter2") == std::string::npos);
}

TEST_CASE("rows clashing with the registry are reported against the registry") {
  const ImportedRows imported = ReadClean(kData + "/csv-v1.0");
  auto registry = Load(imported.rows);
  std::vector<RowError> errors;
  CheckImport(imported, registry->Read(), &errors);
  REQUIRE(errors.size() == 2 * 2 + 3 * 3 + 4);
  CHECK(errors.front().ToString() == "user.csv:2: id: 1 already exists");
  CHECK(errors.back().ToString() ==
        "client_user.csv:5: (client_id, user_id): (2, 3) already exists");
}

TEST_CASE("a header with an unknown or missing column is refused before any row") {
  TempDir dir;
  std::ofstream(dir.path() / "user.csv")
      << "id,external_id,mail,name,status,created_at,updated_at\n"
      << "1,U-1,a@b.c,A,active,2025-01-01 00:00:00,2025-01-01 00:00:00\n";
  ImportedRows imported;
  std::vector<RowError> errors;
  REQUIRE_OK(ReadImport(dir.path().string(), DataFormat::kCsv, &imported, &errors));
  CHECK(Messages(errors) ==
        std::vector<std::string>{"user.csv:1: \"mail\": unknown column for table user",
                                 "user.csv:1: email: missing from the header"});
  CHECK(imported.rows.users.empty());
}

TEST_CASE("a path without table files is an error, not an empty import") {
  TempDir dir;
  ImportedRows imported;
  std::vector<RowError> errors;
  const Status status = ReadImport(dir.path().string(), DataFormat::kCsv, &imported, &errors);
  CHECK(status.code() == ErrorCode::kNotFound);
  const Status missing = ReadImport("/no/such/dir", DataFormat::kCsv, &imported, &errors);
  CHECK(missing.message() == "/no/such/dir: no such file or directory");
}

TEST_CASE("import then export with secrets gives the same rows, in CSV and in JSONL") {
  const ImportedRows imported = ReadClean(kData + "/csv-v1.2");
  auto registry = Load(imported.rows);
  for (DataFormat format : {DataFormat::kCsv, DataFormat::kJsonl}) {
    CAPTURE(FormatName(format));
    TempDir dir;
    ExportOptions options;
    options.format = format;
    options.include_secrets = true;
    StatusOr<ExportSummary> summary = Export(registry->Read(), dir.path().string(), options);
    REQUIRE_OK(summary);
    CHECK(summary->files.size() == 5);
    const ImportedRows again = ReadClean(dir.path().string(), format);
    CheckSameRows(Canonical(again.rows), Canonical(imported.rows));
  }
}

TEST_CASE("export leaves passwords empty unless secrets are asked for") {
  auto registry = Load(ReadClean(kData + "/csv-v1.2").rows);
  TempDir dir;
  REQUIRE_OK(Export(registry->Read(), dir.path().string(), ExportOptions{}));
  std::ifstream in(dir.path() / "client.csv");
  std::stringstream text;
  text << in.rdbuf();
  CHECK(text.str().find("s3cret") == std::string::npos);
  CHECK(text.str().find("4,,ACC-4,Legacy account (v1.0),db4.internal,5432,legacy,svc_l,,active,"
                        "2024-11-30T23:59:59Z,2024-11-30T23:59:59Z\n") != std::string::npos);
  const Status again = Export(registry->Read(), dir.path().string(), ExportOptions{}).status();
  CHECK(again.message() == (dir.path() / "threecolts_app.csv").string() +
                               " already exists (pass --force to overwrite)");
}

TEST_CASE("malformed JSONL lines are reported with their line and key") {
  TempDir dir;
  const fs::path file = dir.path() / "bad.jsonl";
  std::ofstream(file)
      << R"({"table":"user","id":1,"external_id":"U-1","email":"a@b.c","name":null,"status":"active","created_at":"2025-01-01 00:00:00","updated_at":"2025-01-01T00:00:00Z"})"
      << "\n{not json\n"
      << R"({"table":"nope"})"
      << "\n"
      << R"({"table":"user","id":2,"colour":"red"})"
      << "\n"
      << R"({"table":"user","id":true})"
      << "\n"
      << R"({"table":"client_user","client_id":1,"created_at":"2025-01-01 00:00:00"})"
      << "\n";
  ImportedRows imported;
  std::vector<RowError> errors;
  REQUIRE_OK(ReadImport(file.string(), DataFormat::kJsonl, &imported, &errors));
  CHECK(imported.rows.users.size() == 1);
  const auto messages = Messages(errors);
  REQUIRE(messages.size() == 5);
  CHECK(messages[0] ==
        "bad.jsonl:2: json: at byte 3: syntax error while parsing object key - invalid literal; "
        "expected string literal");
  CHECK(messages[1] == "bad.jsonl:3: table: \"nope\" is not a table");
  CHECK(messages[2] == "bad.jsonl:4: \"colour\": unknown column for table user");
  CHECK(messages[3] == "bad.jsonl:5: id: must be a string, an integer or null");
  CHECK(messages[4] == "bad.jsonl:6: user_id: missing");
}

}  // namespace
}  // namespace hubreg::cli
