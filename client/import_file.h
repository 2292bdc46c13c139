#pragma once

#include <istream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "ldgs/v1/admin.pb.h"

namespace ldgs::client {

// One record of an import file and the line it starts on (for error messages).
struct ImportRow {
  int line = 0;
  v1::PutRecordRequest request;
};

enum class ImportFormat { kJsonLines, kCsv };

// From the file name: ".csv" is CSV, anything else JSON lines.
ImportFormat FormatOfFile(const std::string& name);

// Reads a whole import file before anything is written, so that a bad line anywhere
// refuses the whole file. JSON lines: one {kind, visibility, id, body} per line (blank lines
// skipped). CSV (RFC 4180): a header row naming the fields, then one record per row; the
// fields are `ldgsctl put`'s, snake_case (kind, id, visibility, title, summary, body, tags,
// issue_areas, communities, strategies, adapted_from, outcome, outcome_note, code, name,
// unit, aggregation, direction, description, target, min_value, max_value, metric, period,
// value, note), lists separated by ';'. Also refuses an id given twice with different
// kinds. INVALID_ARGUMENT "NAME:LINE: why" for the first problem.
absl::StatusOr<std::vector<ImportRow>> ReadImportFile(std::istream& in, const std::string& name,
                                                      ImportFormat format);

}  // namespace ldgs::client
