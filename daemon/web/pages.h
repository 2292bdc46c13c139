#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "ldgs/v1/admin.pb.h"
#include "ldgs/v1/learnings.pb.h"

// The bodies of the hub's web pages, from the answers of the Admin API's learnings RPCs.
// Pure: each returns safe HTML for Page (html.h) to frame; every string a record carries
// is escaped, every URL parameter encoded. What a page may show is decided before: these
// render whatever audience's answer they are given, and never a withheld or suppressed
// figure, which read "withheld" (class "withheld", the reason as its title) or "suppressed"
// (class "suppressed"). Cells holding figures have class "fig" and a data-field attribute.
namespace ldgs::daemon::web {

// "/": headline counts; per metric its chart and the latest period by scope (network, then
// each region): reporting, expected, value, mean, change, at target; then "What's working":
// report.top_practices with adoptions, worked, did not work and the outcome figure.
std::string OverviewBody(const v1::NetworkReport& report);

// "/practices" or "/stories" (`path`): a GET search form (q), the facets as links that each
// toggle one filter (issue_area, community, strategy: any number; region, outcome: one) and
// keep the others, "N matches", and the hits. `asked` is the request the page answered,
// rebuilt from the URL; paging links use the parameter "offset".
std::string CatalogueBody(const v1::SearchCatalogueRequest& asked,
                          const v1::SearchCatalogueResponse& found, std::string_view path);

// "/practice?origin=&id=": the practice, its taxonomy and standing, and its adaptation tree
// from the root (the root marked "original", the viewed practice "this practice").
std::string PracticeBody(const v1::ProvenanceResponse& provenance);

// One chapter's reporting over the periods the hub expected it in.
struct ChapterReporting {
  std::string node_id, name, region;
  std::vector<std::string> periods_reported;
  std::vector<std::string> periods_missing;
};

// "/operator" (operator view only): sync health of every peer, and reporting completeness
// by chapter.
std::string OperatorBody(const v1::ListPeersResponse& peers,
                         const std::vector<ChapterReporting>& chapters);

// "/standing" (a chapter's operator view): per metric, each period's own value against its
// region's and the network's published means.
std::string StandingBody(const std::vector<v1::CompareResponse>& standings);

// "/login": the admin token form (POST /login, field "token"), with `error` when not empty.
std::string LoginBody(std::string_view error);

// "/data": the open-data files, overall and per metric.
std::string OpenDataBody(const std::vector<std::string>& metric_codes);

}  // namespace ldgs::daemon::web
