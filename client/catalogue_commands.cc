// ldgsctl's learning commands: the catalogue, what works, how a chapter compares, the hub
// report. Each asks the node (which computes them over its store) and only formats.
#include "client/catalogue_commands.h"

#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>

#include "client/cli_errors.h"
#include "client/put_request.h"
#include "client/record_format.h"
#include "client/report.h"
#include "common/text.h"
#include "nlohmann/json.hpp"
#include "record/kind.h"

namespace ldgs::client {
namespace {

absl::StatusOr<v1::Audience> ParseAudience(const std::string& name) {
  static const std::map<std::string, v1::Audience> kAudiences = {
      {"operator", v1::AUDIENCE_OPERATOR},
      {"network", v1::AUDIENCE_NETWORK},
      {"public", v1::AUDIENCE_PUBLIC}};
  auto it = kAudiences.find(name);
  if (it == kAudiences.end()) {
    return absl::InvalidArgumentError("--audience must be operator, network or public");
  }
  return it->second;
}

absl::StatusOr<v1::Outcome> ParseOutcome(const std::string& name) {
  std::optional<v1::Outcome> outcome = record::OutcomeFromName(name);
  if (!outcome) {
    return absl::InvalidArgumentError(
        "outcome must be worked, mixed, did-not-work-here or too-early");
  }
  return *outcome;
}

absl::StatusOr<v1::RecordRef> ParseRef(const std::string& text) {
  const size_t slash = text.find('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 == text.size()) {
    return absl::InvalidArgumentError("give the practice as ORIGIN/ID");
  }
  v1::RecordRef ref;
  ref.set_origin(text.substr(0, slash));
  ref.set_id(text.substr(slash + 1));
  return ref;
}

int PrintCompare(const v1::CompareResponse& r, const std::string& output) {
  if (output == "json") {
    std::cout << ToJson(r) << "\n";
    return 0;
  }
  std::cout << EscapeForTerminal(r.metric()) << " (" << EscapeForTerminal(r.region()) << ")\n";
  auto mean = [](bool has, const v1::Rollup& cell) -> std::string {
    if (!has) return "-";
    return cell.withheld() ? "withheld" : ShowStat(cell, "mean");
  };
  std::printf("%-9s %-8s %-24s %-24s %s\n", "PERIOD", "MINE", "REGION MEAN", "NETWORK MEAN",
              "POSITION");
  for (const v1::ComparePeriod& p : r.periods()) {
    char mine[32];
    std::snprintf(mine, sizeof(mine), "%.6g", p.mine());
    std::printf("%-9s %-8s %-24s %-24s %s\n", p.period().c_str(), mine,
                mean(p.has_region(), p.region()).c_str(),
                mean(p.has_network(), p.network()).c_str(), p.position().c_str());
  }
  return 0;
}

int PrintSearch(const v1::SearchCatalogueResponse& r, const std::string& output) {
  if (output == "json") {
    std::cout << ToJson(r) << "\n";
    return 0;
  }
  std::vector<v1::Record> records;
  for (const v1::CatalogueHit& hit : r.hits()) records.push_back(hit.record());
  std::cout << FormatRecordTable(records);
  std::cout << r.matches() << " match" << (r.matches() == 1 ? "" : "es") << "\n";
  for (const v1::Facet& facet : r.facets()) {
    if (facet.values().empty()) continue;
    std::cout << "  " << facet.name() << ":";
    int shown = 0;
    for (const v1::FacetValue& v : facet.values()) {
      if (++shown > 8) break;
      std::cout << " " << EscapeForTerminal(v.value()) << " (" << v.count() << ")";
    }
    std::cout << "\n";
  }
  return 0;
}

int PrintRanking(const v1::RankPracticesResponse& r, const std::string& output) {
  if (output == "json") {
    nlohmann::json j = nlohmann::json::array();
    for (const v1::PracticeStanding& s : r.practices()) {
      nlohmann::json row = nlohmann::json::parse(ToJson(s));
      // The flat fields scripts read first.
      row["origin"] = s.practice().origin();
      row["id"] = s.practice().id();
      row["title"] = s.practice().practice().title();
      row["adoptions"] = s.adoptions();
      row["worked"] = s.worked();
      row["did_not_work"] = s.did_not_work();
      j.push_back(row);
    }
    std::cout << j.dump() << "\n";
    return 0;
  }
  std::printf("%-4s %-48s %-8s %-7s %-9s %s\n", "RANK", "PRACTICE", "ADOPTED", "WORKED", "NOT HERE",
              ("WHAT'S WORKING (" + r.metric() + ": adopters vs others)").c_str());
  int rank = 0;
  for (const v1::PracticeStanding& s : r.practices()) {
    std::printf(
        "%-4d %-48s %-8u %-7u %-9u %s\n", ++rank,
        std::string(TruncateUtf8(EscapeForTerminal(s.practice().practice().title()), 48)).c_str(),
        s.adoptions(), s.worked(), s.did_not_work(), ShowOutcome(s).c_str());
  }
  return 0;
}

void PrintTree(const v1::ProvenanceNode& node, int depth) {
  const v1::Practice& p = node.practice().practice();
  std::string outcome;
  switch (p.outcome()) {
    case v1::OUTCOME_WORKED:
      outcome = ", worked";
      break;
    case v1::OUTCOME_MIXED:
      outcome = ", mixed";
      break;
    case v1::OUTCOME_DID_NOT_WORK_HERE:
      outcome = ", did not work here";
      break;
    case v1::OUTCOME_TOO_EARLY:
      outcome = ", too early";
      break;
    default:
      break;
  }
  std::cout << std::string(2 * depth, ' ') << (depth ? "<- " : "") << EscapeForTerminal(p.title())
            << "  [" << node.practice().origin().substr(0, 8) << "/"
            << EscapeForTerminal(node.practice().id()) << ", "
            << EscapeForTerminal(node.region().empty() ? "?" : node.region())
            << (p.adopted_period().empty() ? "" : ", adopted " + p.adopted_period()) << outcome
            << "]\n";
  for (const v1::ProvenanceNode& child : node.adaptations()) PrintTree(child, depth + 1);
}

int PrintProvenance(const v1::ProvenanceResponse& r, const std::string& output) {
  if (output == "json") {
    std::cout << ToJson(r) << "\n";
    return 0;
  }
  PrintTree(r.root(), 0);
  std::cout << "adopted by " << r.standing().adoptions() << " (worked " << r.standing().worked()
            << ", mixed " << r.standing().mixed() << ", did not work "
            << r.standing().did_not_work() << ", too early " << r.standing().too_early()
            << "); what's working: " << ShowOutcome(r.standing()) << "\n";
  if (r.truncated()) std::cout << "(the tree is larger than shown)\n";
  return 0;
}

int PrintRecordOr(absl::StatusOr<v1::Record> record, const std::string& output) {
  if (!record.ok()) return Fail(record.status());
  std::cout << (output == "json" ? ToJson(*record) + "\n" : FormatRecordDetail(*record));
  return 0;
}

int WriteReport(const v1::NetworkReport& report, const std::string& output,
                const std::string& file) {
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

// The catalogue's filter flags, shared by practices and stories search.
struct SearchFlags {
  std::string query, region, outcome;
  std::vector<std::string> issue_areas, communities, strategies;
  uint32_t limit = 20, offset = 0;
  bool adaptations = false;
};

absl::StatusOr<v1::SearchCatalogueRequest> SearchRequest(const SearchFlags& f, v1::Kind kind) {
  v1::SearchCatalogueRequest request;
  request.set_query(f.query);
  request.set_kind(kind);
  request.set_region(f.region);
  for (const std::string& v : f.issue_areas) request.add_issue_areas(v);
  for (const std::string& v : f.communities) request.add_communities(v);
  for (const std::string& v : f.strategies) request.add_strategies(v);
  request.set_limit(f.limit);
  request.set_offset(f.offset);
  request.set_include_adaptations(f.adaptations);
  request.set_audience(v1::AUDIENCE_OPERATOR);
  if (!f.outcome.empty()) {
    auto outcome = ParseOutcome(f.outcome);
    if (!outcome.ok()) return outcome.status();
    request.set_outcome(*outcome);
  }
  return request;
}

void AddSearchFlags(CLI::App* command, SearchFlags& f, bool practices) {
  command->add_option("query", f.query, "words to find (stemmed; empty: all)");
  command->add_option("--limit", f.limit, "at most this many (default 20)");
  command->add_option("--offset", f.offset, "skip this many matches (paging)");
  command->add_option("--region", f.region, "written by a chapter of this region");
  if (!practices) return;
  command->add_option("--issue-area", f.issue_areas, "in this issue area (repeatable)");
  command->add_option("--community", f.communities, "serving this community (repeatable)");
  command->add_option("--strategy", f.strategies, "using this strategy (repeatable)");
  command->add_option("--outcome", f.outcome,
                      "worked, mixed, did-not-work-here or too-early, here or where adapted");
  command->add_flag("--adaptations", f.adaptations, "adaptations too, not only originals");
}

}  // namespace

void AddCatalogueCommands(CLI::App& app, const std::string& output,
                          std::function<int(AdminClient&)>& action) {
  static std::string metric, ref, visibility, id, outcome, note, file, period, order;
  static std::string audience = "network";
  static SearchFlags practice_search, story_search;
  static uint32_t limit = 20;

  CLI::App* compare = app.add_subcommand("compare", "how this chapter stands on a metric");
  compare->add_option("metric", metric, "metric code")->required();
  compare->callback([&] {
    action = [&](AdminClient& c) {
      v1::CompareRequest request;
      request.set_metric(metric);
      auto answer = c.Compare(request);
      if (!answer.ok()) return Fail(answer.status());
      return PrintCompare(*answer, output);
    };
  });

  CLI::App* practices = app.add_subcommand("practices", "search and rank practices");
  practices->require_subcommand(1);
  CLI::App* search = practices->add_subcommand("search", "full-text search with facets");
  AddSearchFlags(search, practice_search, true);
  search->callback([&] {
    action = [&](AdminClient& c) {
      auto request = SearchRequest(practice_search, v1::KIND_PRACTICE);
      if (!request.ok()) return Fail(request.status());
      auto answer = c.SearchCatalogue(*request);
      if (!answer.ok()) return Fail(answer.status());
      return PrintSearch(*answer, output);
    };
  });
  CLI::App* top = practices->add_subcommand("top", "practices ranked by adoption and outcome");
  top->add_option("--metric", metric, "metric for the outcome (default actively_homeless)");
  top->add_option("--limit", limit, "at most this many (default 20)");
  top->add_option("--order", order, "adoption (default) or outcome");
  top->callback([&] {
    action = [&](AdminClient& c) {
      v1::RankPracticesRequest request;
      request.set_metric(metric);
      request.set_limit(limit);
      request.set_audience(v1::AUDIENCE_OPERATOR);
      if (order == "outcome") {
        request.set_order(v1::RANK_ORDER_OUTCOME);
      } else if (!order.empty() && order != "adoption") {
        return Fail(absl::InvalidArgumentError("--order must be adoption or outcome"));
      }
      auto answer = c.RankPractices(request);
      if (!answer.ok()) return Fail(answer.status());
      return PrintRanking(*answer, output);
    };
  });
  CLI::App* tree = practices->add_subcommand("tree", "who adapted a practice from whom");
  tree->add_option("practice", ref, "ORIGIN/ID of any practice in the tree")->required();
  tree->add_option("--metric", metric, "metric for the outcome (default actively_homeless)");
  tree->callback([&] {
    action = [&](AdminClient& c) {
      auto parsed = ParseRef(ref);
      if (!parsed.ok()) return Fail(parsed.status());
      v1::ProvenanceRequest request;
      *request.mutable_practice() = *parsed;
      request.set_metric(metric);
      request.set_audience(v1::AUDIENCE_OPERATOR);
      auto answer = c.GetProvenance(request);
      if (!answer.ok()) return Fail(answer.status());
      return PrintProvenance(*answer, output);
    };
  });

  CLI::App* stories = app.add_subcommand("stories", "search stories");
  stories->require_subcommand(1);
  CLI::App* story_find = stories->add_subcommand("search", "full-text search");
  AddSearchFlags(story_find, story_search, false);
  story_find->callback([&] {
    action = [&](AdminClient& c) {
      auto request = SearchRequest(story_search, v1::KIND_STORY);
      if (!request.ok()) return Fail(request.status());
      auto answer = c.SearchCatalogue(*request);
      if (!answer.ok()) return Fail(answer.status());
      return PrintSearch(*answer, output);
    };
  });

  CLI::App* adapt = app.add_subcommand("adapt", "make a local practice adapted from another");
  adapt->add_option("practice", ref, "ORIGIN/ID of the practice")->required();
  adapt->add_option("--visibility", visibility, "private (default), hub, network, public");
  adapt->add_option("--period", period,
                    "the period it was adopted in, YYYY-MM or YYYY-Www (default: this month)");
  adapt->callback([&] {
    action = [&](AdminClient& c) {
      auto parsed = ParseRef(ref);
      if (!parsed.ok()) return Fail(parsed.status());
      v1::AdaptPracticeRequest request;
      *request.mutable_practice() = *parsed;
      request.set_adopted_period(period);
      if (!visibility.empty()) {
        auto v = ParseVisibility(visibility);
        if (!v.ok()) return Fail(v.status());
        request.set_visibility(*v);
      }
      return PrintRecordOr(c.AdaptPractice(request), output);
    };
  });

  CLI::App* outcome_cmd = app.add_subcommand("outcome", "record whether a practice worked here");
  outcome_cmd->add_option("id", id, "this node's practice id")->required();
  outcome_cmd->add_option("outcome", outcome, "worked, mixed, did-not-work-here, too-early")
      ->required();
  outcome_cmd->add_option("--note", note, "what happened, in context");
  outcome_cmd->callback([&] {
    action = [&](AdminClient& c) {
      auto parsed = ParseOutcome(outcome);
      if (!parsed.ok()) return Fail(parsed.status());
      v1::RecordOutcomeRequest request;
      request.set_id(id);
      request.set_outcome(*parsed);
      request.set_note(note);
      return PrintRecordOr(c.RecordOutcome(request), output);
    };
  });

  CLI::App* report = app.add_subcommand("report", "State of the network (on a hub)");
  report->add_option("--file", file, "write to FILE instead of stdout");
  report->add_option("--audience", audience,
                     "network (default: what every member may see), operator (hub records "
                     "too) or public");
  report->callback([&] {
    action = [&](AdminClient& c) {
      auto parsed = ParseAudience(audience);
      if (!parsed.ok()) return Fail(parsed.status());
      v1::ReportRequest request;
      request.set_audience(*parsed);
      auto answer = c.GetReport(request);
      if (!answer.ok()) return Fail(answer.status());
      return WriteReport(*answer, output, file);
    };
  });
}

}  // namespace ldgs::client
