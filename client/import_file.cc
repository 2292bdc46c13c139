#include "client/import_file.h"

#include <algorithm>
#include <map>
#include <optional>
#include <thread>
#include <utility>

#include "client/put_request.h"
#include "common/status_macros.h"
#include "record/kind.h"
#include "record/record_validation.h"

namespace ldgs::client {
namespace {

absl::Status At(const std::string& name, int line, const absl::Status& status) {
  return absl::InvalidArgumentError(name + ":" + std::to_string(line) + ": " +
                                    std::string(status.message()));
}

// One CSV record (RFC 4180: quoted fields may hold commas, quotes as "" and line breaks).
// Returns false at the end of the input; `lines` counts the physical lines it read.
absl::StatusOr<bool> ReadCsvRecord(std::istream& in, std::vector<std::string>* fields, int* lines) {
  fields->clear();
  std::string line;
  if (!std::getline(in, line)) return false;
  ++*lines;
  std::string field;
  bool quoted = false;
  for (size_t i = 0;; ++i) {
    if (i == line.size()) {
      if (!quoted) break;
      // A line break inside quotes belongs to the field.
      if (!std::getline(in, line)) return absl::InvalidArgumentError("unterminated quote");
      ++*lines;
      field += '\n';
      i = static_cast<size_t>(-1);
      continue;
    }
    const char c = line[i];
    if (quoted) {
      if (c == '\r' && i + 1 == line.size()) {
        // A CRLF line end inside quotes: the break is kept as '\n', whatever the file's.
      } else if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c == '"' && field.empty()) {
      quoted = true;
    } else if (c == ',') {
      fields->push_back(std::move(field));
      field.clear();
    } else if (c != '\r' || i + 1 != line.size()) {
      field += c;
    }
  }
  fields->push_back(std::move(field));
  return true;
}

std::vector<std::string> SplitList(const std::string& text) {
  std::vector<std::string> items;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t end = std::min(text.find(';', start), text.size());
    std::string item = text.substr(start, end - start);
    const size_t first = item.find_first_not_of(' ');
    const size_t last = item.find_last_not_of(' ');
    if (first != std::string::npos) items.push_back(item.substr(first, last - first + 1));
    start = end + 1;
  }
  return items;
}

absl::StatusOr<std::optional<double>> ParseNumber(const std::string& column,
                                                  const std::string& text) {
  if (text.empty()) return std::optional<double>();
  size_t used = 0;
  double value = 0;
  try {
    value = std::stod(text, &used);
  } catch (...) {
    used = 0;
  }
  if (used != text.size()) {
    return absl::InvalidArgumentError(column + " must be a number, not \"" + text + "\"");
  }
  return std::optional<double>(value);
}

// Sets the PutFlags field a CSV column names.
absl::Status SetColumn(const std::string& column, const std::string& value, PutFlags* f) {
  static const std::map<std::string, std::string PutFlags::*> kText = {
      {"kind", &PutFlags::kind},
      {"id", &PutFlags::id},
      {"visibility", &PutFlags::visibility},
      {"title", &PutFlags::title},
      {"summary", &PutFlags::summary},
      {"body", &PutFlags::body},
      {"adapted_from", &PutFlags::adapted_from},
      {"outcome", &PutFlags::outcome},
      {"outcome_note", &PutFlags::outcome_note},
      {"code", &PutFlags::code},
      {"name", &PutFlags::name},
      {"unit", &PutFlags::unit},
      {"aggregation", &PutFlags::aggregation},
      {"direction", &PutFlags::direction},
      {"description", &PutFlags::description},
      {"metric", &PutFlags::metric},
      {"period", &PutFlags::period},
      {"note", &PutFlags::note}};
  static const std::map<std::string, std::vector<std::string> PutFlags::*> kLists = {
      {"tags", &PutFlags::tags},
      {"issue_areas", &PutFlags::issue_areas},
      {"communities", &PutFlags::communities},
      {"strategies", &PutFlags::strategies}};
  static const std::map<std::string, std::optional<double> PutFlags::*> kNumbers = {
      {"target", &PutFlags::target},
      {"min_value", &PutFlags::min_value},
      {"max_value", &PutFlags::max_value},
      {"value", &PutFlags::value}};
  if (auto it = kText.find(column); it != kText.end()) {
    f->*(it->second) = value;
  } else if (auto list = kLists.find(column); list != kLists.end()) {
    f->*(list->second) = SplitList(value);
  } else if (auto number = kNumbers.find(column); number != kNumbers.end()) {
    LDGS_ASSIGN_OR_RETURN(f->*(number->second), ParseNumber(column, value));
  } else {
    return absl::InvalidArgumentError("unknown column \"" + column + "\"");
  }
  return absl::OkStatus();
}

absl::Status ReadCsv(std::istream& in, const std::string& name, std::vector<ImportRow>* rows) {
  int lines = 0;
  std::vector<std::string> header;
  absl::StatusOr<bool> got = ReadCsvRecord(in, &header, &lines);
  if (!got.ok()) return At(name, 1, got.status());
  if (!*got) return absl::InvalidArgumentError(name + ": empty, needs a header row");
  // A spreadsheet's UTF-8 byte order mark is not part of the first column's name.
  if (header[0].rfind("\xEF\xBB\xBF", 0) == 0) header[0] = header[0].substr(3);
  PutFlags probe;
  for (const std::string& column : header) {
    if (absl::Status known = SetColumn(column, "", &probe); !known.ok()) {
      return At(name, 1, known);
    }
  }
  std::map<std::string, int> seen;
  for (const std::string& column : header) {
    if (++seen[column] > 1) {
      return At(name, 1, absl::InvalidArgumentError("column \"" + column + "\" twice"));
    }
  }
  if (!seen.count("kind")) return At(name, 1, absl::InvalidArgumentError("no \"kind\" column"));
  std::vector<std::string> fields;
  for (;;) {
    const int line = lines + 1;
    got = ReadCsvRecord(in, &fields, &lines);
    if (!got.ok()) return At(name, line, got.status());
    if (!*got) break;
    if (fields.size() == 1 && fields[0].empty()) continue;  // a blank line
    if (fields.size() != header.size()) {
      return At(
          name, line,
          absl::InvalidArgumentError(std::to_string(fields.size()) + " fields, the header has " +
                                     std::to_string(header.size())));
    }
    PutFlags flags;
    for (size_t i = 0; i < header.size(); ++i) {
      if (absl::Status set = SetColumn(header[i], fields[i], &flags); !set.ok()) {
        return At(name, line, set);
      }
    }
    absl::StatusOr<v1::PutRecordRequest> request = BuildPutRequest(flags);
    if (!request.ok()) return At(name, line, request.status());
    rows->push_back({line, std::move(*request)});
  }
  return absl::OkStatus();
}

absl::Status ReadJsonLines(std::istream& in, const std::string& name,
                           std::vector<ImportRow>* rows) {
  std::vector<std::pair<int, std::string>> lines;
  std::string text;
  for (int line = 1; std::getline(in, text); ++line) {
    if (text.find_first_not_of(" \t\r") == std::string::npos) continue;
    lines.emplace_back(line, std::move(text));
  }
  // Parsing is most of the CLI's work on a large file: spread over the cores, each thread
  // a contiguous share, and the first bad line (the lowest number) is the one reported.
  std::vector<absl::StatusOr<v1::PutRecordRequest>> parsed(lines.size());
  const size_t threads =
      std::min<size_t>(std::max(1u, std::thread::hardware_concurrency()), lines.size() / 1000 + 1);
  std::vector<std::thread> pool;
  for (size_t t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      for (size_t i = t * lines.size() / threads; i < (t + 1) * lines.size() / threads; ++i) {
        parsed[i] = ParseImportLine(lines[i].second);
      }
    });
  }
  for (std::thread& thread : pool) thread.join();
  rows->reserve(lines.size());
  for (size_t i = 0; i < lines.size(); ++i) {
    if (!parsed[i].ok()) return At(name, lines[i].first, parsed[i].status());
    rows->push_back({lines[i].first, std::move(*parsed[i])});
  }
  return absl::OkStatus();
}

}  // namespace

