// Shared learnings on a hub holding ~1,000,000 records: catalogue search, ranking, compare,
// the report and the pages that render them, each timed as the median of several runs.
// The store is loaded once through the storage library (signed records, as replication
// applies them) and kept in DIR for later runs.
//
//   build/bench/learnings_bench [DIR] [--fresh] [--works]
//   (default DIR /tmp/ldgs-learnings-bench; --works also times one what's-working run)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "common/clock.h"
#include "daemon/hub/disclosure.h"
#include "daemon/hub/learnings.h"
#include "daemon/hub/works_aggregator.h"
#include "daemon/web/html.h"
#include "daemon/web/pages.h"
#include "record/kind.h"
#include "record/node_key.h"
#include "record/record_validation.h"
#include "record/signed_record.h"
#include "storage/local_writer.h"
#include "storage/storage.h"

namespace ldgs {
namespace {

constexpr int kChapters = 2000;
constexpr int kRegions = 20;
constexpr int kMetrics = 20;
constexpr int kMonths = 24;  // 2025-01 .. 2026-12
constexpr int kPractices = 10000;
constexpr int kAdaptations = 10000;
constexpr int kStories = 10000;
constexpr int kRuns = 7;

const char* kWords[] = {"housing", "veterans",  "landlord", "outreach", "data",   "shelter",
                        "youth",   "families",  "street",   "case",     "county", "partner",
                        "rapid",   "rehousing", "list",     "reentry",  "health", "diversion"};
const char* kAreas[] = {"homelessness", "housing", "data-quality", "health", "veterans-housing"};
const char* kCommunities[] = {"veterans", "youth", "families", "chronically-homeless",
                              "older-adults"};
const char* kStrategies[] = {"co-design", "open-data", "networks-and-partnerships",
                             "sustained-commitment", "public-private-partnership"};

std::string Period(int month) {
  char text[16];
  std::snprintf(text, sizeof(text), "%04d-%02d", 2025 + month / 12, month % 12 + 1);
  return text;
}

std::string Metric(int m) { return m == 0 ? "actively_homeless" : "metric_" + std::to_string(m); }

std::string Words(std::mt19937& rng, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) {
    if (i) out += ' ';
    out += kWords[rng() % std::size(kWords)];
  }
  return out;
}

// Writes records in batches of 1000, each signed by its origin.
class Loader {
 public:
  explicit Loader(storage::RecordStore* store) : store_(store) {}
  void Add(v1::Record r, const record::NodeKey& key) {
    r.set_origin(key.node_id());
    r.set_version(++version_);
    r.set_kind(record::KindOfBody(r));
    if (r.created_us() == 0) r.set_created_us(version_);
    r.set_updated_us(r.created_us());
    batch_.push_back({r, record::SealRecord(r, key), ""});
    if (batch_.size() == 1000) Flush();
  }
  void Flush() {
    if (batch_.empty()) return;
    auto applied = store_->Apply(batch_);
    if (!applied.ok()) {
      std::fprintf(stderr, "apply: %s\n", applied.status().ToString().c_str());
      std::exit(1);
    }
    total_ += batch_.size();
    batch_.clear();
  }
  size_t total() const { return total_; }

