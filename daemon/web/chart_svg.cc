#include "daemon/web/chart_svg.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <initializer_list>
#include <map>
#include <set>
#include <vector>

#include "daemon/web/format.h"
#include "daemon/web/html.h"

namespace ldgs::daemon::web {
namespace {

// Plot area inside a 640-wide viewBox; labels and the legend sit below it.
constexpr double kWidth = 640;
constexpr double kLeft = 72, kRight = 16, kTop = 14, kBottom = 196;
constexpr double kPeriodLabelY = 213;
constexpr double kLegendTop = 236, kLegendRow = 18;
constexpr double kMinHeight = 260;
constexpr double kPeriodLabelWidth = 60;  // "2026-W01" at 11px, with a gap
constexpr size_t kLegendNameChars = 28;
// No metric comes near: a bigger value is a hostile or broken cell, and drawing it would
// flatten every other line (or overflow the scale).
constexpr double kMaxPlottable = 1e15;
constexpr const char* kColours[] = {"#1f5f8b", "#c2571a", "#2e8540", "#8e44ad",
                                    "#b8860b", "#c0392b", "#16a085", "#5d6d7e"};
constexpr size_t kColourCount = sizeof(kColours) / sizeof(kColours[0]);
constexpr char kGapGrey[] = "#8a9199";

struct Series {
  std::string name;   // for people
  std::string scope;  // "network" or "region:NAME"
  std::map<std::string, const v1::Rollup*> by_period;
};

struct Axis {
  double lo = 0, step = 1;
  int intervals = 4;
  double hi() const { return lo + step * intervals; }
};

// Coordinates to one decimal: enough for a 640-wide drawing, and stable text for tests.
std::string Px(double v) {
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%.1f", v);
  return buffer;
}

bool Plottable(const v1::Rollup& r, double* value) {
  const Figure figure = RollupField(r, "value");
  if (figure.state != FieldState::kPublished || !std::isfinite(figure.value) ||
      std::fabs(figure.value) > kMaxPlottable) {
    return false;
  }
  *value = figure.value;
  return true;
}

std::vector<Series> CollectSeries(const v1::MetricReport& metric) {
  std::vector<Series> all;
  all.push_back({"Network", "network", {}});
  for (const v1::Rollup& r : metric.network()) all.back().by_period.emplace(r.period(), &r);
  for (const v1::RegionSeries& region : metric.regions()) {
    Series series{region.region().empty() ? "(no region)" : region.region(), "region:", {}};
    series.scope.append(region.region());
    for (const v1::Rollup& r : region.rollups()) series.by_period.emplace(r.period(), &r);
    all.push_back(std::move(series));
  }
  return all;
}

// The smallest "nice" step (1, 2, 2.5 or 5 times a power of ten) that spans [lo, hi] in at
// most 4 intervals from a multiple of itself: with lo = 0 that is always 4 or 5 ticks.
Axis NiceAxis(double lo, double hi) {
  if (!(hi > lo)) hi = lo + 1;
  const double raw = (hi - lo) / 4;
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 2.5, 5.0, 10.0, 20.0, 25.0, 50.0}) {
    const double step = m * magnitude;
    const double first = std::floor(lo / step), last = std::ceil(hi / step);
    if (last - first <= 4 && std::isfinite(first * step)) {
      return {first * step, step, static_cast<int>(std::max(1.0, last - first))};
    }
  }
  return {lo, raw, 4};
}

struct Frame {
  size_t periods = 0;
  Axis axis;
  double X(size_t i) const {
    if (periods < 2) return (kLeft + kWidth - kRight) / 2;
    return kLeft + (kWidth - kLeft - kRight) * static_cast<double>(i) / (periods - 1);
  }
  double Y(double v) const {
    return kBottom - (v - axis.lo) / (axis.hi() - axis.lo) * (kBottom - kTop);
  }
};

