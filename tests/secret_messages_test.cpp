// No message ever holds a password: a recognisable secret is fed through
// every error path of CSV and JSONL import and of export, and no message may
// contain it, nor a recognisable part of it.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "exporter.h"
#include "importer.h"
#include "testutil.h"

namespace hubreg::cli {
namespace {

namespace fs = std::filesystem;

const std::string kSecret = "SuperSecret-7Kq2";

// A directory under the system's temporary directory, removed afterwards.
struct TempDir {
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "hubreg-secret-test-XXXXXX").string();
    path = mkdtemp(pattern.data());
  }
  ~TempDir() { fs::remove_all(path); }
  fs::path path;
};

// Every message of reading `files` (name -> text) and checking the rows.
std::vector<std::string> ImportMessages(
    const std::vector<std::pair<std::string, std::string>>& files, DataFormat format) {
  TempDir dir;
  for (const auto& [name, text] : files) std::ofstream(dir.path / name, std::ios::binary) << text;
  ImportedRows imported;
  std::vector<RowError> errors;
  const Status status = ReadImport(dir.path.string(), format, &imported, &errors);
  std::vector<std::string> messages;
  if (!status.ok()) messages.push_back(status.ToString());
  Registry empty;
  CheckImport(imported, empty.Read(), &errors);
  for (const RowError& error : errors) messages.push_back(error.ToString());
  return messages;
}

// No message holds the secret or its distinctive part.
void CheckNoSecret(const std::vector<std::string>& messages) {
  CHECK_FALSE(messages.empty());
  for (const std::string& message : messages) {
    CAPTURE(message);
    CHECK(message.find("SuperSecret") == std::string::npos);
    CHECK(message.find("7Kq2") == std::string::npos);
  }
}

const std::string kHeader =
    "id,threecolts_organization_id,external_id,name,db_host,db_port,db_name,db_user,"
    "db_password,status,created_at,updated_at\n";
const std::string kT = "2026-01-02 03:04:05";

// A good client row with `password` (as CSV field text) as db_password.
std::string ClientLine(Id id, const std::string& password) {
  return std::to_string(id) + ",,ACC-" + std::to_string(id) + ",n,h,5432,d,u," + password +
         ",active," + kT + "," + kT + "\n";
}

TEST_CASE("a client file without its header quotes none of its fields") {
  const auto messages = ImportMessages(
      {{"client.csv", ClientLine(1, "\"p@ss,word\"\"" + kSecret + "\"") + ClientLine(2, kSecret)}},
      DataFormat::kCsv);
  CheckNoSecret(messages);
  REQUIRE(messages.size() == 1);
  CHECK(messages[0] ==
        "client.csv:1: header: the first line names no column of table client (expected a "
        "header such as id,threecolts_organization_id,external_id,name,db_host,db_port,db_name,"
        "db_user,db_password,status,created_at,updated_at; COPY ... CSV HEADER writes one)");
}

TEST_CASE("a client header with an unknown field names it by position only") {
  std::string header = kHeader;
  header.replace(header.find("db_user"), 7, kSecret);
  const auto messages = ImportMessages({{"client.csv", header}}, DataFormat::kCsv);
  CheckNoSecret(messages);
  CHECK(messages ==
        std::vector<std::string>{"client.csv:1: field 8: unknown column for table client",
                                 "client.csv:1: db_user: missing from the header"});
}

TEST_CASE("a secret in any column of a client row is never quoted") {
  // Each column in turn holds the secret, as when a header's order does not
  // match its data: every value check of every column sees it.
  const auto columns = ColumnsOf(Table::kClient);
  for (std::size_t i = 0; i < columns.size(); ++i) {
    CAPTURE(columns[i].name);
    std::string text = kHeader;
    for (Id id = 1; id <= 2; ++id) {  // two rows: unique keys are checked too
      for (std::size_t k = 0; k < columns.size(); ++k) {
        std::string value = std::string(columns[k].name) + "-" + std::to_string(id);
        if (columns[k].integer()) value = std::to_string(id);
        if (columns[k].name == "status") value = "active";
        if (columns[k].kind == ColumnKind::kTimestamp) value = kT;
        if (columns[k].name == "threecolts_organization_id") value = "";
        if (k == i) value = kSecret;
        text += value + (k + 1 < columns.size() ? "," : "\n");
      }
    }
    const auto messages = ImportMessages({{"client.csv", text}}, DataFormat::kCsv);
    if (columns[i].kind == ColumnKind::kText && !columns[i].nullable()) {
      CHECK(messages ==  // external_id: the same value twice
            std::vector<std::string>{
                "client.csv:3: external_id: the value is already used at client.csv:2"});
    } else if (columns[i].kind == ColumnKind::kText) {
      CHECK(messages == std::vector<std::string>{});  // text: fine
      continue;
    }
    CheckNoSecret(messages);
  }
}