 private:
  storage::RecordStore* store_;
  std::vector<storage::IncomingRecord> batch_;
  uint64_t version_ = 1000;
  size_t total_ = 0;
};

void Load(storage::Storage& storage, const record::NodeKey& hub,
          const std::vector<record::NodeKey>& chapters) {
  std::mt19937 rng(7);
  Loader load(&storage.records());
  for (int i = 0; i < kChapters; ++i) {
    v1::Enrollment e;
    e.set_node_id(chapters[i].node_id());
    e.set_relation(v1::RELATION_MEMBER);
    e.set_region("r" + std::to_string(i % kRegions));
    if (!storage.state().Commit(storage::StateChange().PutEnrollment(e)).ok()) std::exit(1);
    v1::Record profile;
    profile.set_id("profile");
    profile.set_visibility(v1::VISIBILITY_NETWORK);
    profile.mutable_node_profile()->set_name("Chapter " + std::to_string(i));
    profile.mutable_node_profile()->set_region(e.region());
    profile.mutable_node_profile()->set_role(v1::ROLE_CHAPTER);
    load.Add(profile, chapters[i]);
  }
  for (int m = 0; m < kMetrics; ++m) {
    v1::Record d;
    d.set_id("metric:" + Metric(m));
    d.set_visibility(m < 2 ? v1::VISIBILITY_PUBLIC : v1::VISIBILITY_NETWORK);
    d.mutable_metric_definition()->set_code(Metric(m));
    d.mutable_metric_definition()->set_name("Metric " + std::to_string(m));
    d.mutable_metric_definition()->set_aggregation(v1::AGGREGATION_SUM);
    d.mutable_metric_definition()->set_direction(v1::DIRECTION_DOWN_IS_GOOD);
    load.Add(d, hub);
  }
  for (int i = 0; i < kChapters; ++i) {
    for (int m = 0; m < kMetrics; ++m) {
      for (int month = 0; month < kMonths; ++month) {
        v1::Record o;
        o.set_id("obs:" + Metric(m) + ":" + Period(month));
        o.set_visibility(v1::VISIBILITY_HUB);
        o.mutable_metric_observation()->set_metric(Metric(m));
        o.mutable_metric_observation()->set_period(Period(month));
        o.mutable_metric_observation()->set_value(50 + rng() % 500);
        load.Add(o, chapters[i]);
      }
    }
    if (i % 200 == 199) std::fprintf(stderr, "  loaded %zu records\n", load.total());
  }
  std::vector<std::pair<int, std::string>> originals;
  for (int p = 0; p < kPractices; ++p) {
    const int by = rng() % kChapters;
    v1::Record r;
    r.set_id("practice-" + std::to_string(p));
    r.set_visibility(p % 3 == 0 ? v1::VISIBILITY_PUBLIC : v1::VISIBILITY_NETWORK);
    v1::Practice* practice = r.mutable_practice();
    practice->set_title(Words(rng, 4));
    practice->set_summary(Words(rng, 30));
    practice->add_issue_areas(kAreas[rng() % std::size(kAreas)]);
    practice->add_communities(kCommunities[rng() % std::size(kCommunities)]);
    practice->add_strategies(kStrategies[rng() % std::size(kStrategies)]);
    load.Add(r, chapters[by]);
    originals.emplace_back(by, r.id());
  }
  for (int a = 0; a < kAdaptations; ++a) {
    // A few practices spread widely, most a little (a power law of adoption).
    const auto& [by, id] = originals[std::min<size_t>(
        originals.size() - 1, static_cast<size_t>(rng() % 100) * (rng() % 100) / 10)];
    int adopter = rng() % kChapters;
    if (adopter == by) adopter = (adopter + 1) % kChapters;
    v1::Record r;
    r.set_id("adapt-" + std::to_string(a));
    r.set_visibility(v1::VISIBILITY_NETWORK);
    v1::Practice* practice = r.mutable_practice();
    practice->set_title(Words(rng, 4));
    practice->set_summary(Words(rng, 20));
    practice->mutable_adapted_from()->set_origin(chapters[by].node_id());
    practice->mutable_adapted_from()->set_id(id);
    practice->set_adopted_period(Period(6 + rng() % 12));
    practice->set_outcome(static_cast<v1::Outcome>(1 + rng() % 4));
    load.Add(r, chapters[adopter]);
  }
  for (int s = 0; s < kStories; ++s) {
    v1::Record r;
    r.set_id("story-" + std::to_string(s));
    r.set_visibility(s % 2 ? v1::VISIBILITY_PUBLIC : v1::VISIBILITY_NETWORK);
    r.mutable_story()->set_title(Words(rng, 5));
    r.mutable_story()->set_body(Words(rng, 60));
    load.Add(r, chapters[rng() % kChapters]);
  }
  // The hub's published cells, as its aggregator would have written them.
  for (int m = 0; m < kMetrics; ++m) {
    for (int month = 0; month < kMonths; ++month) {
      for (int region = -1; region < kRegions; ++region) {
        v1::Record r;
        v1::Rollup* rollup = r.mutable_rollup();
        rollup->set_metric(Metric(m));
        rollup->set_period(Period(month));
        rollup->set_scope(region < 0 ? daemon::hub::kNetworkScope
                                     : daemon::hub::RegionScope("r" + std::to_string(region)));
        const uint32_t n = region < 0 ? kChapters : kChapters / kRegions;
        rollup->set_reporting(n);
        rollup->set_expected(n);
        rollup->set_completeness(1);
        rollup->set_aggregation(v1::AGGREGATION_SUM);
        rollup->set_value(300.0 * n);
        rollup->set_sum(300.0 * n);
        rollup->set_mean(300);
        rollup->set_revision(1);
        r.set_id(*record::RequiredRecordId(r));
        r.set_visibility(m < 2 ? v1::VISIBILITY_PUBLIC : v1::VISIBILITY_NETWORK);
        load.Add(r, hub);
      }
    }
  }
  for (int p = 0; p < 2000; ++p) {
    v1::Record r;
    v1::Rollup* cell = r.mutable_rollup();
    cell->set_metric(Metric(0));
    cell->set_period(Period(kMonths - 1));
    cell->set_scope("practice");
    cell->mutable_practice()->set_origin(chapters[originals[p].first].node_id());
    cell->mutable_practice()->set_id(originals[p].second);
    cell->set_reporting(10);
    cell->set_others(200);
    cell->set_expected(kChapters);
    cell->set_sum(1.5);
    cell->set_mean(0.15);
    cell->set_others_sum(10);
    cell->set_others_mean(0.05);
    cell->set_revision(1);
    r.set_id(*record::RequiredRecordId(r));
    r.set_visibility(v1::VISIBILITY_NETWORK);
    load.Add(r, hub);
  }
  load.Flush();
  std::fprintf(stderr, "  loaded %zu records\n", load.total());
}

struct Timing {
  double median = 0, min = 0, max = 0;
};

Timing Time(const std::function<void()>& run) {
  std::vector<double> ms;
  for (int i = 0; i < kRuns; ++i) {
    const auto start = std::chrono::steady_clock::now();
    run();
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
                     .count());
  }
  std::sort(ms.begin(), ms.end());
  return {ms[ms.size() / 2], ms.front(), ms.back()};
}

