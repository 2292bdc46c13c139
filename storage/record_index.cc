#include "storage/record_index.h"

#include <algorithm>

#include "storage/keys.h"

namespace ldgs::storage {
namespace {
std::string Join(char type, std::initializer_list<std::string_view> parts) {
  std::string key(1, type);
  for (std::string_view part : parts) {
    key.append(part);
    key.push_back('\0');
  }
  return key;
}
}  // namespace

std::string KindIndexPrefix(v1::Kind kind) { return Join('k', {v1::Kind_Name(kind)}); }
std::string TagIndexPrefix(std::string_view tag) { return Join('t', {tag}); }
std::string MetricIndexPrefix(std::string_view metric_code, std::string_view period) {
  return period.empty() ? Join('m', {metric_code}) : Join('m', {metric_code, period});
}

bool MetricPeriodOf(const v1::Record& record, std::string* metric, std::string* period) {
  if (record.has_metric_observation()) {
    *metric = record.metric_observation().metric();
    *period = record.metric_observation().period();
    return true;
  }
  if (record.has_rollup()) {
    *metric = record.rollup().metric();
    *period = record.rollup().period();
    return true;
  }
  return false;
}
std::string AdaptedFromIndexPrefix(std::string_view origin, std::string_view id) {
  return Join('a', {origin, id});
}

std::vector<std::string> TagsOf(const v1::Record& record) {
  std::vector<std::string> tags;
  if (record.has_practice()) {
    const v1::Practice& p = record.practice();
    for (const auto* field : {&p.issue_areas(), &p.communities(), &p.strategies(), &p.tags()}) {
      tags.insert(tags.end(), field->begin(), field->end());
    }
  } else if (record.has_story()) {
    tags.assign(record.story().tags().begin(), record.story().tags().end());
  }
  std::sort(tags.begin(), tags.end());
  tags.erase(std::unique(tags.begin(), tags.end()), tags.end());
  return tags;
}

std::vector<std::string> IndexKeysOf(const v1::Record& record) {
  const std::string record_key = RecordKey(record.origin(), record.id());
  std::vector<std::string> keys = {KindIndexPrefix(record.kind()) + record_key};
  for (const std::string& tag : TagsOf(record)) keys.push_back(TagIndexPrefix(tag) + record_key);
  std::string metric, period;
  if (MetricPeriodOf(record, &metric, &period)) {
    keys.push_back(MetricIndexPrefix(metric, period) + record_key);
  }
  if (record.has_practice() && !record.practice().adapted_from().id().empty()) {
    const v1::RecordRef& from = record.practice().adapted_from();
    keys.push_back(AdaptedFromIndexPrefix(from.origin(), from.id()) + record_key);
  }
  return keys;
}

std::string_view RecordKeyFromIndexKey(std::string_view index_key, std::string_view prefix) {
  // The record key is the last two '\0'-separated parts (origin, id), whatever the prefix
  // covered: a metric-only scan also passes over the period part.
  const size_t between = index_key.rfind('\0');
  const size_t before = between == 0 ? std::string_view::npos : index_key.rfind('\0', between - 1);
  if (between == std::string_view::npos || before == std::string_view::npos ||
      before + 1 < prefix.size()) {
    return index_key.substr(prefix.size());
  }
  return index_key.substr(before + 1);
}

}  // namespace ldgs::storage
