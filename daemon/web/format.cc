#include "daemon/web/format.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <ctime>

#include "record/kind.h"

namespace ldgs::daemon::web {
namespace {

// gmtime_r over whole seconds, flooring so that times before 1970 stay in their second.
bool BreakDown(int64_t micros, std::tm* out) {
  int64_t seconds = micros / 1000000;
  if (micros % 1000000 < 0) --seconds;
  const std::time_t t = static_cast<std::time_t>(seconds);
  return gmtime_r(&t, out) != nullptr;
}

// The bytes of the first `max_chars` code points: a code point starts at every byte that is
// not a continuation byte (10xxxxxx).
size_t PrefixBytes(std::string_view text, size_t max_chars) {
  size_t chars = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xc0) == 0x80) continue;
    if (chars == max_chars) return i;
    ++chars;
  }
  return text.size();
}

Figure Published(double value) { return {FieldState::kPublished, value}; }

}  // namespace

std::string Number(double value) {
  if (!std::isfinite(value)) return "-";
  if (value == 0) return "0";  // also -0
  char buffer[48];
  if (std::fabs(value) < 1e15 && value == std::trunc(value)) {
    std::snprintf(buffer, sizeof(buffer), "%.0f", value);
  } else {
    std::snprintf(buffer, sizeof(buffer), "%.6g", value);
  }
  return buffer;
}

std::string ExactNumber(double value) {
  if (!std::isfinite(value)) return "";
  if (value == 0) return "0";
  char buffer[64];
  const auto result = std::to_chars(buffer, buffer + sizeof(buffer), value);
  return std::string(buffer, result.ptr);
}

std::string SignedNumber(double value) {
  // Built by append: insert(0, ...) trips GCC 12's -Wrestrict false positive (bug 105329).
  std::string text = value > 0 && std::isfinite(value) ? "+" : "";
  text.append(Number(value));
  return text;
}

std::string SignedPercent(double fraction) {
  if (!std::isfinite(fraction)) return "-";
  const double tenths = std::round(fraction * 1000);
  if (tenths == 0) return "0.0%";
  char buffer[48];
  std::snprintf(buffer, sizeof(buffer), "%+.1f%%", tenths / 10);
  return buffer;
}

std::string UtcTime(int64_t micros) {
  std::tm tm{};
  char buffer[64];
  if (!BreakDown(micros, &tm) ||
      std::strftime(buffer, sizeof(buffer), "%Y-%m-%d %H:%M UTC", &tm) == 0) {
    return "-";
  }
  return buffer;
}

std::string IsoUtc(int64_t micros) {
  std::tm tm{};
  char buffer[64];
  if (!BreakDown(micros, &tm) ||
      std::strftime(buffer, sizeof(buffer), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) {
    return "";
  }
  return buffer;
}

std::string ShortId(std::string_view node_id) {
  return std::string(node_id.substr(0, PrefixBytes(node_id, 8)));
}

std::string Truncate(std::string_view text, size_t max_chars) {
  const size_t bytes = PrefixBytes(text, max_chars);
  if (bytes == text.size()) return std::string(text);
  return std::string(text.substr(0, bytes)).append("…");
}

std::string OutcomeName(v1::Outcome outcome) { return std::string(record::OutcomeName(outcome)); }

std::string OutcomeLabel(v1::Outcome outcome) {
  std::string name = OutcomeName(outcome);
  std::replace(name.begin(), name.end(), '-', ' ');
  return name;
}

Figure RollupField(const v1::Rollup& r, std::string_view field) {
  if (r.withheld()) return {FieldState::kWithheld, 0};
  if (std::find(r.suppressed().begin(), r.suppressed().end(), field) != r.suppressed().end()) {
    return {FieldState::kSuppressed, 0};
  }
  if (field == "value")
    return r.has_value() ? Published(r.value()) : Figure{FieldState::kSuppressed};
  if (field == "sum" && r.has_sum()) return Published(r.sum());
  if (field == "mean" && r.has_mean()) return Published(r.mean());
  if (field == "median" && r.has_median()) return Published(r.median());
  if (field == "q1" && r.has_q1()) return Published(r.q1());
  if (field == "q3" && r.has_q3()) return Published(r.q3());
  if (field == "change" && r.has_change()) return Published(r.change());
  if (field == "at_target" && r.has_at_target()) return Published(r.at_target());
  if (field == "reporting") return Published(r.reporting());
  if (field == "completeness") return Published(r.completeness());
  return {};
}

}  // namespace ldgs::daemon::web
