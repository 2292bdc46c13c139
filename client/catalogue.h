#pragma once

#include <map>
#include <string>
#include <vector>

#include "ldgs/v1/record.pb.h"

// The practice and story catalogue as a node sees it: search and ranking over the records it
// holds. Pure functions, no I/O.
namespace ldgs::client {

struct SearchHit {
  v1::Record record;
  double score = 0;
};

// Practices and stories matching every word of `query` (case-insensitive, in the title,
// summary or body, or tags), best first: a title match weighs 3, a tag 2, other text 1.
std::vector<SearchHit> Search(const std::vector<v1::Record>& records, const std::string& query);

struct PracticeRank {
  v1::Record practice;
  int adoptions = 0;            // distinct other nodes that adapted it
  int worked = 0;               // adaptations whose outcome is "worked"
  int did_not_work = 0;         // ... "did not work here"
  int adopters_with_data = 0;   // adopters with observations before and after adopting
  double mean_improvement = 0;  // mean relative change of the metric, positive = better
};

// Ranks the original practices (not adaptations) by adoption count, then by the mean
// improvement of `metric` among adopters: for each adopting node, its value in the last
// period before it adapted the practice against its latest value, signed so that a better
// value (per the definition's direction) is positive. `observations` are every observation
// held; `definition` may lack a direction (then up is good).
std::vector<PracticeRank> RankPractices(const std::vector<v1::Record>& practices,
                                        const std::vector<v1::Record>& observations,
                                        const v1::MetricDefinition& definition);

// "YYYY-MM" of a timestamp in microseconds, UTC.
std::string MonthOf(int64_t micros);

}  // namespace ldgs::client
