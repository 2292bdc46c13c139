#include "daemon/web/open_data.h"

#include <cmath>
#include <cstdint>
#include <string_view>

#include "daemon/web/format.h"
#include "nlohmann/json.hpp"

namespace ldgs::daemon::web {
namespace {

using nlohmann::json;

constexpr char kRecordsHeader[] =
    "origin,id,kind,version,updated,title,summary_or_body,issue_areas,communities,strategies,"
    "tags,adapted_from,adopted_period,outcome\r\n";
constexpr char kRollupsHeader[] =
    "hub,metric,period,scope,reporting,expected,completeness,value,mean,change,at_target,"
    "withheld,suppressed\r\n";
// The figures of a rollup row after `expected`, in header order.
constexpr const char* kFiguresAfterExpected[] = {"completeness", "value", "mean", "change",
                                                 "at_target"};

bool Exported(const v1::Record& r) {
  return !r.deleted() && r.visibility() == v1::VISIBILITY_PUBLIC &&
         (r.has_practice() || r.has_story());
}

// A contribution is hub-only; a "what's working" cell names a practice these columns lack,
// so it would read as a second, different figure for the same cell.
bool Exported(const v1::Rollup& r) { return !r.contribution() && !r.has_practice(); }

std::vector<std::string> List(const google::protobuf::RepeatedPtrField<std::string>& items) {
  return std::vector<std::string>(items.begin(), items.end());
}

// What a practice or story exports, the same for CSV and JSON.
struct RecordRow {
  std::string kind, title, text, adopted_period, outcome;  // text: summary or body
  std::vector<std::string> issue_areas, communities, strategies, tags;
  const v1::RecordRef* adapted_from = nullptr;  // when set
};

RecordRow RowOf(const v1::Record& r) {
  RecordRow row;
  if (r.has_practice()) {
    const v1::Practice& p = r.practice();
    row = {.kind = "practice",
           .title = p.title(),
           .text = p.summary(),
           .adopted_period = p.adopted_period(),
           .outcome = OutcomeName(p.outcome()),
           .issue_areas = List(p.issue_areas()),
           .communities = List(p.communities()),
           .strategies = List(p.strategies()),
           .tags = List(p.tags())};
    if (!p.adapted_from().id().empty()) row.adapted_from = &p.adapted_from();
  } else {
    const v1::Story& s = r.story();
    row.kind = "story";
    row.title = s.title();
    row.text = s.body();
    row.tags = List(s.tags());
  }
  return row;
}

// RFC 4180: quoted when it holds a comma, a quote or a line end, with quotes doubled.
void AppendQuoted(std::string& out, std::string_view field) {
  if (field.find_first_of(",\"\r\n") == std::string_view::npos) {
    out.append(field);
    return;
  }
  out.push_back('"');
  for (char c : field) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
}

// Text that came from a record or a peer: a spreadsheet must not take it for a formula.
void AppendText(std::string& out, std::string_view text) {
  if (!text.empty() && std::string_view("=+-@\t\r").find(text.front()) != std::string_view::npos) {
    AppendQuoted(out, std::string("'").append(text));
  } else {
    AppendQuoted(out, text);
  }
}

void AppendTextList(std::string& out, const std::vector<std::string>& items) {
  std::string joined;
  for (const std::string& item : items) {
    if (!joined.empty()) joined.push_back(';');
    joined.append(item);
  }
  AppendText(out, joined);
}

void AppendRecordRow(std::string& out, const v1::Record& r) {
  const RecordRow row = RowOf(r);
  AppendText(out, r.origin());
  out.push_back(',');
  AppendText(out, r.id());
  out.append(",").append(row.kind).append(",").append(std::to_string(r.version()));
  out.append(",").append(IsoUtc(r.updated_us())).append(",");
  AppendText(out, row.title);
  out.push_back(',');
  AppendText(out, row.text);
  for (const auto* list : {&row.issue_areas, &row.communities, &row.strategies, &row.tags}) {
    out.push_back(',');
    AppendTextList(out, *list);
  }
  out.push_back(',');
  if (row.adapted_from != nullptr) {
    AppendText(out,
               std::string(row.adapted_from->origin()).append("/").append(row.adapted_from->id()));
  }
  out.push_back(',');
  AppendText(out, row.adopted_period);
  out.push_back(',');
  AppendText(out, row.outcome);
  out.append("\r\n");
}

// A published figure as exact text, or "" when it is not published.
std::string FigureText(const v1::Rollup& r, std::string_view field) {
  const Figure figure = RollupField(r, field);
  return figure.state == FieldState::kPublished ? ExactNumber(figure.value) : "";
}

void AppendRollupRow(std::string& out, const v1::Rollup& r, const std::string& hub_id) {
  for (const std::string* text : {&hub_id, &r.metric(), &r.period(), &r.scope()}) {
    AppendText(out, *text);
    out.push_back(',');
  }
  out.append(FigureText(r, "reporting")).append(",").append(std::to_string(r.expected()));
  for (const char* field : kFiguresAfterExpected) out.append(",").append(FigureText(r, field));
  out.append(r.withheld() ? ",true," : ",false,");
  AppendTextList(out, List(r.suppressed()));
  out.append("\r\n");
}

// JSON text that never throws: invalid UTF-8 from a peer becomes U+FFFD.
std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

}  // namespace

std::string RecordsCsv(const std::vector<v1::Record>& records) {
  std::string out = kRecordsHeader;
  for (const v1::Record& r : records) {
    if (Exported(r)) AppendRecordRow(out, r);
  }
  return out;
}

std::string RecordsJson(const std::vector<v1::Record>& records) {
  json all = json::array();
  for (const v1::Record& r : records) {
    if (!Exported(r)) continue;
    const RecordRow row = RowOf(r);
    json j = {{"origin", r.origin()},
              {"id", r.id()},
              {"kind", row.kind},
              {"version", r.version()},
              {"updated", IsoUtc(r.updated_us())},
              {"title", row.title},
              {"summary_or_body", row.text},
              {"issue_areas", row.issue_areas},
              {"communities", row.communities},
              {"strategies", row.strategies},
              {"tags", row.tags},
              {"adopted_period", row.adopted_period},
              {"outcome", row.outcome}};
    if (row.adapted_from != nullptr) {
      j["adapted_from"] = {{"origin", row.adapted_from->origin()}, {"id", row.adapted_from->id()}};
    }
    all.push_back(std::move(j));
  }
  return Dump(all);
}

std::string RollupsCsv(const std::vector<v1::Rollup>& rollups, const std::string& hub_id) {
  std::string out = kRollupsHeader;
  for (const v1::Rollup& r : rollups) {
    if (Exported(r)) AppendRollupRow(out, r, hub_id);
  }
  return out;
}

std::string RollupsJson(const std::vector<v1::Rollup>& rollups, const std::string& hub_id) {
  json all = json::array();
  for (const v1::Rollup& r : rollups) {
    if (!Exported(r)) continue;
    json j = {{"hub", hub_id},
              {"metric", r.metric()},
              {"period", r.period()},
              {"scope", r.scope()},
              {"expected", r.expected()},
              {"withheld", r.withheld()},
              {"suppressed", List(r.suppressed())}};
    if (r.withheld()) j["withheld_reason"] = r.withheld_reason();
    for (const char* field : {"reporting", "at_target"}) {  // counts: integers
      const Figure figure = RollupField(r, field);
      if (figure.state == FieldState::kPublished) j[field] = static_cast<uint64_t>(figure.value);
    }
    for (const char* field : kFiguresAfterExpected) {
      const Figure figure = RollupField(r, field);
      if (figure.state == FieldState::kPublished && std::isfinite(figure.value) &&
          j.find(field) == j.end()) {
        j[field] = figure.value;
      }
    }
    all.push_back(std::move(j));
  }
  return Dump(all);
}

}  // namespace ldgs::daemon::web
