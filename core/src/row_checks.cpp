// The integrity rules, written once (Rules below) and run by two checkers:
// FirstViolation checks one row against a state, for a batch, and stops at
// the first broken rule; SetChecker checks a set of new rows against a state
// and the rows before them, and reports every broken rule. Messages name the
// table, the column and the value, never a password.
#include <string>
#include <tuple>
#include <unordered_map>
#include <utility>

#include "batch_applier.h"
#include "hubreg/columns.h"
#include "hubreg/integrity.h"
#include "link_arrays.h"
#include "view_access.h"

namespace hubreg {
namespace detail {

namespace {

// How a rule shows a unique key's value: quoted, or "the value" (see
// CheckOptions::show_client_values); `in_app` adds "in threecolts_app N".
struct Shown {
  std::string_view text;
  bool secret_table = false;
  Id in_app = kNoId;
};

// The key a unique index of the state is searched with, for one row.
std::string_view StateKey(ByAppKey, const App& row) { return row.app_key; }
std::string_view StateKey(ByExternalId, const Client& row) { return row.external_id; }
std::string_view StateKey(ByExternalId, const User& row) { return row.external_id; }
std::string_view StateKey(ByEmail, const User& row) { return row.email; }
std::tuple<Id, std::string_view> StateKey(ByAppAndExternalId, const Organization& row) {
  return {row.threecolts_app_id, row.external_id};
}

// The rules of each row type, in the order they are reported: id, fields,
// foreign keys, unique keys. `check` is FirstViolation or SetChecker.
template <typename Check>
void Rules(Check& check, const App& row) {
  check.Id(row);
  check.NonEmpty("app_key", row.app_key);
  check.Unique(ByAppKey{}, row, "app_key", Shown{row.app_key});
}

template <typename Check>
void Rules(Check& check, const Organization& row) {
  check.Id(row);
  check.NonEmpty("external_id", row.external_id);
  check.template Reference<App>("threecolts_app_id", row.threecolts_app_id);
  check.template Reference<User>("organization_owner_id", row.organization_owner_id);
  check.Unique(ByAppAndExternalId{}, row, "external_id",
               Shown{row.external_id, false, row.threecolts_app_id});
}

template <typename Check>
void Rules(Check& check, const Client& row) {
  check.Id(row);
  check.NonEmpty("external_id", row.external_id);
  if (row.threecolts_organization_id != kNoId) {
    check.template Reference<Organization>("threecolts_organization_id",
                                           row.threecolts_organization_id);
  }
  check.Unique(ByExternalId{}, row, "external_id", Shown{row.external_id, true});
}

template <typename Check>
void Rules(Check& check, const User& row) {
  check.Id(row);
  check.NonEmpty("external_id", row.external_id);
  check.NonEmpty("email", row.email);
  if (!row.email.empty() && row.email.find('@') == std::string::npos) {
    check.Report("email", ErrorCode::kInvalidArgument,
                 QuoteForMessage(row.email) + " is not an email address");
  }
  check.Unique(ByExternalId{}, row, "external_id", Shown{row.external_id});
  check.Unique(ByEmail{}, row, "email", Shown{row.email});
}

template <typename Check>
void Rules(Check& check, const ClientUserLink& row) {
  check.template Reference<Client>("client_id", row.client_id);
  check.template Reference<User>("user_id", row.user_id);
  check.UniquePair(row);
}

// The parts of a reason shared by both checkers.
std::string ShownText(const Shown& shown, bool show_client_values) {
  std::string text =
      shown.secret_table && !show_client_values ? "the value" : QuoteForMessage(shown.text);
  return text + " is already used" +
         (shown.in_app == kNoId ? "" : " in threecolts_app " + std::to_string(shown.in_app));
}
std::string HeldBy(const Shown& shown, bool show_client_values, Id holder) {
  return ShownText(shown, show_client_values) + " by id " + std::to_string(holder);
}
template <typename Target>
std::string Missing(Id id) {
  return std::to_string(id) + " does not exist in " + std::string(kTableOf<Target>);
}
std::string PairText(const ClientUserLink& row) {
  return "(" + std::to_string(row.client_id) + ", " + std::to_string(row.user_id) + ")";
}
constexpr std::string_view kPairColumn = "(client_id, user_id)";

// The row of `index` (a unique index of the state) holding `key`, unless it
// is the row being replaced; nullptr when the key is free.
template <typename Index, typename Key>
const typename Index::value_type* Holder(const Index& index, const Key& key, Id self,
                                         bool replacing) {
  auto it = index.find(key);
  if (it == index.end() || (replacing && it->id == self)) return nullptr;
  return &*it;
}

template <typename Row>
bool StateHas(const Tables& tables, Id id) {
  return TableOf<Row>::In(tables).template get<ById>().count(id) != 0;
}

// One row against a state, as a batch inserts (or, `replacing`, updates) it.
// Keeps the first violation; the success path builds no string.
template <typename Row>
class FirstViolation {
 public:
  FirstViolation(const Tables& tables, bool replacing) : tables_(tables), replacing_(replacing) {}

