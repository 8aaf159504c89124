#include "source_rows.h"

#include <charconv>

namespace hubreg::sync {
namespace {

std::string Quote(std::string_view text) {
  std::string quoted = "\"";
  for (char c : text.substr(0, 60)) quoted += static_cast<unsigned char>(c) < 0x20 ? '?' : c;
  return quoted + (text.size() > 60 ? "...\"" : "\"");
}

template <typename Number>
bool ParseNumber(std::string_view text, Number* out) {
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return error == std::errc() && end == text.data() + text.size();
}

// Reads the columns of one row in order, collecting the first error.
class Reader {
 public:
  Reader(SourceTable table, const SourceValues& values) : table_(table), values_(values) {}

  void Text(std::size_t i, std::string* out) {
    if (Skip(i)) return;
    *out =
        values_[i].kind == SourceValue::Kind::kNull ? std::string() : std::string(values_[i].text);
  }
  void IdAt(std::size_t i, hubreg::Id* out, bool nullable) {
    if (Skip(i)) return;
    if (values_[i].kind == SourceValue::Kind::kNull) {
      if (nullable) {
        *out = kNoId;
      } else {
        Fail(i, "is NULL");
      }
      return;
    }
    long long value = 0;
    if (!ParseNumber(values_[i].text, &value) || value <= 0) {
      Fail(i, Quote(values_[i].text) + " is not a positive integer");
      return;
    }
    *out = static_cast<hubreg::Id>(value);
  }
  void Port(std::size_t i, std::uint16_t* out) {
    if (Skip(i)) return;
    if (values_[i].kind == SourceValue::Kind::kNull) {
      *out = 0;
      return;
    }
    unsigned value = 0;
    if (!ParseNumber(values_[i].text, &value) || value > 65535) {
      Fail(i, Quote(values_[i].text) + " is not a port (0 to 65535)");
      return;
    }
    *out = static_cast<std::uint16_t>(value);
  }
  void Time(std::size_t i, Timestamp* out) {
    if (Skip(i)) return;
    if (values_[i].kind == SourceValue::Kind::kNull) {
      *out = Timestamp{};
      return;
    }
    std::optional<Timestamp> time = ParseSourceTime(values_[i].text);
    if (!time) {
      Fail(i, Quote(values_[i].text) + " is not a timestamp");
      return;
    }
    *out = *time;
  }
  void RecordStatusAt(std::size_t i, RecordStatus* out) {
    if (Skip(i)) return;
    std::optional<RecordStatus> status = values_[i].kind == SourceValue::Kind::kNull
                                             ? std::nullopt
                                             : ParseRecordStatus(values_[i].text);
    if (!status) {
      Fail(i, "is not active or disabled");
      return;
    }
    *out = *status;
  }
  void EnvironmentAt(std::size_t i, Environment* out) {
    if (Skip(i)) return;
    std::optional<Environment> environment = values_[i].kind == SourceValue::Kind::kNull
                                                 ? std::nullopt
                                                 : ParseEnvironment(values_[i].text);
    if (!environment) {
      Fail(i, "is not stage or prod");
      return;
    }
    *out = *environment;
  }

  Status status() const { return status_; }

 private:
  bool Skip(std::size_t i) const {
    return !status_.ok() || i >= values_.size() || values_[i].kind == SourceValue::Kind::kUnchanged;
  }
  void Fail(std::size_t i, const std::string& reason) {
    status_ = Status::InvalidArgument(RowKeyText(table_, values_) + ": column " +
                                      std::string(ColumnsOf(table_)[i].name) + ": " + reason);
  }

