#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ldgs::daemon::http {

// Writes metrics in the Prometheus text exposition format (version 0.0.4): each family's
// HELP and TYPE lines once, then its samples. Label values are escaped; names and label
// names are the caller's constants.
class PrometheusText {
 public:
  using Labels = std::vector<std::pair<std::string_view, std::string>>;

  // Starts a family: `type` is "gauge" or "counter" (a counter's name ends in _total).
  void Family(std::string_view name, std::string_view type, std::string_view help);
  // A sample of the family last started.
  void Sample(const Labels& labels, double value);
  void Sample(double value) { Sample({}, value); }

  const std::string& text() const { return out_; }

  static constexpr char kContentType[] = "text/plain; version=0.0.4; charset=utf-8";

 private:
  std::string name_;
  std::string out_;
};

}  // namespace ldgs::daemon::http
