#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "ldgs/v1/record.pb.h"

// Secondary index keys (index CF). Each key ends with the record key, and the value is
// empty, so a prefix scan yields the matching records in key order.
namespace ldgs::storage {

std::string KindIndexPrefix(v1::Kind kind);
std::string TagIndexPrefix(std::string_view tag);
// Observations and rollups of a metric; with a period, of that period only.
std::string MetricIndexPrefix(std::string_view metric_code, std::string_view period = "");
std::string AdaptedFromIndexPrefix(std::string_view origin, std::string_view id);

// Every index key of `record` (kind, tags of practices and stories, metric code and period
// of observations and rollups, adapted_from of practices).
std::vector<std::string> IndexKeysOf(const v1::Record& record);

// The record key (origin '\0' id) at the end of an index key that starts with `prefix`.
std::string_view RecordKeyFromIndexKey(std::string_view index_key, std::string_view prefix);

// Every tag of a practice (issue areas, communities, strategies, free tags) or a story.
std::vector<std::string> TagsOf(const v1::Record& record);

// The metric code and period of an observation or rollup; false for other records.
bool MetricPeriodOf(const v1::Record& record, std::string* metric, std::string* period);

}  // namespace ldgs::storage