  void Report(std::string_view column, ErrorCode code, std::string reason) {
    if (!found_) first_ = Violation{kTableOf<Row>, 0, std::string(column), code, std::move(reason)};
    found_ = true;
  }
  Status status() const { return found_ ? first_.ToStatus() : Status::Ok(); }

  void Id(const Row& row) {
    if (found_) return;
    if (row.id == kNoId) return Report("id", ErrorCode::kInvalidArgument, "must not be 0");
    const bool exists = StateHas<Row>(tables_, row.id);
    if (replacing_ && !exists) {
      Report("id", ErrorCode::kNotFound, std::to_string(row.id) + " not found");
    } else if (!replacing_ && exists) {
      Report("id", ErrorCode::kDuplicate, std::to_string(row.id) + " already exists");
    }
  }
  void NonEmpty(std::string_view column, const std::string& value) {
    if (!found_ && value.empty()) Report(column, ErrorCode::kInvalidArgument, "must not be empty");
  }
  template <typename Target>
  void Reference(std::string_view column, hubreg::Id id) {
    if (found_ || StateHas<Target>(tables_, id)) return;
    Report(column, ErrorCode::kForeignKey, Missing<Target>(id));
  }
  template <typename Tag>
  void Unique(Tag tag, const Row& row, std::string_view column, const Shown& shown) {
    if (found_) return;
    const auto& index = TableOf<Row>::In(tables_).template get<Tag>();
    if (const auto* holder = Holder(index, StateKey(tag, row), row.id, replacing_)) {
      Report(column, ErrorCode::kDuplicate, HeldBy(shown, true, holder->id));
    }
  }
  void UniquePair(const ClientUserLink& row) {
    if (found_) return;
    if (Linked(tables_, row.client_id, row.user_id)) {
      Report(kPairColumn, ErrorCode::kDuplicate, PairText(row) + " already exists");
    }
  }

 private:
  const Tables& tables_;
  bool replacing_;
  bool found_ = false;
  Violation first_;
};

template <typename Row>
Status CheckOne(const Tables& tables, const Row& row, bool replacing) {
  FirstViolation<Row> check(tables, replacing);
  Rules(check, row);
  return check.status();
}

// Every rule but unique keys, which inserting the row checks; foreign keys
// only when asked. No message is built unless a rule is broken.
template <typename Row>
class Passes {
 public:
  Passes(const Tables& tables, bool check_references)
      : tables_(tables), check_references_(check_references) {}
  bool ok() const { return ok_; }

  void Report(std::string_view, ErrorCode, const std::string&) { ok_ = false; }
  void Id(const Row& row) { ok_ = ok_ && row.id != kNoId; }
  void NonEmpty(std::string_view, const std::string& value) { ok_ = ok_ && !value.empty(); }
  template <typename Target>
  void Reference(std::string_view, hubreg::Id id) {
    ok_ = ok_ && (!check_references_ || StateHas<Target>(tables_, id));
  }
  template <typename Tag>
  void Unique(Tag, const Row&, std::string_view, const Shown&) {}
  void UniquePair(const ClientUserLink&) {}

