#include "client/record_format.h"

#include <algorithm>
#include <cstdio>
#include <sstream>

#include "common/clock.h"
#include "common/text.h"
#include "google/protobuf/util/json_util.h"
#include "record/kind.h"

namespace ldgs::client {
namespace {

std::string FormatNumber(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%.15g", value);
  return buffer;
}

// What a person recognises a record by.
std::string TitleOf(const v1::Record& r) {
  if (r.deleted()) return "(deleted)";
  switch (r.body_case()) {
    case v1::Record::kPractice:
      return r.practice().title();
    case v1::Record::kMetricDefinition:
      return r.metric_definition().name();
    case v1::Record::kMetricObservation:
      return r.metric_observation().metric() + " " + r.metric_observation().period() + " = " +
             FormatNumber(r.metric_observation().value());
    case v1::Record::kStory:
      return r.story().title();
    case v1::Record::kNodeProfile:
      return r.node_profile().name();
    case v1::Record::kRollup:
      return r.rollup().metric() + " " + r.rollup().period() + " " + r.rollup().scope() + " (" +
             (r.rollup().withheld() ? "withheld: " + r.rollup().withheld_reason()
                                    : std::to_string(r.rollup().reporting()) + " reporting") +
             ")";
    case v1::Record::kRevocation:
      return "revokes " + r.revocation().node_id();
    case v1::Record::BODY_NOT_SET:
      break;
  }
  return "";
}

std::string Join(const google::protobuf::RepeatedPtrField<std::string>& items) {
  std::string out;
  for (const std::string& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

std::string ShortId(const std::string& node_id) { return node_id.substr(0, 8); }

std::string FormatTime(int64_t micros) { return FormatUtc(micros, "%Y-%m-%d %H:%M:%SZ"); }

// Renders rows as columns padded to their widest cell. Every cell is escaped: records come
// from peers, and their text must not reach the terminal as control sequences.
std::string Columns(std::vector<std::vector<std::string>> rows) {
  for (auto& row : rows) {
    for (std::string& cell : row) cell = EscapeForTerminal(cell);
  }
  std::vector<size_t> widths;
  for (const auto& row : rows) {
    widths.resize(std::max(widths.size(), row.size()));
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  std::ostringstream out;
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size(); ++i) {
      out << row[i];
      if (i + 1 < row.size()) out << std::string(widths[i] - row[i].size() + 2, ' ');
    }
    out << "\n";
  }
  return out.str();
}

}  // namespace

std::string KindName(v1::Kind kind) { return std::string(record::KindName(kind)); }

std::string VisibilityName(v1::Visibility visibility) {
  switch (visibility) {
    case v1::VISIBILITY_PRIVATE:
      return "private";
    case v1::VISIBILITY_HUB:
      return "hub";
    case v1::VISIBILITY_NETWORK:
      return "network";
    case v1::VISIBILITY_PUBLIC:
      return "public";
    default:
      return "unspecified";
  }
}

std::string ToJson(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  std::string json;
  auto status = google::protobuf::util::MessageToJsonString(message, &json, options);
  return status.ok() ? json : "{}";
}

std::string FormatRecordTable(const std::vector<v1::Record>& records) {
  std::vector<std::vector<std::string>> rows = {
      {"ID", "KIND", "VISIBILITY", "ORIGIN", "UPDATED", "TITLE"}};
  for (const v1::Record& r : records) {
    rows.push_back({r.id(), KindName(r.kind()), VisibilityName(r.visibility()), ShortId(r.origin()),
                    FormatTime(r.updated_us()), TitleOf(r)});
  }
  return Columns(rows);
}

std::string FormatRecordDetail(const v1::Record& r) {
  std::vector<std::vector<std::string>> rows = {{"id:", r.id()},
                                                {"kind:", KindName(r.kind())},
                                                {"origin:", r.origin()},
                                                {"visibility:", VisibilityName(r.visibility())},
                                                {"version:", std::to_string(r.version())},
                                                {"created:", FormatTime(r.created_us())},
                                                {"updated:", FormatTime(r.updated_us())}};
  if (r.deleted()) rows.push_back({"deleted:", "yes"});
  auto add = [&rows](const std::string& key, const std::string& value) {
    if (!value.empty()) rows.push_back({key + ":", value});
  };
  if (r.has_practice()) {
    const v1::Practice& p = r.practice();
    add("title", p.title());
    add("summary", p.summary());
    add("issue areas", Join(p.issue_areas()));
    add("communities", Join(p.communities()));
    add("strategies", Join(p.strategies()));
    add("tags", Join(p.tags()));
    if (!p.adapted_from().id().empty()) {
      add("adapted from", p.adapted_from().origin() + "/" + p.adapted_from().id());
    }
    if (p.outcome() != v1::OUTCOME_UNSPECIFIED) add("outcome", v1::Outcome_Name(p.outcome()));
    add("outcome note", p.outcome_note());
  } else if (r.has_metric_definition()) {
    const v1::MetricDefinition& d = r.metric_definition();
    add("code", d.code());
    add("name", d.name());
    add("unit", d.unit());
    add("aggregation", v1::Aggregation_Name(d.aggregation()));
    add("direction", v1::Direction_Name(d.direction()));
    if (d.has_target()) add("target", FormatNumber(d.target()));
    add("description", d.description());
  } else if (r.has_metric_observation()) {
    const v1::MetricObservation& o = r.metric_observation();
    add("metric", o.metric());
    add("period", o.period());
    add("value", FormatNumber(o.value()));
    add("note", o.note());
  } else if (r.has_story()) {
    add("title", r.story().title());
    add("body", r.story().body());
    add("tags", Join(r.story().tags()));
  } else if (r.has_node_profile()) {
    add("name", r.node_profile().name());
    add("region", r.node_profile().region());
  }
  return Columns(rows);
}

std::string FormatStatus(const v1::NodeStatus& s) {
  std::vector<std::vector<std::string>> rows = {
      {"node:", s.node_id()},
      {"name:", s.name()},
      {"region:", s.region()},
      {"role:", s.role() == v1::ROLE_HUB ? "hub" : "chapter"},
      {"version:", s.version()},
      {"started:", FormatTime(s.started_us())},
      {"last sequence:", std::to_string(s.last_sequence())}};
  if (s.role() == v1::ROLE_HUB) {
    rows.push_back({"aggregated through:", std::to_string(s.aggregated_through())});
  }
  if (!s.enrolled_region().empty()) rows.push_back({"enrolled region:", s.enrolled_region()});
  std::string chain;
  for (const std::string& hub : s.hub_chain()) chain += (chain.empty() ? "" : " -> ") + hub;
  rows.push_back({"hub chain:", chain.empty() ? "(none yet)" : chain});
  for (const v1::KindCount& count : s.records()) {
    rows.push_back({KindName(count.kind()) + " records:", std::to_string(count.count())});
  }
  return Columns(rows);
}

namespace {
std::string RelationName(v1::Relation relation) {
  switch (relation) {
    case v1::RELATION_HUB:
      return "hub";
    case v1::RELATION_MEMBER:
      return "member";
    case v1::RELATION_MEMBER_HUB:
      return "member hub";
    case v1::RELATION_SISTER:
      return "sister";
    default:
      return "unknown";
  }
}
}  // namespace

std::string FormatPeers(const v1::ListPeersResponse& peers) {
  std::vector<std::vector<std::string>> rows = {{"NODE", "NAME", "RELATION", "REGION", "CONNECTED",
                                                 "LAST SYNC", "TO SEND", "TO RECEIVE", "NOTE"}};
  for (const v1::PeerStatus& p : peers.peers()) {
    std::string note = p.revoked() ? "revoked" : p.last_error();
    if (!p.throttled().empty()) {
      note = "throttled: " + p.throttled() + (note.empty() ? "" : "; " + note);
    }
    if (p.forks() > 0) note += (note.empty() ? "" : "; ") + std::to_string(p.forks()) + " forks";
    if (p.refused() > 0) {
      note += (note.empty() ? "" : "; ") + std::to_string(p.refused()) +
              " refused (last: " + p.last_refusal() + ")";
    }
    rows.push_back({ShortId(p.node_id()), p.name().empty() ? "-" : p.name(),
                    RelationName(p.relation()), p.region().empty() ? "-" : p.region(),
                    p.connected() ? "yes" : "no",
                    p.last_sync_us() == 0 ? "never" : FormatTime(p.last_sync_us()),
                    std::to_string(p.outbound_behind()), std::to_string(p.inbound_behind()), note});
  }
  return Columns(rows);
}

bool IsCaughtUp(const v1::ListPeersResponse& peers, std::string* summary) {
  int waiting = 0;
  uint64_t to_send = 0;
  uint64_t to_receive = 0;
  for (const v1::PeerStatus& p : peers.peers()) {
    const bool dialed = !p.address().empty();
    if (p.revoked() || (!dialed && !p.connected())) continue;  // nothing to wait for
    if (!p.connected() || p.outbound_behind() > 0 || p.inbound_behind() > 0) ++waiting;
    to_send += p.outbound_behind();
    to_receive += p.inbound_behind();
  }
  *summary = std::to_string(waiting) + " peer(s) behind, " + std::to_string(to_send) +
             " change(s) to send, " + std::to_string(to_receive) + " to receive";
  return waiting == 0;
}

}  // namespace ldgs::client