ImportFormat FormatOfFile(const std::string& name) {
  return name.size() >= 4 && name.compare(name.size() - 4, 4, ".csv") == 0
             ? ImportFormat::kCsv
             : ImportFormat::kJsonLines;
}

absl::StatusOr<std::vector<ImportRow>> ReadImportFile(std::istream& in, const std::string& name,
                                                      ImportFormat format) {
  std::vector<ImportRow> rows;
  LDGS_RETURN_IF_ERROR(format == ImportFormat::kCsv ? ReadCsv(in, name, &rows)
                                                    : ReadJsonLines(in, name, &rows));
  if (in.bad()) return absl::InvalidArgumentError("cannot read " + name);
  // A later chunk of the import cannot see an earlier one's records, nor a chunk's check
  // the records before it in the same chunk: what one line means for another (an id given
  // twice with two kinds, an observation outside the bounds its metric is defined with in
  // this file) is checked here, before anything is written.
  std::map<std::string, std::pair<v1::Kind, int>> kinds;
  std::map<std::string, std::pair<const v1::MetricDefinition*, int>> defined;
  for (const ImportRow& row : rows) {
    const v1::Record& body = row.request.body();
    if (body.has_metric_definition()) {
      defined[body.metric_definition().code()] = {&body.metric_definition(), row.line};
    }
    std::string id = row.request.id();
    if (id.empty()) id = record::RequiredRecordId(body).value_or("");
    if (id.empty()) continue;  // a random id: it clashes with nothing
    const v1::Kind kind = record::KindOfBody(body);
    auto [it, added] = kinds.try_emplace(id, kind, row.line);
    if (!added && it->second.first != kind) {
      return At(name, row.line,
                absl::InvalidArgumentError("record " + id + " is a " +
                                           std::string(record::KindName(it->second.first)) +
                                           " on line " + std::to_string(it->second.second) +
                                           ", not a " + std::string(record::KindName(kind))));
    }
  }
  for (const ImportRow& row : rows) {
    if (!row.request.body().has_metric_observation()) continue;
    const v1::MetricObservation& o = row.request.body().metric_observation();
    auto it = defined.find(o.metric());
    if (it == defined.end()) continue;  // the node checks it against the definition it holds
    const v1::MetricDefinition& d = *it->second.first;
    if ((d.has_min_value() && o.value() < d.min_value()) ||
        (d.has_max_value() && o.value() > d.max_value())) {
      return At(name, row.line,
                absl::InvalidArgumentError("value of " + o.metric() +
                                           " is outside the bounds it is defined with on line " +
                                           std::to_string(it->second.second)));
    }
  }
  return rows;
}

}  // namespace ldgs::client
