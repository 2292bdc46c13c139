#pragma once

#include <string>

#include "ldgs/v1/learnings.pb.h"

// The hub page's chart of one metric: an inline SVG, no script. Pure.
namespace ldgs::daemon::web {

// A line chart of `metric` over its periods: one line for the network and one per region
// (legend in that order), plotting Rollup.value. The y axis starts at 0, or at the lowest
// value when one is negative, with 4-5 labelled ticks and the unit as its title; the x axis
// labels the periods (every k-th when there are many). A withheld cell or a suppressed value
// is a gap in its line and a hollow grey marker on the x axis titled "withheld: REASON" or
// "suppressed". Every plotted point is <circle class="pt" data-period data-scope
// data-value>; the <svg> has class "chart", role "img", an aria-label and data-metric.
// Fixed width (viewBox 640 wide, drawn at 100%); the height grows only with legend rows.
std::string MetricChart(const v1::MetricReport& metric);

}  // namespace ldgs::daemon::web