void AppendYAxis(std::string& out, const Frame& frame, const std::string& unit) {
  for (int i = 0; i <= frame.axis.intervals; ++i) {
    // From the step's integer multiple, so that the tick at zero prints "0", not "1e-16".
    const double tick = (std::round(frame.axis.lo / frame.axis.step) + i) * frame.axis.step;
    const std::string y = Px(frame.Y(tick));
    out.append("<line class=\"grid\" x1=\"").append(Px(kLeft)).append("\" x2=\"");
    out.append(Px(kWidth - kRight)).append("\" y1=\"").append(y).append("\" y2=\"").append(y);
    out.append(i == 0 ? "\" stroke=\"#5b6570\"/>" : "\" stroke=\"#e3e7eb\"/>");
    out.append("<text class=\"tick\" x=\"").append(Px(kLeft - 6)).append("\" y=\"").append(y);
    out.append("\" dy=\"4\" text-anchor=\"end\">").append(Number(tick)).append("</text>");
  }
  if (unit.empty()) return;
  out.append("<text class=\"axis-title\" transform=\"rotate(-90)\" x=\"");
  out.append(Px(-(kTop + kBottom) / 2)).append("\" y=\"14\" text-anchor=\"middle\">");
  out.append(Escape(Truncate(unit, 32))).append("</text>");
}

void AppendXAxis(std::string& out, const Frame& frame, const std::vector<std::string>& periods) {
  const size_t fit = static_cast<size_t>((kWidth - kLeft - kRight) / kPeriodLabelWidth) + 1;
  const size_t every = std::max<size_t>(1, (periods.size() + fit - 1) / fit);
  for (size_t i = 0; i < periods.size(); i += every) {
    out.append("<text class=\"period\" x=\"").append(Px(frame.X(i))).append("\" y=\"");
    out.append(Px(kPeriodLabelY)).append("\" text-anchor=\"middle\">");
    out.append(Escape(Truncate(periods[i], 10))).append("</text>");
  }
}

std::string GapTitle(const v1::Rollup& r) {
  if (!r.withheld()) return "suppressed";
  if (r.withheld_reason().empty()) return "withheld";
  return std::string("withheld: ").append(r.withheld_reason());
}

// One series: its line (broken at every period without a plotted value), its points, and a
// marker on the x axis for each withheld or suppressed cell. True when it drew a marker.
bool AppendSeries(std::string& out, const Series& series, size_t index, const Frame& frame,
                  const std::vector<std::string>& periods, const std::string& unit) {
  const std::string colour = kColours[index % kColourCount];
  std::string path, points, gaps;
  bool pen_down = false;
  for (size_t i = 0; i < periods.size(); ++i) {
    auto it = series.by_period.find(periods[i]);
    double value = 0;
    if (it == series.by_period.end() || !Plottable(*it->second, &value)) {
      pen_down = false;
      if (it == series.by_period.end()) continue;  // not published at all: nothing to say
      gaps.append("<circle class=\"gap\" cx=\"").append(Px(frame.X(i))).append("\" cy=\"");
      gaps.append(Px(kBottom)).append("\" r=\"4\" fill=\"#fff\" stroke=\"").append(kGapGrey);
      gaps.append("\" stroke-width=\"1.5\" data-period=\"").append(Escape(periods[i]));
      gaps.append("\" data-scope=\"").append(Escape(series.scope)).append("\"><title>");
      gaps.append(Escape(GapTitle(*it->second))).append("</title></circle>");
      continue;
    }
    const std::string x = Px(frame.X(i)), y = Px(frame.Y(value));
    path.append(pen_down ? "L" : "M").append(x).append(" ").append(y).append(" ");
    pen_down = true;
    points.append("<circle class=\"pt\" cx=\"").append(x).append("\" cy=\"").append(y);
    points.append("\" r=\"3\" fill=\"").append(colour).append("\" data-period=\"");
    points.append(Escape(periods[i])).append("\" data-scope=\"").append(Escape(series.scope));
    points.append("\" data-value=\"").append(ExactNumber(value)).append("\"><title>");
    points.append(Escape(series.name)).append(", ").append(Escape(periods[i])).append(": ");
    points.append(Number(value));
    if (!unit.empty()) points.append(" ").append(Escape(unit));
    points.append("</title></circle>");
  }
  if (!path.empty()) {
    out.append("<path class=\"line\" d=\"").append(path).append("\" fill=\"none\" stroke=\"");
    out.append(colour).append("\" stroke-width=\"2\"");
    if (index >= kColourCount) out.append(" stroke-dasharray=\"6 3\"");
    out.append(" data-scope=\"").append(Escape(series.scope)).append("\"/>");
  }
  out.append(points).append(gaps);
  return !gaps.empty();
}

