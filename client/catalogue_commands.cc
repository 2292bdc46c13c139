// ldgsctl's learning commands: how a chapter compares, what practices work, the hub report.
#include "client/catalogue_commands.h"

#include <fstream>
#include <iostream>
#include <map>

#include "client/catalogue.h"
#include "client/cli_errors.h"
#include "client/definitions.h"
#include "client/put_request.h"
#include "client/record_format.h"
#include "client/report.h"
#include "common/clock.h"
#include "nlohmann/json.hpp"

namespace ldgs::client {
namespace {

absl::StatusOr<std::vector<v1::Record>> ListAll(AdminClient& c, v1::ListRecordsRequest request) {
  request.set_limit(100000);
  auto response = c.ListRecords(request);
  if (!response.ok()) return response.status();
  return std::vector<v1::Record>(response->records().begin(), response->records().end());
}

v1::ListRecordsRequest OfKind(v1::Kind kind) {
  v1::ListRecordsRequest request;
  request.set_kind(kind);
  return request;
}

// The rollup of `scope` for `period` from the nearest hub of `chain` that published it: a
// rollup counts only from the node's own hub chain, whatever figures other records claim.
const v1::Rollup* FromChain(const std::vector<v1::Record>& rollups,
                            const google::protobuf::RepeatedPtrField<std::string>& chain,
                            const std::string& scope, const std::string& period) {
  for (const std::string& hub : chain) {
    for (const v1::Record& r : rollups) {
      const v1::Rollup& rollup = r.rollup();
      if (r.origin() != hub || rollup.contribution() || rollup.scope() != scope ||
          rollup.period() != period) {
        continue;
      }
      return &rollup;
    }
  }
  return nullptr;
}

// Compared with the mean: quantiles are never published (docs/decisions.md).
std::string Mean(const v1::Rollup* r) {
  if (!r) return "-";
  if (r->withheld()) return "withheld";
  return ShowStat(*r, "mean");
}

std::string Position(double mine, const v1::Rollup* r, bool down_is_good) {
  if (!r || !r->has_mean() || r->withheld()) return "-";
  if (mine == r->mean()) return "at the mean";
  const bool better = down_is_good ? mine < r->mean() : mine > r->mean();
  return better ? "better than the mean" : "worse than the mean";
}

int Compare(AdminClient& c, const std::string& output, const std::string& metric) {
  auto status = c.GetStatus();
  if (!status.ok()) return Fail(status.status());
  v1::ListRecordsRequest mine = OfKind(v1::KIND_METRIC_OBSERVATION);
  mine.set_origin(status->node_id());
  mine.set_metric(metric);
  v1::ListRecordsRequest all_rollups = OfKind(v1::KIND_ROLLUP);
  all_rollups.set_metric(metric);
  auto observations = ListAll(c, mine);
  auto rollups = ListAll(c, all_rollups);
  auto definitions = ListAll(c, OfKind(v1::KIND_METRIC_DEFINITION));
  if (!observations.ok()) return Fail(observations.status());
  if (!rollups.ok()) return Fail(rollups.status());
  if (!definitions.ok()) return Fail(definitions.status());
  if (observations->empty()) {
    return Fail(absl::NotFoundError("this node has no observations of " + metric));
  }
  const std::optional<v1::MetricDefinition> definition =
      DefinitionFor(*definitions, metric, *status);
  const bool down_is_good = definition && definition->direction() == v1::DIRECTION_DOWN_IS_GOOD;
  std::sort(observations->begin(), observations->end(), [](const auto& a, const auto& b) {
    return a.metric_observation().period() < b.metric_observation().period();
  });
  // Compared with the region its hub counts it in (its own profile's region says nothing).
  const std::string region =
      status->enrolled_region().empty() ? status->region() : status->enrolled_region();
  const std::string region_scope = "region:" + region;
  nlohmann::json rows = nlohmann::json::array();
  std::vector<std::vector<std::string>> table = {
      {"PERIOD", "MINE", "REGION MEAN", "NETWORK MEAN", "POSITION"}};
  for (const v1::Record& o : *observations) {
    const std::string& period = o.metric_observation().period();
    const double value = o.metric_observation().value();
    const v1::Rollup* in_region = FromChain(*rollups, status->hub_chain(), region_scope, period);
    // The network as wide as the chain goes: the highest hub whose figure is published.
    const v1::Rollup* network = nullptr;
    for (auto hub = status->hub_chain().rbegin(); hub != status->hub_chain().rend(); ++hub) {
      google::protobuf::RepeatedPtrField<std::string> one;
      *one.Add() = *hub;
      const v1::Rollup* candidate = FromChain(*rollups, one, "network", period);
      if (candidate && !network) network = candidate;
      if (candidate && !candidate->withheld()) {
        network = candidate;
        break;
      }
    }
    char number[32];
    std::snprintf(number, sizeof(number), "%.6g", value);
    table.push_back(
        {period, number, Mean(in_region), Mean(network), Position(value, network, down_is_good)});
    nlohmann::json row = {{"period", period}, {"mine", value}};
    for (auto [name, r] : {std::pair{"region", in_region}, std::pair{"network", network}}) {
      if (!r) continue;
      row[name] = {{"reporting", r->reporting()}, {"mean", ShowStat(*r, "mean")}};
    }
    row["position"] = table.back().back();
    rows.push_back(row);
  }
  if (output == "json") {
    std::cout << nlohmann::json{{"metric", metric}, {"region", region}, {"periods", rows}}.dump()
              << "\n";
    return 0;
  }
  std::cout << EscapeForTerminal(metric) << " for " << EscapeForTerminal(status->name()) << " ("
            << EscapeForTerminal(region) << ")\n";
  for (const auto& row : table) {
    std::printf("%-9s %-8s %-24s %-24s %s\n", row[0].c_str(), row[1].c_str(), row[2].c_str(),
                row[3].c_str(), row[4].c_str());
  }
  return 0;
}

int PrintHits(const std::vector<SearchHit>& hits, const std::string& output, size_t limit) {
  std::vector<v1::Record> records;
  for (const SearchHit& hit : hits) {
    if (records.size() == limit) break;
    records.push_back(hit.record);
  }
  if (output == "json") {
    v1::ListRecordsResponse response;
    for (const v1::Record& r : records) *response.add_records() = r;
    std::cout << ToJson(response) << "\n";
  } else {
    std::cout << FormatRecordTable(records);
  }
  return 0;
}

int Top(AdminClient& c, const std::string& output, const std::string& metric, size_t limit) {
  auto practices = ListAll(c, OfKind(v1::KIND_PRACTICE));
  auto observations = ListAll(c, OfKind(v1::KIND_METRIC_OBSERVATION));
  auto definitions = ListAll(c, OfKind(v1::KIND_METRIC_DEFINITION));
  if (!practices.ok()) return Fail(practices.status());
  if (!observations.ok()) return Fail(observations.status());
  if (!definitions.ok()) return Fail(definitions.status());
  auto status = c.GetStatus();
  if (!status.ok()) return Fail(status.status());
  v1::MetricDefinition definition;
  definition.set_code(metric);
  if (auto found = DefinitionFor(*definitions, metric, *status)) definition = *found;
  std::vector<PracticeRank> ranks = RankPractices(*practices, *observations, definition);
  if (ranks.size() > limit) ranks.resize(limit);
  if (output == "json") {
    nlohmann::json j = nlohmann::json::array();
    for (const PracticeRank& r : ranks) {
      nlohmann::json row = {{"origin", r.practice.origin()},
                            {"id", r.practice.id()},
                            {"title", r.practice.practice().title()},
                            {"adoptions", r.adoptions},
                            {"worked", r.worked},
                            {"did_not_work", r.did_not_work},
                            {"adopters_with_data", r.adopters_with_data}};
      if (r.adopters_with_data > 0) row["mean_improvement"] = r.mean_improvement;
      j.push_back(row);
    }
    std::cout << j.dump() << "\n";
    return 0;
  }
  std::printf("%-4s %-52s %-8s %-7s %-9s %s\n", "RANK", "PRACTICE", "ADOPTED", "WORKED", "NOT HERE",
              ("IMPROVEMENT (" + metric + ")").c_str());
  int rank = 0;
  for (const PracticeRank& r : ranks) {
    char improvement[32] = "n/a";
    if (r.adopters_with_data > 0) {
      std::snprintf(improvement, sizeof(improvement), "%+.1f%% (%d)", r.mean_improvement * 100,
                    r.adopters_with_data);
    }
    std::printf("%-4d %-52s %-8d %-7d %-9d %s\n", ++rank,
                EscapeForTerminal(r.practice.practice().title()).substr(0, 52).c_str(), r.adoptions,
                r.worked, r.did_not_work, improvement);
  }
  return 0;
}

int Adapt(AdminClient& c, const std::string& output, const std::string& ref,
          const std::string& visibility) {
  const size_t slash = ref.find('/');
  if (slash == std::string::npos) return Fail(absl::InvalidArgumentError("give ORIGIN/ID"));
  v1::GetRecordRequest get;
  get.set_origin(ref.substr(0, slash));
  get.set_id(ref.substr(slash + 1));
  auto original = c.GetRecord(get);
  if (!original.ok()) return Fail(original.status());
  if (!original->has_practice()) {
    return Fail(absl::InvalidArgumentError(ref + " is not a practice"));
  }
  v1::PutRecordRequest put;
  *put.mutable_body()->mutable_practice() = original->practice();
  put.mutable_body()->mutable_practice()->clear_outcome();
  put.mutable_body()->mutable_practice()->clear_outcome_note();
  put.mutable_body()->mutable_practice()->mutable_adapted_from()->set_origin(original->origin());
  put.mutable_body()->mutable_practice()->mutable_adapted_from()->set_id(original->id());
  if (!visibility.empty()) {
    auto parsed = ParseVisibility(visibility);
    if (!parsed.ok()) return Fail(parsed.status());
    put.set_visibility(*parsed);
  }
  auto adapted = c.PutRecord(put);
  if (!adapted.ok()) return Fail(adapted.status());
  std::cout << (output == "json" ? ToJson(*adapted) + "\n" : FormatRecordDetail(*adapted));
  return 0;
}

int Outcome(AdminClient& c, const std::string& output, const std::string& id,
            const std::string& outcome, const std::string& note) {
  static const std::map<std::string, v1::Outcome> kOutcomes = {
      {"worked", v1::OUTCOME_WORKED},
      {"mixed", v1::OUTCOME_MIXED},
      {"did-not-work-here", v1::OUTCOME_DID_NOT_WORK_HERE},
      {"too-early", v1::OUTCOME_TOO_EARLY}};
  auto it = kOutcomes.find(outcome);
  if (it == kOutcomes.end()) {
    return Fail(absl::InvalidArgumentError(
        "outcome must be worked, mixed, did-not-work-here or too-early"));
  }
  v1::GetRecordRequest get;
  get.set_id(id);
  auto held = c.GetRecord(get);
  if (!held.ok()) return Fail(held.status());
  if (!held->has_practice()) return Fail(absl::InvalidArgumentError(id + " is not a practice"));
  v1::PutRecordRequest put;
  put.set_id(id);
  *put.mutable_body()->mutable_practice() = held->practice();
  put.mutable_body()->mutable_practice()->set_outcome(it->second);
  put.mutable_body()->mutable_practice()->set_outcome_note(note);
  auto written = c.PutRecord(put);
  if (!written.ok()) return Fail(written.status());
  std::cout << (output == "json" ? ToJson(*written) + "\n" : FormatRecordDetail(*written));
  return 0;
}

int Report(AdminClient& c, const std::string& output, const std::string& file,
           const std::string& audience_name) {
  const std::map<std::string, Audience> kAudiences = {{"operator", Audience::kOperator},
                                                      {"network", Audience::kNetwork},
                                                      {"public", Audience::kPublic}};
  auto audience = kAudiences.find(audience_name);
  if (audience == kAudiences.end()) {
    return Fail(absl::InvalidArgumentError("--audience must be operator, network or public"));
  }
  auto status = c.GetStatus();
  if (!status.ok()) return Fail(status.status());
  auto records = ListAll(c, v1::ListRecordsRequest());
  if (!records.ok()) return Fail(records.status());
  auto peers = c.ListPeers();
  if (!peers.ok()) return Fail(peers.status());
  NetworkReport report = BuildReport(*status, *records, *peers, audience->second, NowMicros());
  const std::string text = output == "html"   ? RenderReportHtml(report)
                           : output == "json" ? RenderReportJson(report) + "\n"
                                              : RenderReportTable(report);
  if (file.empty()) {
    std::cout << text;
    return 0;
  }
  std::ofstream out(file);
  out << text;
  if (!out) return Fail(absl::InvalidArgumentError("cannot write " + file));
  std::cout << "wrote " << file << "\n";
  return 0;
}

}  // namespace

void AddCatalogueCommands(CLI::App& app, const std::string& output,
                          std::function<int(AdminClient&)>& action) {
  static std::string metric, query, ref, visibility, id, outcome, note, file;
  static std::string audience = "network";
  static size_t limit = 20;

  CLI::App* compare = app.add_subcommand("compare", "how this chapter stands on a metric");
  compare->add_option("metric", metric, "metric code")->required();
  compare->callback([&] { action = [&](AdminClient& c) { return Compare(c, output, metric); }; });

  CLI::App* practices = app.add_subcommand("practices", "search and rank practices");
  practices->require_subcommand(1);
  CLI::App* search = practices->add_subcommand("search", "full-text and tag search");
  search->add_option("query", query, "words to find")->required();
  search->add_option("--limit", limit, "at most this many (default 20)");
  search->callback([&] {
    action = [&](AdminClient& c) {
      auto records = ListAll(c, OfKind(v1::KIND_PRACTICE));
      if (!records.ok()) return Fail(records.status());
      return PrintHits(Search(*records, query), output, limit);
    };
  });
  CLI::App* top = practices->add_subcommand("top", "practices ranked by adoption and outcome");
  top->add_option("--metric", metric, "metric for the outcome (default actively_homeless)");
  top->add_option("--limit", limit, "at most this many (default 20)");
  top->callback([&] {
    action = [&](AdminClient& c) {
      return Top(c, output, metric.empty() ? "actively_homeless" : metric, limit);
    };
  });

  CLI::App* stories = app.add_subcommand("stories", "search stories");
  stories->require_subcommand(1);
  CLI::App* story_search = stories->add_subcommand("search", "full-text and tag search");
  story_search->add_option("query", query, "words to find")->required();
  story_search->add_option("--limit", limit, "at most this many (default 20)");
  story_search->callback([&] {
    action = [&](AdminClient& c) {
      auto records = ListAll(c, OfKind(v1::KIND_STORY));
      if (!records.ok()) return Fail(records.status());
      return PrintHits(Search(*records, query), output, limit);
    };
  });

  CLI::App* adapt = app.add_subcommand("adapt", "make a local practice adapted from another");
  adapt->add_option("practice", ref, "ORIGIN/ID of the practice")->required();
  adapt->add_option("--visibility", visibility, "private (default), hub, network, public");
  adapt->callback(
      [&] { action = [&](AdminClient& c) { return Adapt(c, output, ref, visibility); }; });

  CLI::App* outcome_cmd = app.add_subcommand("outcome", "record whether a practice worked here");
  outcome_cmd->add_option("id", id, "this node's practice id")->required();
  outcome_cmd->add_option("outcome", outcome, "worked, mixed, did-not-work-here, too-early")
      ->required();
  outcome_cmd->add_option("--note", note, "what happened, in context");
  outcome_cmd->callback(
      [&] { action = [&](AdminClient& c) { return Outcome(c, output, id, outcome, note); }; });

  CLI::App* report = app.add_subcommand("report", "State of the network (on a hub)");
  report->add_option("--file", file, "write to FILE instead of stdout");
  report->add_option("--audience", audience,
                     "network (default: what every member may see), operator (hub records "
                     "too) or public");
  report->callback(
      [&] { action = [&](AdminClient& c) { return Report(c, output, file, audience); }; });
}

}  // namespace ldgs::client
