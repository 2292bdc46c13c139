#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "ldgs/v1/record.pb.h"

// How figures and names read on the hub's pages and in its open data: numbers, signed
// changes, UTC times, outcome names, and whether a Rollup field may be shown at all. Pure.
namespace ldgs::daemon::web {

// For people: 6 significant digits, integers below 1e15 in full, "0" for -0. Not finite: "-".
std::string Number(double value);
// For machines: the shortest text that reads back as `value`. Not finite: "".
std::string ExactNumber(double value);
// Number with a "+" on positive values: "+3", "-2.5", "0".
std::string SignedNumber(double value);
// A relative change as a signed percentage with one decimal: 0.125 -> "+12.5%", 0 -> "0.0%".
std::string SignedPercent(double fraction);

// `micros` since the epoch, UTC: "2026-01-05 14:03 UTC". Out of range: "-".
std::string UtcTime(int64_t micros);
// ISO 8601, UTC, to the second: "2026-01-05T14:03:09Z". Out of range: "".
std::string IsoUtc(int64_t micros);

// The first 8 characters of a node id, as the pages show one.
std::string ShortId(std::string_view node_id);
// At most `max_chars` code points of UTF-8 `text`, with "…" when cut; never splits one.
std::string Truncate(std::string_view text, size_t max_chars);

// The outcome as a URL parameter and facet value ("worked", "mixed", "did-not-work-here",
// "too-early"; the names ldgsctl takes), and as people read it ("did not work here").
// Unspecified: "".
std::string OutcomeName(v1::Outcome outcome);
std::string OutcomeLabel(v1::Outcome outcome);

// One field of a published Rollup as a page may show it (docs/decisions.md, "Disclosure
// control"). A withheld cell shows no figure whatever it carries; a field named in
// `suppressed` is suppressed; an unset `value` is suppressed too (the rule publishes none).
enum class FieldState { kPublished, kWithheld, kSuppressed, kUnset };
struct Figure {
  FieldState state = FieldState::kUnset;
  double value = 0;  // only when published
};
// `field`: value, sum, mean, median, q1, q3, change, at_target, reporting, completeness.
// Anything else is unset.
Figure RollupField(const v1::Rollup& rollup, std::string_view field);

}  // namespace ldgs::daemon::web