 private:
  const Tables& tables_;
  bool check_references_;
  bool ok_ = true;
};

// Keys of the set seen so far, each with the index of the row that has it.
struct PairHash {
  std::size_t operator()(const std::pair<Id, Id>& key) const noexcept {
    return std::hash<Id>{}(key.first * 0x9E3779B97F4A7C15ull ^ key.second);
  }
};
struct AppKeyHash {
  std::size_t operator()(const std::pair<Id, std::string_view>& key) const noexcept {
    return StringHash{}(key.second) ^ (key.first * 0x9E3779B97F4A7C15ull);
  }
};
template <typename Key, typename Hash = std::hash<Key>, typename Equal = std::equal_to<>>
using Seen = std::unordered_map<Key, std::size_t, Hash, Equal>;

struct SetKeys {
  Seen<Id> app_ids, organization_ids, client_ids, user_ids;
  Seen<std::string_view, StringHash> app_keys, client_external_ids, user_external_ids;
  Seen<std::string_view, CaseInsensitiveHash, CaseInsensitiveEqual> emails;
  Seen<std::pair<Id, std::string_view>, AppKeyHash> organization_keys;
  Seen<std::pair<Id, Id>, PairHash> links;

  template <typename Row>
  Seen<Id>& Ids() {
    if constexpr (std::is_same_v<Row, App>) return app_ids;
    if constexpr (std::is_same_v<Row, Organization>) return organization_ids;
    if constexpr (std::is_same_v<Row, Client>) return client_ids;
    if constexpr (std::is_same_v<Row, User>) return user_ids;
  }
  auto& Of(ByAppKey, const App&) { return app_keys; }
  auto& Of(ByExternalId, const Client&) { return client_external_ids; }
  auto& Of(ByExternalId, const User&) { return user_external_ids; }
  auto& Of(ByEmail, const User&) { return emails; }
  auto& Of(ByAppAndExternalId, const Organization&) { return organization_keys; }
};

std::pair<Id, std::string_view> SetKey(std::tuple<Id, std::string_view> key) {
  return {std::get<0>(key), std::get<1>(key)};
}
std::string_view SetKey(std::string_view key) { return key; }

// Rows of a set against a state and the rows of the set before them.
class SetChecker {
 public:
  SetChecker(const Tables& tables, const RegistryRows& rows, const CheckOptions& options)
      : tables_(tables), rows_(rows), options_(options) {}

  template <typename Row>
  void CheckAll(const std::vector<Row>& rows) {
    table_ = kTableOf<Row>;
    for (row_ = 0; row_ < rows.size(); ++row_) Rules(*this, rows[row_]);
  }
  std::vector<Violation> TakeViolations() { return std::move(violations_); }

  void Report(std::string_view column, ErrorCode code, std::string reason) {
    violations_.push_back({table_, row_, std::string(column), code, std::move(reason)});
  }

  template <typename Row>
  void Id(const Row& row) {
    if (row.id == kNoId) return Report("id", ErrorCode::kInvalidArgument, "must not be 0");
    const std::string id = std::to_string(row.id);
    if (StateHas<Row>(tables_, row.id)) {
      return Report("id", ErrorCode::kDuplicate, id + " already exists");
    }
    const auto [it, inserted] = keys_.Ids<Row>().emplace(row.id, row_);
    if (inserted) return;
    Report("id", ErrorCode::kDuplicate,
           options_.name_row ? id + " is already used at " + options_.name_row(table_, it->second)
                             : id + " already exists");
  }
  void NonEmpty(std::string_view column, const std::string& value) {
    if (value.empty()) Report(column, ErrorCode::kInvalidArgument, "must not be empty");
  }
  template <typename Target>
  void Reference(std::string_view column, hubreg::Id id) {
    if (StateHas<Target>(tables_, id) || keys_.Ids<Target>().count(id) != 0) return;
    Report(column, ErrorCode::kForeignKey, Missing<Target>(id));
  }
  template <typename Tag, typename Row>
  void Unique(Tag tag, const Row& row, std::string_view column, const Shown& shown) {
    const auto key = StateKey(tag, row);
    const auto& index = TableOf<Row>::In(tables_).template get<Tag>();
    if (const auto* holder = Holder(index, key, row.id, /*replacing=*/false)) {
      return Report(column, ErrorCode::kDuplicate,
                    HeldBy(shown, options_.show_client_values, holder->id));
    }
    const auto [it, inserted] = keys_.Of(tag, row).emplace(SetKey(key), row_);
    if (inserted) return;
    Report(column, ErrorCode::kDuplicate,
           ShownText(shown, options_.show_client_values) + Earlier(it->second, RowsOf<Row>()));
  }
  void UniquePair(const ClientUserLink& row) {
    const std::string pair = PairText(row);
    if (Linked(tables_, row.client_id, row.user_id)) {
      return Report(kPairColumn, ErrorCode::kDuplicate, pair + " already exists");
    }
    const auto [it, inserted] = keys_.links.emplace(std::pair(row.client_id, row.user_id), row_);
    if (inserted) return;
    Report(kPairColumn, ErrorCode::kDuplicate,
           options_.name_row ? pair + " is already used at " + options_.name_row(table_, it->second)
                             : pair + " already exists");
  }

