#include "client/catalogue.h"

#include <algorithm>
#include <cctype>
#include <ctime>
#include <set>
#include <sstream>

#include "common/clock.h"

namespace ldgs::client {
namespace {

std::string Lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

std::vector<std::string> Words(const std::string& text) {
  std::vector<std::string> words;
  std::string word;
  for (char c : Lower(text) + " ") {
    if (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_') {
      word.push_back(c);
    } else if (!word.empty()) {
      words.push_back(word);
      word.clear();
    }
  }
  return words;
}

struct Searchable {
  std::string title, text, tags;
};

Searchable TextOf(const v1::Record& r) {
  Searchable s;
  auto join = [](const auto& list) {
    std::string out;
    for (const std::string& item : list) out += " " + item;
    return out;
  };
  if (r.has_practice()) {
    const v1::Practice& p = r.practice();
    s.title = Lower(p.title());
    s.text = Lower(p.summary() + " " + p.outcome_note());
    s.tags = Lower(join(p.issue_areas()) + join(p.communities()) + join(p.strategies()) +
                   join(p.tags()));
  } else if (r.has_story()) {
    s.title = Lower(r.story().title());
    s.text = Lower(r.story().body());
    s.tags = Lower(join(r.story().tags()));
  }
  return s;
}

}  // namespace

std::string MonthOf(int64_t micros) { return FormatUtc(micros, "%Y-%m"); }

std::vector<SearchHit> Search(const std::vector<v1::Record>& records, const std::string& query) {
  const std::vector<std::string> terms = Words(query);
  std::vector<SearchHit> hits;
  if (terms.empty()) return hits;
  for (const v1::Record& r : records) {
    if (r.deleted() || (!r.has_practice() && !r.has_story())) continue;
    const Searchable s = TextOf(r);
    double score = 0;
    bool all = true;
    for (const std::string& term : terms) {
      const double term_score = (s.title.find(term) != std::string::npos ? 3 : 0) +
                                (s.tags.find(term) != std::string::npos ? 2 : 0) +
                                (s.text.find(term) != std::string::npos ? 1 : 0);
      all = all && term_score > 0;
      score += term_score;
    }
    if (all) hits.push_back({r, score});
  }
  std::stable_sort(hits.begin(), hits.end(),
                   [](const SearchHit& a, const SearchHit& b) { return a.score > b.score; });
  return hits;
}

std::vector<PracticeRank> RankPractices(const std::vector<v1::Record>& practices,
                                        const std::vector<v1::Record>& observations,
                                        const v1::MetricDefinition& definition) {
  // node -> period -> value for the metric
  std::map<std::string, std::map<std::string, double>> series;
  for (const v1::Record& o : observations) {
    if (o.has_metric_observation() && o.metric_observation().metric() == definition.code()) {
      series[o.origin()][o.metric_observation().period()] = o.metric_observation().value();
    }
  }
  const double sign = definition.direction() == v1::DIRECTION_DOWN_IS_GOOD ? -1 : 1;

  std::map<std::pair<std::string, std::string>, PracticeRank> ranks;
  for (const v1::Record& p : practices) {
    if (!p.deleted() && p.has_practice() && p.practice().adapted_from().id().empty()) {
      ranks[{p.origin(), p.id()}].practice = p;
    }
  }
  std::map<std::pair<std::string, std::string>, std::set<std::string>> adopters;
  std::map<std::pair<std::string, std::string>, std::vector<double>> improvements;
  for (const v1::Record& a : practices) {
    if (a.deleted() || !a.has_practice() || a.practice().adapted_from().id().empty()) continue;
    const auto key =
        std::make_pair(a.practice().adapted_from().origin(), a.practice().adapted_from().id());
    auto it = ranks.find(key);
    if (it == ranks.end() || a.origin() == key.first) continue;
    if (!adopters[key].insert(a.origin()).second) continue;  // one adoption per node
    PracticeRank& rank = it->second;
    ++rank.adoptions;
    if (a.practice().outcome() == v1::OUTCOME_WORKED) ++rank.worked;
    if (a.practice().outcome() == v1::OUTCOME_DID_NOT_WORK_HERE) ++rank.did_not_work;
    const auto& values = series[a.origin()];
    const std::string adopted = MonthOf(a.created_us());
    auto before = values.lower_bound(adopted);  // first period at or after adoption
    if (before == values.begin() || values.empty()) continue;
    --before;
    const double after = values.rbegin()->second;
    if (values.rbegin()->first <= before->first || before->second == 0) continue;
    improvements[key].push_back(sign * (after - before->second) / before->second);
  }
  std::vector<PracticeRank> out;
  for (auto& [key, rank] : ranks) {
    const auto& list = improvements[key];
    rank.adopters_with_data = static_cast<int>(list.size());
    if (!list.empty()) {
      double total = 0;
      for (double x : list) total += x;
      rank.mean_improvement = total / static_cast<double>(list.size());
    }
    out.push_back(rank);
  }
  std::stable_sort(out.begin(), out.end(), [](const PracticeRank& a, const PracticeRank& b) {
    if (a.adoptions != b.adoptions) return a.adoptions > b.adoptions;
    return a.mean_improvement > b.mean_improvement;
  });
  return out;
}

}  // namespace ldgs::client
