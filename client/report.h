#pragma once

#include <string>

#include "ldgs/v1/learnings.pb.h"

// "State of the network" as ldgsctl shows it: the node's report (GetReport) as a table, JSON
// or one self-contained HTML page (the hub page's overview). A withheld cell shows
// "withheld" and a suppressed field "suppressed": the numbers are simply not in the rollups.
namespace ldgs::client {

std::string RenderReportTable(const v1::NetworkReport& report);
std::string RenderReportJson(const v1::NetworkReport& report);
std::string RenderReportHtml(const v1::NetworkReport& report);

// One rollup statistic for display: the number, "suppressed", or "withheld". `field` is the
// Rollup field name.
std::string ShowStat(const v1::Rollup& rollup, const std::string& field);

// A what's-working figure in one line: "+12.5% vs +3.1% (5 vs 20 chapters)", "withheld" or
// "n/a" when no hub published one.
std::string ShowOutcome(const v1::PracticeStanding& standing);

}  // namespace ldgs::client