 private:
  template <typename Row>
  const std::vector<Row>& RowsOf() const {
    if constexpr (std::is_same_v<Row, App>) return rows_.apps;
    if constexpr (std::is_same_v<Row, Organization>) return rows_.organizations;
    if constexpr (std::is_same_v<Row, Client>) return rows_.clients;
    if constexpr (std::is_same_v<Row, User>) return rows_.users;
  }
  // Where the earlier holder of a key is: named by options_, or by its id.
  template <typename Row>
  std::string Earlier(std::size_t row, const std::vector<Row>& rows) const {
    if (options_.name_row) return " at " + options_.name_row(table_, row);
    return " by id " + std::to_string(rows[row].id);
  }

  const Tables& tables_;
  const RegistryRows& rows_;
  const CheckOptions& options_;
  SetKeys keys_;
  std::string_view table_;
  std::size_t row_ = 0;
  std::vector<Violation> violations_;
};

}  // namespace

template <typename Row>
bool PassesAllButUniqueKeys(const Tables& tables, const Row& row, bool check_references) {
  Passes<Row> check(tables, check_references);
  Rules(check, row);
  return check.ok();
}
template bool PassesAllButUniqueKeys(const Tables&, const App&, bool);
template bool PassesAllButUniqueKeys(const Tables&, const Organization&, bool);
template bool PassesAllButUniqueKeys(const Tables&, const Client&, bool);
template bool PassesAllButUniqueKeys(const Tables&, const User&, bool);
template bool PassesAllButUniqueKeys(const Tables&, const ClientUserLink&, bool);

Status CheckRow(const Tables& tables, const App& row, bool replacing) {
  return CheckOne(tables, row, replacing);
}
Status CheckRow(const Tables& tables, const Organization& row, bool replacing) {
  return CheckOne(tables, row, replacing);
}
Status CheckRow(const Tables& tables, const Client& row, bool replacing) {
  return CheckOne(tables, row, replacing);
}
Status CheckRow(const Tables& tables, const User& row, bool replacing) {
  return CheckOne(tables, row, replacing);
}
Status CheckRow(const Tables& tables, const ClientUserLink& row, bool replacing) {
  return CheckOne(tables, row, replacing);
}

std::vector<Violation> CheckNewRows(const Tables& tables, const RegistryRows& rows,
                                    const CheckOptions& options) {
  SetChecker check(tables, rows, options);
  // Parents before children: a foreign key may name any row of its parent
  // table in the set.
  check.CheckAll(rows.apps);
  check.CheckAll(rows.users);
  check.CheckAll(rows.organizations);
  check.CheckAll(rows.clients);
  check.CheckAll(rows.links);
  return check.TakeViolations();
}

}  // namespace detail

Status Violation::ToStatus() const {
  return Status(code, std::string(table) + ": " + column + " " + reason);
}

std::vector<Violation> CheckNewRows(const View& state, const RegistryRows& rows,
                                    const CheckOptions& options) {
  return detail::CheckNewRows(detail::ViewAccess::Of(state), rows, options);
}

}  // namespace hubreg