template <typename T>
T Must(absl::StatusOr<T> result, const char* what) {
  if (!result.ok()) {
    std::fprintf(stderr, "%s: %s\n", what, result.status().ToString().c_str());
    std::exit(1);
  }
  return std::move(*result);
}

}  // namespace
}  // namespace ldgs

int main(int argc, char** argv) {
  using namespace ldgs;
  std::string dir = "/tmp/ldgs-learnings-bench";
  bool fresh = false;
  bool with_works = false;  // also time one full what's-working run (long: see RESULTS.md)
  for (int i = 1; i < argc; ++i) {
    if (std::string(argv[i]) == "--fresh") {
      fresh = true;
    } else if (std::string(argv[i]) == "--works") {
      with_works = true;
    } else {
      dir = argv[i];
    }
  }
  const std::string keys = dir + "/keys";
  if (fresh) std::filesystem::remove_all(dir);
  const bool loaded = std::filesystem::exists(dir + "/loaded");
  if (!loaded) std::filesystem::remove_all(dir);
  std::filesystem::create_directories(keys);
  // Keys are kept with the store so that a later run signs nothing.
  auto key_at = [&](const std::string& name) {
    const std::string path = keys + "/" + name;
    if (std::filesystem::exists(path)) return Must(record::NodeKey::Load(path), "load key");
    record::NodeKey key = record::NodeKey::Generate();
    if (!key.Save(path).ok()) std::exit(1);
    return key;
  };
  record::NodeKey hub = key_at("hub");
  std::vector<record::NodeKey> chapters;
  for (int i = 0; i < kChapters; ++i) chapters.push_back(key_at("c" + std::to_string(i)));
  std::filesystem::create_directories(dir + "/store");
  auto storage = Must(storage::Storage::Open(dir + "/store"), "open store");
  double load_s = 0;
  if (!loaded) {
    std::fprintf(stderr, "loading ~1,000,000 records into %s (once)\n", dir.c_str());
    const auto start = std::chrono::steady_clock::now();
    Load(*storage, hub, chapters);
    load_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::ofstream(dir + "/loaded") << "ok\n";
  }

  daemon::hub::LearningSources sources;
  sources.store = &storage->records();
  sources.state = &storage->state();
  sources.self_id = hub.node_id();
  sources.hub_chain = [] { return std::vector<std::string>(); };
  sources.enrolled_region = [] { return std::string(); };
  auto start = std::chrono::steady_clock::now();
  auto learnings = Must(daemon::hub::Learnings::Open(sources, dir + "/catalogue"), "open");
  if (!learnings->CatchUp().ok()) return 1;
  const double index_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  // A chapter's compare, against the same store (its observations are in it).
  daemon::hub::LearningSources as_chapter = sources;
  as_chapter.self_id = chapters[1].node_id();
  const std::string hub_id = hub.node_id();
  as_chapter.hub_chain = [hub_id] { return std::vector<std::string>{hub_id}; };
  auto chapter_view =
      Must(daemon::hub::Learnings::Open(as_chapter, dir + "/catalogue-chapter"), "open as chapter");

  v1::SearchCatalogueRequest words;
  words.set_query("housing veterans");
  v1::SearchCatalogueRequest facet;
  facet.add_issue_areas("housing");
  v1::RankPracticesRequest rank;
  v1::CompareRequest compare;
  compare.set_metric("actively_homeless");
  v1::ReportRequest report;
  report.set_audience(v1::AUDIENCE_PUBLIC);
  size_t hits = 0, ranked = 0, periods = 0, page_bytes = 0;
  struct Row {
    const char* name;
    Timing t;
  };
  std::vector<Row> rows = {
      {"search \"housing veterans\"",
       Time([&] { hits = Must(learnings->Search(words), "search").matches(); })},
      {"search, facet issue_area=housing", Time([&] { Must(learnings->Search(facet), "facet"); })},
      {"rank practices (top 20)",
       Time([&] { ranked = Must(learnings->Rank(rank), "rank").practices_size(); })},
      {"compare (a chapter, 24 periods)",
       Time([&] { periods = Must(chapter_view->Compare(compare), "compare").periods_size(); })},
      {"network report (public)",
       Time([&] { Must(learnings->Report(report, NowMicros()), "report"); })},
      {"page / (report + render)", Time([&] {
         v1::NetworkReport r = Must(learnings->Report(report, NowMicros()), "report");
         page_bytes = daemon::web::Page({"State of the network", "Hub", false, false, "overview"},
                                        daemon::web::OverviewBody(r))
                          .size();
       })},
      {"page /practices?q=housing (search + render)", Time([&] {
         v1::SearchCatalogueRequest asked = words;
         asked.set_audience(v1::AUDIENCE_PUBLIC);
         v1::SearchCatalogueResponse found = Must(learnings->Search(asked), "search");
         daemon::web::Page({"Practices", "Hub", false, false, "practices"},
                           daemon::web::CatalogueBody(asked, found, "/practices"));
       })},
  };
  std::printf("learnings on a hub holding %llu records (median of %d runs, ms)\n",
              static_cast<unsigned long long>(storage->records().LastSequence()), kRuns);
  if (load_s > 0) std::printf("load through the storage library: %.1f s\n", load_s);
  std::printf("catalogue index catch-up at open: %.1f s\n", index_s);
  std::printf("| operation | median | min-max |\n|---|---|---|\n");
  for (const Row& row : rows) {
    std::printf("| %s | %.1f | %.1f-%.1f |\n", row.name, row.t.median, row.t.min, row.t.max);
  }
  std::printf("(%zu matches, %zu ranked, %zu periods compared, overview page %zu bytes)\n", hits,
              ranked, periods, page_bytes);
  std::fflush(stdout);
  if (!with_works) return 0;
  // One full what's-working run (it writes its cells: timed once, on a store already holding
  // them after the first).
  double works_ms = 0;
  {
    storage::LocalWriter writer(&storage->records(), &hub, record::RecordLimits());
    daemon::hub::WorksAggregator works(
        &storage->records(), &storage->state(), &writer, hub.node_id(),
        daemon::hub::RollupSettings(), false, [] { return std::vector<std::string>(); },
        [](const std::string&) { return false; }, learnings->practices());
    const auto begin = std::chrono::steady_clock::now();
    Must(works.RunOnce(NowMicros()), "works");
    works_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - begin).count();
  }
  std::printf("what's working, one full run (20 metrics): %.1f s\n", works_ms / 1000);
  return 0;
}