TEST_CASE("malformed CSV around a secret shows neither the field nor its bytes") {
  CheckNoSecret(ImportMessages({{"client.csv", kHeader + ClientLine(1, "\"" + kSecret + "\xff\"")}},
                               DataFormat::kCsv));
  CheckNoSecret(ImportMessages({{"client.csv", kHeader + ClientLine(1, "\"" + kSecret + "\"x")}},
                               DataFormat::kCsv));
  CheckNoSecret(
      ImportMessages({{"client.csv", kHeader + ClientLine(1, kSecret + "\"")}}, DataFormat::kCsv));
  CheckNoSecret(ImportMessages({{"client.csv", kHeader + "1,,ACC-1,n,h,5432,d,u,\"" + kSecret}},
                               DataFormat::kCsv));
  CheckNoSecret(ImportMessages(
      {{"client.csv", kHeader + "1,,ACC-1,n,h,5432,d,u," + kSecret + "\n"}}, DataFormat::kCsv));
  CheckNoSecret(
      ImportMessages({{"client.csv", kHeader + "1,,ACC-1,n,h,5432,d,u," + kSecret + ",active," +
                                         kT + "," + kT + "," + kSecret + "\n"}},
                     DataFormat::kCsv));
}

std::string JsonClient(const std::string& password_json) {
  return R"({"table":"client","id":1,"external_id":"ACC-1","name":"n","db_host":"h",)"
         R"("db_port":5432,"db_name":"d","db_user":"u","db_password":)" +
         password_json + R"(,"status":"active","created_at":"2026-01-02 03:04:05",)" +
         R"("updated_at":"2026-01-02 03:04:05"})" + "\n";
}

TEST_CASE("a JSONL line the parser refuses is reported by byte, never by what it read") {
  const std::vector<std::string> bad_passwords = {
      "\"" + kSecret + "\t\"",        // a raw control character
      "\"" + kSecret + "\xff\"",      // invalid UTF-8
      "\"" + kSecret + "\\q\"",       // a bad escape
      "\"" + kSecret + "\\u12\"",     // a short \u escape
      "\"" + kSecret,                 // an unclosed string
      kSecret,                        // not a value at all
      "\"" + kSecret + "\"\"",        // something after the value
      "[\"" + kSecret + "\"]",        // not a string, an integer or null
      "{\"x\":\"" + kSecret + "\"}",  // likewise
  };
  for (const std::string& password : bad_passwords) {
    CAPTURE(password);
    CheckNoSecret(ImportMessages({{"a.jsonl", JsonClient(password)}}, DataFormat::kJsonl));
  }
  // The tab is byte 147 of the line.
  const auto messages =
      ImportMessages({{"a.jsonl", JsonClient("\"" + kSecret + "\t\"")}}, DataFormat::kJsonl);
  REQUIRE(messages.size() == 1);
  CHECK(messages[0] ==
        "a.jsonl:1: json: at byte 147: syntax error while parsing value - invalid string: a "
        "control character must be escaped");
}

TEST_CASE("a JSONL client with a secret in another column does not quote it") {
  std::string line = JsonClient("\"pw\"");
  for (const std::string column : {"\"db_port\":5432", "\"status\":\"active\"", "\"id\":1"}) {
    CAPTURE(column);
    std::string text = line;
    const std::string key = column.substr(0, column.find(':') + 1);
    text.replace(text.find(column), column.size(), key + "\"" + kSecret + "\"");
    CheckNoSecret(ImportMessages({{"a.jsonl", text}}, DataFormat::kJsonl));
  }
}

TEST_CASE("an export that cannot write a password as JSON does not show it") {
  Registry registry;
  Client client = test::MakeClient(1, kNoId, "ACC-1");
  client.db_password = kSecret + "\xff";
  REQUIRE_OK(registry.Apply(Batch().Insert(client)));
  TempDir dir;
  ExportOptions options;
  options.format = DataFormat::kJsonl;
  options.include_secrets = true;
  const Status status = Export(registry.Read(), dir.path.string(), options).status();
  REQUIRE_FALSE(status.ok());
  CheckNoSecret({status.ToString()});
}

}  // namespace
}  // namespace hubreg::cli
