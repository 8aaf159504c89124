#include "csv_reader.h"

namespace hubreg::cli {

CsvReader::CsvReader(std::string_view text) : text_(text) {
  if (text_.starts_with("\xEF\xBB\xBF")) pos_ = 3;
}

CsvStep CsvReader::Fail(CsvError* error, std::size_t line, std::size_t field, std::string reason) {
  error->line = line;
  error->field = field;
  error->reason = std::move(reason);
  SkipLine();
  return CsvStep::kError;
}

void CsvReader::SkipLine() {
  const std::size_t newline = text_.find('\n', pos_);
  if (newline == std::string_view::npos) {
    pos_ = text_.size();
  } else {
    pos_ = newline + 1;
    ++line_;
  }
}

CsvStep CsvReader::Next(CsvRecord* record, CsvError* error) {
  // Blank lines carry no record.
  while (pos_ < text_.size() && (text_[pos_] == '\n' || text_.substr(pos_, 2) == "\r\n")) {
    pos_ += text_[pos_] == '\n' ? 1 : 2;
    ++line_;
  }
  if (pos_ >= text_.size()) return CsvStep::kEnd;

  record->line = line_;
  record->fields.clear();
  const std::size_t start_line = line_;
  while (true) {
    const std::size_t field = record->fields.size();
    std::optional<std::string> value;
    if (pos_ < text_.size() && text_[pos_] == '"') {
      ++pos_;
      std::string quoted;
      bool closed = false;
      while (pos_ < text_.size()) {
        const char c = text_[pos_];
        if (c == '"') {
          if (pos_ + 1 < text_.size() && text_[pos_ + 1] == '"') {
            quoted += '"';
            pos_ += 2;
            continue;
          }
          ++pos_;
          closed = true;
          break;
        }
        if (c == '\n') ++line_;
        quoted += c;
        ++pos_;
      }
      if (!closed) {
        return Fail(error, start_line, field,
                    "quoted field is not closed before the end of the file");
      }
      if (pos_ < text_.size() && text_[pos_] != ',' && text_[pos_] != '\n' &&
          text_.substr(pos_, 2) != "\r\n") {
        return Fail(error, start_line, field, "unexpected character after a closing quote");
      }
      value = std::move(quoted);
    } else {
      const std::size_t begin = pos_;
      while (pos_ < text_.size() && text_[pos_] != ',' && text_[pos_] != '\n' &&
             text_.substr(pos_, 2) != "\r\n") {
        if (text_[pos_] == '"') {
          return Fail(
              error, start_line, field,
              "quote inside an unquoted field (quote the whole field and double the quote)");
        }
        ++pos_;
      }
      if (pos_ > begin) value = std::string(text_.substr(begin, pos_ - begin));
    }
    if (value) {
      // Where, not which byte: the field may hold a password.
      if (const auto bad = FindInvalidUtf8(*value)) {
        return Fail(error, start_line, field,
                    "invalid UTF-8 at offset " + std::to_string(*bad) + " of the field");
      }
    }
    record->fields.push_back(std::move(value));

    if (pos_ >= text_.size()) return CsvStep::kRecord;
    if (text_[pos_] == ',') {
      ++pos_;
      continue;
    }
    pos_ += text_[pos_] == '\n' ? 1 : 2;
    ++line_;
    return CsvStep::kRecord;
  }
}

std::optional<std::size_t> FindInvalidUtf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
    const unsigned char lead = byte(i);
    if (lead < 0x80) {
      ++i;
      continue;
    }
    std::size_t length = 0;
    unsigned char low = 0x80;
    unsigned char high = 0xBF;  // allowed range of the second byte
    if (lead >= 0xC2 && lead <= 0xDF) {
      length = 2;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
      length = 3;
      if (lead == 0xE0) low = 0xA0;   // overlong
      if (lead == 0xED) high = 0x9F;  // surrogates
    } else if (lead >= 0xF0 && lead <= 0xF4) {
      length = 4;
      if (lead == 0xF0) low = 0x90;   // overlong
      if (lead == 0xF4) high = 0x8F;  // above U+10FFFF
    } else {
      return i;
    }
    if (i + length > text.size()) return i;
    if (byte(i + 1) < low || byte(i + 1) > high) return i;
    for (std::size_t k = 2; k < length; ++k) {
      if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) return i;
    }
    i += length;
  }
  return std::nullopt;
}

}  // namespace hubreg::cli
