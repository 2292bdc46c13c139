#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "ldgs/v1/record.pb.h"
#include "record/limits.h"

namespace ldgs::record {

// Checks a record's identity fields and body against `limits`: origin is a node ID, id is
// 1..max_id_bytes of [A-Za-z0-9._:-], version is set, kind matches the body, a tombstone
// has no body and a live record has one, text within bounds, periods and codes well formed,
// numbers finite, a derived id where the kind has one (RequiredRecordId), and no field this
// build does not know. Returns INVALID_ARGUMENT naming the first offending field.
absl::Status ValidateRecord(const v1::Record& record, const RecordLimits& limits);

// Checks only the body (what an admin supplies before the node fills in the rest).
absl::Status ValidateBody(const v1::Record& record, const RecordLimits& limits);

// The id a record of this body must have, for kinds whose body names the record: a metric
// definition "metric:CODE", an observation "obs:METRIC:PERIOD" (one per origin, metric and
// period), the profile "profile", a rollup "rollup:METRIC:PERIOD:SCOPE", a contribution
// "contrib:METRIC:PERIOD", a what's-working cell "works:METRIC:PERIOD:KEY" (and its
// contribution "works-contrib:..."; KEY is PracticeKey), a revocation "revocation:NODE_ID".
// nullopt for practices and stories, whose ids are free.
std::optional<std::string> RequiredRecordId(const v1::Record& record);

// 16 hex digits naming a practice in ids (a hash: the reference itself would not fit).
std::string PracticeKey(const v1::RecordRef& practice);

// True for ids made of 1..max_bytes characters of [A-Za-z0-9._:-].
bool IsValidRecordId(std::string_view id, size_t max_bytes);

// "YYYY-MM" (month) or "YYYY-Www" (ISO week).
bool IsValidPeriod(std::string_view period);

}  // namespace ldgs::record