  SourceTable table_;
  const SourceValues& values_;
  Status status_;
};

}  // namespace

std::optional<Timestamp> ParseSourceTime(std::string_view text) {
  // YYYY-MM-DD HH:MM:SS[.ffffff][(+|-)HH[:MM[:SS]]]
  if (text.size() < 19 || text[4] != '-' || text[7] != '-' ||
      (text[10] != ' ' && text[10] != 'T') || text[13] != ':' || text[16] != ':') {
    return std::nullopt;
  }
  int year = 0;
  unsigned month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!ParseNumber(text.substr(0, 4), &year) || !ParseNumber(text.substr(5, 2), &month) ||
      !ParseNumber(text.substr(8, 2), &day) || !ParseNumber(text.substr(11, 2), &hour) ||
      !ParseNumber(text.substr(14, 2), &minute) || !ParseNumber(text.substr(17, 2), &second)) {
    return std::nullopt;
  }
  const std::chrono::year_month_day date{std::chrono::year(year), std::chrono::month(month),
                                         std::chrono::day(day)};
  if (!date.ok() || hour > 23 || minute > 59 || second > 60) return std::nullopt;
  std::size_t at = 19;
  long long micros = 0;
  if (at < text.size() && text[at] == '.') {
    ++at;
    int digits = 0;
    while (at < text.size() && text[at] >= '0' && text[at] <= '9') {
      if (digits < 6) micros = micros * 10 + (text[at] - '0');
      ++digits;
      ++at;
    }
    if (digits == 0) return std::nullopt;
    for (; digits < 6; ++digits) micros *= 10;
  }
  long long offset_seconds = 0;
  if (at < text.size()) {
    const char sign = text[at];
    if (sign != '+' && sign != '-') return std::nullopt;
    std::string_view rest = text.substr(at + 1);
    unsigned parts[3] = {0, 0, 0};
    for (int part = 0; part < 3 && !rest.empty(); ++part) {
      if (rest.size() < 2 || !ParseNumber(rest.substr(0, 2), &parts[part])) return std::nullopt;
      rest.remove_prefix(2);
      if (!rest.empty()) {
        if (rest[0] != ':' || part == 2) return std::nullopt;
        rest.remove_prefix(1);
      }
    }
    offset_seconds = parts[0] * 3600LL + parts[1] * 60LL + parts[2];
    if (sign == '-') offset_seconds = -offset_seconds;
  }
  const auto local = std::chrono::sys_days(date) + std::chrono::hours(hour) +
                     std::chrono::minutes(minute) + std::chrono::seconds(second) +
                     std::chrono::microseconds(micros);
  return Timestamp(local - std::chrono::seconds(offset_seconds));
}

std::string RowKeyText(SourceTable table, const SourceValues& values) {
  auto value = [&values](std::size_t i) {
    return i < values.size() && values[i].kind == SourceValue::Kind::kText
               ? std::string(values[i].text.substr(0, 40))
               : std::string("?");
  };
  std::string text(RegistryTableName(table));
  if (table == SourceTable::kClientUser) return text + " (" + value(0) + ", " + value(1) + ")";
  return text + " " + value(0);
}

Status ReadRow(const SourceValues& values, App* row) {
  Reader read(SourceTable::kApp, values);
  read.IdAt(0, &row->id, false);
  read.Text(1, &row->name);
  read.Text(2, &row->app_key);
  read.EnvironmentAt(3, &row->environment);
  read.Time(4, &row->created_at);
  read.Time(5, &row->updated_at);
  return read.status();
}

Status ReadRow(const SourceValues& values, Organization* row) {
  Reader read(SourceTable::kOrganization, values);
  read.IdAt(0, &row->id, false);
  read.IdAt(1, &row->threecolts_app_id, false);
  read.IdAt(2, &row->organization_owner_id, false);
  read.Text(3, &row->external_id);
  read.Text(4, &row->name);
  read.Time(5, &row->created_at);
  read.Time(6, &row->updated_at);
  return read.status();
}

Status ReadRow(const SourceValues& values, Client* row) {
  Reader read(SourceTable::kClient, values);
  read.IdAt(0, &row->id, false);
  read.IdAt(1, &row->threecolts_organization_id, true);
  read.Text(2, &row->external_id);
  read.Text(3, &row->name);
  read.Text(4, &row->db_host);
  read.Port(5, &row->db_port);
  read.Text(6, &row->db_name);
  read.Text(7, &row->db_user);
  read.Text(8, &row->db_password);
  read.RecordStatusAt(9, &row->status);
  read.Time(10, &row->created_at);
  read.Time(11, &row->updated_at);
  return read.status();
}

Status ReadRow(const SourceValues& values, User* row) {
  Reader read(SourceTable::kUser, values);
  read.IdAt(0, &row->id, false);
  read.Text(1, &row->external_id);
  read.Text(2, &row->email);
  read.Text(3, &row->name);
  read.RecordStatusAt(4, &row->status);
  read.Time(5, &row->created_at);
  read.Time(6, &row->updated_at);
  return read.status();
}

Status ReadRow(const SourceValues& values, ClientUserLink* row) {
  Reader read(SourceTable::kClientUser, values);
  read.IdAt(0, &row->client_id, false);
  read.IdAt(1, &row->user_id, false);
  read.Time(2, &row->created_at);
  return read.status();
}

}  // namespace hubreg::sync