// The legend in rows below the axis; returns the drawing's height that fits it.
double AppendLegend(std::string& out, const std::vector<Series>& series, bool any_gap) {
  double x = kLeft, y = kLegendTop;
  auto place = [&](size_t chars) {
    const double width = 26 + 7.0 * static_cast<double>(chars);
    if (x > kLeft && x + width > kWidth - kRight) {
      x = kLeft;
      y += kLegendRow;
    }
    const double at = x;
    x += width;
    return at;
  };
  out.append("<g class=\"legend\">");
  for (size_t i = 0; i < series.size(); ++i) {
    const std::string name = Truncate(series[i].name, kLegendNameChars);
    const double at = place(std::min(series[i].name.size(), kLegendNameChars + 1));
    out.append("<line x1=\"").append(Px(at)).append("\" x2=\"").append(Px(at + 16));
    out.append("\" y1=\"").append(Px(y - 4)).append("\" y2=\"").append(Px(y - 4));
    out.append("\" stroke=\"").append(kColours[i % kColourCount]).append("\" stroke-width=\"3\"");
    if (i >= kColourCount) out.append(" stroke-dasharray=\"6 3\"");
    out.append("/><text x=\"").append(Px(at + 20)).append("\" y=\"").append(Px(y)).append("\">");
    out.append(Escape(name)).append("</text>");
  }
  if (any_gap) {
    const double at = place(22);
    out.append("<circle cx=\"").append(Px(at + 8)).append("\" cy=\"").append(Px(y - 4));
    out.append("\" r=\"4\" fill=\"#fff\" stroke=\"").append(kGapGrey);
    out.append("\" stroke-width=\"1.5\"/><text x=\"").append(Px(at + 20)).append("\" y=\"");
    out.append(Px(y)).append("\">withheld or suppressed</text>");
  }
  out.append("</g>");
  return std::max(kMinHeight, y + 12);
}

}  // namespace

std::string MetricChart(const v1::MetricReport& metric) {
  const v1::MetricDefinition& definition = metric.definition();
  const std::string name = definition.name().empty() ? definition.code() : definition.name();
  const std::vector<Series> series = CollectSeries(metric);
  std::set<std::string> period_set;
  double lo = 0, hi = 0;  // the axis includes zero
  for (const Series& s : series) {
    for (const auto& [period, rollup] : s.by_period) {
      period_set.insert(period);
      double value = 0;
      if (Plottable(*rollup, &value)) {
        lo = std::min(lo, value);
        hi = std::max(hi, value);
      }
    }
  }
  const std::vector<std::string> periods(period_set.begin(), period_set.end());
  const Frame frame{periods.size(), NiceAxis(lo, hi)};

  std::string body;
  AppendYAxis(body, frame, definition.unit());
  AppendXAxis(body, frame, periods);
  bool any_gap = false;
  for (size_t i = 0; i < series.size(); ++i) {
    any_gap = AppendSeries(body, series[i], i, frame, periods, definition.unit()) || any_gap;
  }
  if (periods.empty()) {
    body.append("<text x=\"").append(Px((kLeft + kWidth - kRight) / 2)).append("\" y=\"");
    body.append(Px((kTop + kBottom) / 2)).append("\" text-anchor=\"middle\" fill=\"#5b6570\">");
    body.append("No published figures yet</text>");
  }
  const double height = AppendLegend(body, series, any_gap);

  std::string label = name;
  if (!definition.unit().empty()) label.append(" (").append(definition.unit()).append(")");
  label.append(" by period: the network");
  if (metric.regions_size() > 0) {
    label.append(" and ").append(std::to_string(metric.regions_size()));
    label.append(metric.regions_size() == 1 ? " region" : " regions");
  }
  std::string out;
  out.reserve(body.size() + 400);
  out.append(
      "<svg class=\"chart\" role=\"img\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 ");
  out.append(Number(kWidth)).append(" ").append(Number(height));
  out.append("\" width=\"100%\" aria-label=\"");
  out.append(Escape(label)).append("\" data-metric=\"").append(Escape(definition.code()));
  out.append("\" font-family=\"system-ui,sans-serif\" font-size=\"11\" fill=\"#1d232a\">");
  out.append(body).append("</svg>");
  return out;
}

}  // namespace ldgs::daemon::web
