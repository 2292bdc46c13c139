// The learnings against brute force: catalogue search (words, audience, facets), adoption
// ranking over random adaptation forests, and "what's working" figures decided by the real
// aggregators on real stores. Every expectation is computed here, from the records the test
// wrote, never by the code under test.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <iterator>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "daemon/hub/aggregator.h"
#include "daemon/hub/catalogue_index.h"
#include "daemon/hub/learning_sources.h"
#include "daemon/hub/practice_cache.h"
#include "daemon/hub/practice_forest.h"
#include "daemon/hub/practice_ranking.h"
#include "daemon/hub/rollup.h"
#include "daemon/hub/works_aggregator.h"
#include "gtest/gtest.h"
#include "ldgs/v1/learnings.pb.h"
#include "ldgs/v1/record.pb.h"
#include "record/node_key.h"
#include "record/record_validation.h"
#include "record/signed_record.h"
#include "storage/local_writer.h"
#include "storage/storage.h"
#include "tests/support/status_matchers.h"
#include "tests/support/temp_dir.h"
#include "tests/unit/hub/signed_batch.h"

// Fails the test, naming the seed, unless `expr` (a Status or StatusOr) is OK.
#define ASSERT_OK_FOR_SEED(expr)                                               \
  do {                                                                         \
    const absl::Status ldgs_status_ = ::ldgs::testing::StatusOf(expr);         \
    ASSERT_TRUE(ldgs_status_.ok()) << "seed " << seed << ": " << ldgs_status_; \
  } while (0)

namespace ldgs::daemon::hub {
namespace {

using Key = std::pair<std::string, std::string>;  // (origin, id)

// A hub on a real store in a temp dir, with the learnings' view of it.
struct Hub {
  Hub() {
    std::filesystem::create_directories(dir.Sub("store"));
    absl::StatusOr<std::unique_ptr<storage::Storage>> opened =
        storage::Storage::Open(dir.Sub("store"));
    if (!opened.ok()) {
      status = opened.status();
      return;
    }
    storage = std::move(*opened);
    writer =
        std::make_unique<storage::LocalWriter>(&storage->records(), &key, record::RecordLimits());
    sources.store = &storage->records();
    sources.state = &storage->state();
    sources.self_id = key.node_id();
    sources.hub_chain = [] { return std::vector<std::string>(); };
    sources.enrolled_region = [] { return std::string(); };
  }
  storage::RecordStore& records() { return storage->records(); }

  ldgs::testing::TempDir dir;
  record::NodeKey key = record::NodeKey::Generate();
  absl::Status status;
  std::unique_ptr<storage::Storage> storage;
  std::unique_ptr<storage::LocalWriter> writer;
  LearningSources sources;
};

// The keys of a few nodes that write records the hub holds.
class Origins {
 public:
  explicit Origins(int n) {
    for (int i = 0; i < n; ++i) keys_.push_back(record::NodeKey::Generate());
  }
  const record::NodeKey& operator[](int i) const { return keys_[static_cast<size_t>(i)]; }
  int size() const { return static_cast<int>(keys_.size()); }
  const record::NodeKey& Of(const std::string& node_id) const {
    for (const record::NodeKey& key : keys_) {
      if (key.node_id() == node_id) return key;
    }
    return keys_.front();  // never: every record of a test is by one of them
  }

 private:
  std::vector<record::NodeKey> keys_;
};

using test::Batch;
using test::Identity;

v1::Record Tombstone(const v1::Record& live, uint64_t version) {
  v1::Record t = Identity(live.origin(), live.id(), version, live.kind(), live.visibility());
  t.set_deleted(true);
  return t;
}

void SetAdaptedFrom(const Key& from, v1::Record* r) {
  r->mutable_practice()->mutable_adapted_from()->set_origin(from.first);
  r->mutable_practice()->mutable_adapted_from()->set_id(from.second);
}

Key ParentOf(const v1::Record& r) {
  return {r.practice().adapted_from().origin(), r.practice().adapted_from().id()};
}

bool IsAdaptation(const v1::Record& r) { return !r.practice().adapted_from().id().empty(); }

int Uniform(std::mt19937& rng, int lo, int hi) {
  return std::uniform_int_distribution<int>(lo, hi)(rng);
}
bool Chance(std::mt19937& rng, int percent) { return Uniform(rng, 0, 99) < percent; }
template <typename T, size_t N>
T Pick(std::mt19937& rng, const T (&items)[N]) {
  return items[Uniform(rng, 0, static_cast<int>(N) - 1)];
}

// ---------------------------------------------------------------------------------------
// The catalogue.

// Words the English (Porter2) stemmer leaves as they are and apart: endings in a, o or u
// are never stripped.
constexpr const char* kWords[] = {"alpha", "gamma", "delta", "omega", "kappa", "sigma", "tango",
                                  "lima",  "bravo", "echo",  "kilo",  "papa",  "romeo", "india",
                                  "mango", "cobra", "panda", "koala", "llama", "zulu"};
// Each facet holds one word of the vocabulary, so that a query word may be found in a facet.
constexpr const char* kIssueAreas[] = {"housing", "health", "food-security", "mango"};
constexpr const char* kCommunities[] = {"veterans", "youth", "elders", "panda"};
constexpr const char* kStrategies[] = {"outreach", "open-data", "co-design", "tango"};

std::string Cased(std::mt19937& rng, std::string word) {
  switch (Uniform(rng, 0, 5)) {
    case 0:
      word[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(word[0])));
      break;
    case 1:
      for (char& c : word) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      break;
    default:
      break;
  }
  return word;
}

std::string RandomText(std::mt19937& rng, int min_words, int max_words) {
  static constexpr const char* kSeparators[] = {" ", ", ", ". ", "; ", " / ", "-"};
  std::string text;
  for (int i = Uniform(rng, min_words, max_words); i > 0; --i) {
    if (!text.empty()) text += Pick(rng, kSeparators);
    text += Cased(rng, Pick(rng, kWords));
  }
  return text;
}

v1::Visibility RandomVisibility(std::mt19937& rng) {
  if (Chance(rng, 6)) return v1::VISIBILITY_PRIVATE;  // in no audience's view
  static constexpr v1::Visibility kShared[] = {v1::VISIBILITY_HUB, v1::VISIBILITY_NETWORK,
                                               v1::VISIBILITY_PUBLIC};
  return Pick(rng, kShared);
}

// A random body; facet values may repeat within a list.
void FillRandomPractice(std::mt19937& rng, v1::Practice* p) {
  p->set_title(RandomText(rng, 1, 4));
  p->set_summary(RandomText(rng, 2, 8));
  if (Chance(rng, 40)) p->set_outcome_note(RandomText(rng, 1, 3));
  for (int i = Uniform(rng, 0, 2); i > 0; --i) *p->add_tags() = Cased(rng, Pick(rng, kWords));
  for (int i = Uniform(rng, 0, 3); i > 0; --i) *p->add_issue_areas() = Pick(rng, kIssueAreas);
  for (int i = Uniform(rng, 0, 2); i > 0; --i) *p->add_communities() = Pick(rng, kCommunities);
  for (int i = Uniform(rng, 0, 2); i > 0; --i) *p->add_strategies() = Pick(rng, kStrategies);
  p->set_outcome(static_cast<v1::Outcome>(Uniform(rng, 0, 4)));
}

// Writes `count` random practices by random origins (about a third adapted from an earlier
// one) and a few stories using the same words. `held` gets every practice written.
absl::Status WriteRandomPractices(std::mt19937& rng, storage::RecordStore& store,
                                  const Origins& origins, int count, uint64_t* version,
                                  std::map<Key, v1::Record>* held) {
  Batch batch;
  std::vector<Key> written;
  for (int i = 0; i < count; ++i) {
    const record::NodeKey& key = origins[Uniform(rng, 0, origins.size() - 1)];
    v1::Record r = Identity(key.node_id(), "p" + std::to_string(i), ++*version, v1::KIND_PRACTICE,
                            RandomVisibility(rng));
    FillRandomPractice(rng, r.mutable_practice());
    if (!written.empty() && Chance(rng, 35)) {
      SetAdaptedFrom(written[Uniform(rng, 0, static_cast<int>(written.size()) - 1)], &r);
    }
    batch.Add(r, key);
    written.emplace_back(r.origin(), r.id());
    (*held)[written.back()] = r;
  }
  for (int i = 0; i < 5; ++i) {
    v1::Record s = Identity(origins[0].node_id(), "s" + std::to_string(i), ++*version,
                            v1::KIND_STORY, v1::VISIBILITY_PUBLIC);
    s.mutable_story()->set_title(RandomText(rng, 1, 4));
    s.mutable_story()->set_body(RandomText(rng, 3, 8));
    batch.Add(s, origins[0]);
  }
  return batch.ApplyTo(store);
}

// Deletes about one practice in eight (a tombstone version) and rewrites about one in
// eight (a new body and visibility, the same provenance).
absl::Status DeleteAndRewriteSome(std::mt19937& rng, storage::RecordStore& store,
                                  const Origins& origins, uint64_t* version,
                                  std::map<Key, v1::Record>* held) {
  Batch batch;
  for (auto& [key, r] : *held) {
    if (r.deleted()) continue;
    const int roll = Uniform(rng, 0, 99);
    v1::Record next;
    if (roll < 12) {
      next = Tombstone(r, ++*version);
    } else if (roll < 24) {
      next = Identity(r.origin(), r.id(), ++*version, v1::KIND_PRACTICE, RandomVisibility(rng));
      FillRandomPractice(rng, next.mutable_practice());
      if (IsAdaptation(r)) SetAdaptedFrom(ParentOf(r), &next);
    } else {
      continue;
    }
    batch.Add(next, origins.Of(key.first));
    r = next;
  }
  return batch.ApplyTo(store);
}

v1::SearchCatalogueRequest RandomRequest(std::mt19937& rng) {
  v1::SearchCatalogueRequest request;
  std::string query;
  for (int i = Uniform(rng, 1, 2); i > 0; --i) {
    if (!query.empty()) query += " ";
    query += Cased(rng, Pick(rng, kWords));
  }
  request.set_query(query);
  auto filter = [&](google::protobuf::RepeatedPtrField<std::string>* list, const auto& values) {
    if (Chance(rng, 60)) return;
    for (int i = Uniform(rng, 1, 2); i > 0; --i) *list->Add() = Pick(rng, values);
  };
  filter(request.mutable_issue_areas(), kIssueAreas);
  filter(request.mutable_communities(), kCommunities);
  filter(request.mutable_strategies(), kStrategies);
  static constexpr v1::Audience kAudiences[] = {v1::AUDIENCE_OPERATOR, v1::AUDIENCE_NETWORK,
                                                v1::AUDIENCE_PUBLIC, v1::AUDIENCE_UNSPECIFIED};
  request.set_audience(Pick(rng, kAudiences));
  request.set_include_adaptations(Chance(rng, 50));
  request.set_limit(200);
  return request;
}

// The whole words of `text`, lowercased: runs of letters and digits.
void AddWords(const std::string& text, std::set<std::string>* words) {
  std::string word;
  for (char c : text + " ") {
    if (std::isalnum(static_cast<unsigned char>(c))) {
      word.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    } else if (!word.empty()) {
      words->insert(word);
      word.clear();
    }
  }
}

std::set<std::string> WordsOf(const v1::Practice& p) {
  std::set<std::string> words;
  AddWords(p.title(), &words);
  AddWords(p.summary(), &words);
  AddWords(p.outcome_note(), &words);
  for (const auto* list : {&p.tags(), &p.issue_areas(), &p.communities(), &p.strategies()}) {
    for (const std::string& value : *list) AddWords(value, &words);
  }
  return words;
}

// Who sees what (learnings.proto, Audience): unspecified is network; private is nobody's.
bool SeenBy(v1::Visibility visibility, v1::Audience audience) {
  const bool shared = visibility == v1::VISIBILITY_NETWORK || visibility == v1::VISIBILITY_PUBLIC;
  switch (audience) {
    case v1::AUDIENCE_OPERATOR:
      return shared || visibility == v1::VISIBILITY_HUB;
    case v1::AUDIENCE_PUBLIC:
      return visibility == v1::VISIBILITY_PUBLIC;
    default:
      return shared;
  }
}

bool AnyOf(const google::protobuf::RepeatedPtrField<std::string>& held,
           const google::protobuf::RepeatedPtrField<std::string>& wanted) {
  if (wanted.empty()) return true;
  for (const std::string& value : held) {
    if (std::find(wanted.begin(), wanted.end(), value) != wanted.end()) return true;
  }
  return false;
}

bool OracleMatches(const v1::Record& r, const v1::SearchCatalogueRequest& request) {
  if (r.deleted() || !r.has_practice() || !SeenBy(r.visibility(), request.audience())) {
    return false;
  }
  const v1::Practice& p = r.practice();
  if (!request.include_adaptations() && IsAdaptation(r)) return false;
  const std::set<std::string> words = WordsOf(p);
  std::set<std::string> asked;
  AddWords(request.query(), &asked);
  for (const std::string& word : asked) {
    if (!words.count(word)) return false;
  }
  return AnyOf(p.issue_areas(), request.issue_areas()) &&
         AnyOf(p.communities(), request.communities()) &&
         AnyOf(p.strategies(), request.strategies());
}

constexpr const char* kCheckedFacets[] = {"issue_area", "community", "strategy"};

const google::protobuf::RepeatedPtrField<std::string>& FacetList(const v1::Practice& p,
                                                                 const std::string& facet) {
  if (facet == "issue_area") return p.issue_areas();
  if (facet == "community") return p.communities();
  return p.strategies();
}

std::multiset<Key> HitsOf(const v1::SearchCatalogueResponse& response) {
  std::multiset<Key> hits;
  for (const v1::CatalogueHit& hit : response.hits()) {
    hits.emplace(hit.record().origin(), hit.record().id());
  }
  return hits;
}

// Searches and checks the hits, the match count and the facet counts against `held`.
void ExpectSearchMatchesOracle(CatalogueIndex& index, const std::map<Key, v1::Record>& held,
                               const v1::SearchCatalogueRequest& request, uint32_t seed) {
  const std::string what = "seed " + std::to_string(seed) + ", " + request.ShortDebugString();
  absl::StatusOr<v1::SearchCatalogueResponse> response = index.Search(request);
  ASSERT_TRUE(response.ok()) << what << ": " << response.status();

  std::multiset<Key> expected;
  std::map<std::string, std::map<std::string, uint32_t>> expected_facets;
  for (const auto& [key, r] : held) {
    if (!OracleMatches(r, request)) continue;
    expected.insert(key);
    for (const char* facet : kCheckedFacets) {
      const auto& list = FacetList(r.practice(), facet);
      for (const std::string& value : std::set<std::string>(list.begin(), list.end())) {
        ++expected_facets[facet][value];
      }
    }
  }

  const std::multiset<Key> hits = HitsOf(*response);
  EXPECT_EQ(hits, expected) << what;
  EXPECT_EQ(static_cast<size_t>(response->matches()), expected.size()) << what;
  for (const Key& hit : hits) {
    EXPECT_EQ(hits.count(hit), 1u)
        << what << ": " << hit.first << " " << hit.second << " came more than once";
  }
  for (const char* facet : kCheckedFacets) {
    std::map<std::string, uint32_t> counts;
    int seen = 0;
    for (const v1::Facet& f : response->facets()) {
      if (f.name() != facet) continue;
      ++seen;
      for (const v1::FacetValue& v : f.values()) counts[v.value()] += v.count();
    }
    EXPECT_EQ(seen, 1) << what << ": facet " << facet;
    EXPECT_EQ(counts, expected_facets[facet]) << what << ": facet " << facet;
  }
}

TEST(CatalogueTest, SearchMatchesABruteForceOracleOnRandomPractices) {
  for (uint32_t seed : {101u, 102u, 103u, 104u}) {
    std::mt19937 rng(seed);
    auto hub = std::make_unique<Hub>();
    ASSERT_OK_FOR_SEED(hub->status);
    const Origins origins(4);
    uint64_t version = 1000;
    std::map<Key, v1::Record> held;
    ASSERT_OK_FOR_SEED(WriteRandomPractices(rng, hub->records(), origins, 150, &version, &held));
    absl::StatusOr<std::unique_ptr<CatalogueIndex>> index =
        CatalogueIndex::Open(hub->dir.Sub("catalogue"), hub->sources);
    ASSERT_OK_FOR_SEED(index);
    // The first half is answered from an index built from the store, the second after
    // deletions and rewrites that reach it through the feed.
    for (int q = 0; q < 40; ++q) {
      if (q == 20) {
        ASSERT_OK_FOR_SEED(DeleteAndRewriteSome(rng, hub->records(), origins, &version, &held));
      }
      ExpectSearchMatchesOracle(**index, held, RandomRequest(rng), seed);
      if (::testing::Test::HasFatalFailure()) return;
    }
  }
}

TEST(CatalogueTest, StemmedWordsMatchAndTheTitleRanksFirst) {
  const uint32_t seed = 0;
  auto hub = std::make_unique<Hub>();
  ASSERT_OK_FOR_SEED(hub->status);
  const Origins origins(1);
  Batch batch;
  uint64_t version = 10;
  auto add = [&](const std::string& id, const std::string& title, const std::string& summary) {
    v1::Record r =
        Identity(origins[0].node_id(), id, ++version, v1::KIND_PRACTICE, v1::VISIBILITY_NETWORK);
    r.mutable_practice()->set_title(title);
    r.mutable_practice()->set_summary(summary);
    batch.Add(r, origins[0]);
  };
  add("liaison", "Landlord liaison", "A named contact at the council");
  add("meetings", "Tenant meetings", "Monthly meetings with landlords and tenants");
  add("outreach", "Street outreach", "Night walks with volunteers");
  add("pantry", "Food pantry", "Weekly groceries for families");
  ASSERT_OK_FOR_SEED(batch.ApplyTo(hub->records()));
  absl::StatusOr<std::unique_ptr<CatalogueIndex>> index =
      CatalogueIndex::Open(hub->dir.Sub("catalogue"), hub->sources);
  ASSERT_OK_FOR_SEED(index);

  v1::SearchCatalogueRequest request;
  request.set_query("landlords");
  request.set_audience(v1::AUDIENCE_NETWORK);
  absl::StatusOr<v1::SearchCatalogueResponse> response = (*index)->Search(request);
  ASSERT_OK_FOR_SEED(response);
  ASSERT_EQ(response->hits_size(), 2) << response->ShortDebugString();
  EXPECT_EQ(response->hits(0).record().id(), "liaison") << response->ShortDebugString();
  EXPECT_EQ(response->hits(1).record().id(), "meetings") << response->ShortDebugString();
  EXPECT_EQ(response->matches(), 2u);
}

TEST(CatalogueTest, AMissingIndexIsRebuiltFromTheStore) {
  for (uint32_t seed : {201u, 202u}) {
    std::mt19937 rng(seed);
    auto hub = std::make_unique<Hub>();
    ASSERT_OK_FOR_SEED(hub->status);
    const Origins origins(3);
    uint64_t version = 1000;
    std::map<Key, v1::Record> held;
    ASSERT_OK_FOR_SEED(WriteRandomPractices(rng, hub->records(), origins, 60, &version, &held));
    // A practice whose title words are nowhere else.
    v1::Record renamed = Identity(origins[0].node_id(), "renamed", ++version, v1::KIND_PRACTICE,
                                  v1::VISIBILITY_NETWORK);
    renamed.mutable_practice()->set_title("Oscar victor");
    renamed.mutable_practice()->set_summary("Alpha gamma");
    Batch batch;
    batch.Add(renamed, origins[0]);
    ASSERT_OK_FOR_SEED(batch.ApplyTo(hub->records()));
    held[{renamed.origin(), renamed.id()}] = renamed;

    std::vector<v1::SearchCatalogueRequest> requests;
    for (int q = 0; q < 12; ++q) requests.push_back(RandomRequest(rng));
    auto search = [&](CatalogueIndex& index, const std::string& query) {
      v1::SearchCatalogueRequest request;
      request.set_query(query);
      request.set_audience(v1::AUDIENCE_OPERATOR);
      request.set_limit(200);
      absl::StatusOr<v1::SearchCatalogueResponse> response = index.Search(request);
      EXPECT_TRUE(response.ok()) << "seed " << seed << ": " << response.status();
      return response.ok() ? HitsOf(*response) : std::multiset<Key>();
    };

    const std::string dir = hub->dir.Sub("catalogue");
    std::vector<std::multiset<Key>> before;
    {
      absl::StatusOr<std::unique_ptr<CatalogueIndex>> index =
          CatalogueIndex::Open(dir, hub->sources);
      ASSERT_OK_FOR_SEED(index);
      for (const v1::SearchCatalogueRequest& request : requests) {
        absl::StatusOr<v1::SearchCatalogueResponse> response = (*index)->Search(request);
        ASSERT_OK_FOR_SEED(response);
        before.push_back(HitsOf(*response));
      }
      EXPECT_EQ(search(**index, "oscar").count({renamed.origin(), renamed.id()}), 1u)
          << "seed " << seed;
    }
    std::filesystem::remove_all(dir);
    ASSERT_FALSE(std::filesystem::exists(dir)) << "seed " << seed;

    absl::StatusOr<std::unique_ptr<CatalogueIndex>> index = CatalogueIndex::Open(dir, hub->sources);
    ASSERT_OK_FOR_SEED(index);
    for (size_t i = 0; i < requests.size(); ++i) {
      absl::StatusOr<v1::SearchCatalogueResponse> response = (*index)->Search(requests[i]);
      ASSERT_OK_FOR_SEED(response);
      EXPECT_EQ(HitsOf(*response), before[i])
          << "seed " << seed << ", " << requests[i].ShortDebugString();
      ExpectSearchMatchesOracle(**index, held, requests[i], seed);
    }

    // A new version with a new title: found by the new words, no longer by the old.
    v1::Record next = renamed;
    next.set_version(++version);
    next.mutable_practice()->set_title("Zulu foxtrot");
    batch.Add(next, origins[0]);
    ASSERT_OK_FOR_SEED(batch.ApplyTo(hub->records()));
    held[{next.origin(), next.id()}] = next;
    const Key key = {next.origin(), next.id()};
    EXPECT_EQ(search(**index, "oscar").count(key), 0u) << "seed " << seed;
    EXPECT_EQ(search(**index, "victor").count(key), 0u) << "seed " << seed;
    EXPECT_EQ(search(**index, "foxtrot").count(key), 1u) << "seed " << seed;
    EXPECT_EQ(search(**index, "zulu").count(key), 1u) << "seed " << seed;
  }
}

// ---------------------------------------------------------------------------------------
// Ranking by adoption.

struct ExpectedStanding {
  std::map<std::string, const v1::Record*> latest;  // adopter -> its latest adaptation
};

// Checks a ranking of every original against the oracle's standings.
void ExpectRankingMatchesOracle(const v1::RankPracticesResponse& response,
                                const std::map<Key, ExpectedStanding>& expected,
                                const std::string& what) {
  std::set<Key> ranked;
  for (int i = 0; i < response.practices_size(); ++i) {
    const v1::PracticeStanding& s = response.practices(i);
    if (i > 0) {
      EXPECT_GE(response.practices(i - 1).adoptions(), s.adoptions())
          << what << ": not by adoption at " << i;
    }
    const Key key = {s.practice().origin(), s.practice().id()};
    EXPECT_TRUE(ranked.insert(key).second) << what << ": " << key.second << " twice";
    auto it = expected.find(key);
    if (it == expected.end()) {
      ADD_FAILURE() << what << ": ranked " << key.second
                    << ", not a live original the operator sees";
      continue;
    }
    uint32_t worked = 0, mixed = 0, did_not_work = 0, too_early = 0;
    for (const auto& [node, adaptation] : it->second.latest) {
      const v1::Outcome outcome = adaptation->practice().outcome();
      worked += outcome == v1::OUTCOME_WORKED ? 1 : 0;
      mixed += outcome == v1::OUTCOME_MIXED ? 1 : 0;
      did_not_work += outcome == v1::OUTCOME_DID_NOT_WORK_HERE ? 1 : 0;
      too_early += outcome == v1::OUTCOME_TOO_EARLY ? 1 : 0;
    }
    EXPECT_EQ(s.adoptions(), it->second.latest.size()) << what << ", " << key.second;
    EXPECT_EQ(s.worked(), worked) << what << ", " << key.second;
    EXPECT_EQ(s.mixed(), mixed) << what << ", " << key.second;
    EXPECT_EQ(s.did_not_work(), did_not_work) << what << ", " << key.second;
    EXPECT_EQ(s.too_early(), too_early) << what << ", " << key.second;
  }
  for (const auto& [key, standing] : expected) {
    EXPECT_TRUE(ranked.count(key)) << what << ": " << key.second << " not ranked";
  }
}

TEST(RankingTest, AdoptionCountsMatchABruteForceOracle) {
  constexpr int kDepthLimit = 16;  // practice_forest.h: kMaxDepth
  for (uint32_t seed : {301u, 302u, 303u, 304u, 305u}) {
    std::mt19937 rng(seed);
    auto hub = std::make_unique<Hub>();
    ASSERT_OK_FOR_SEED(hub->status);
    const Origins origins(5);
    uint64_t version = 1000;
    std::set<int64_t> stamps;  // every updated_us distinct: "latest" is never a tie
    auto stamp = [&] {
      int64_t us = 0;
      do {
        us = 1'760'000'000'000'000 + static_cast<int64_t>(Uniform(rng, 0, 1'000'000)) * 1000;
      } while (!stamps.insert(us).second);
      return us;
    };
    std::map<Key, v1::Record> held;  // the latest version written of each
    Batch live_batch, deletions;
    auto write = [&](const v1::Record& r, Batch* batch) {
      held[{r.origin(), r.id()}] = r;
      batch->Add(r, origins.Of(r.origin()));
    };
    auto practice = [&](int origin, const std::string& id, v1::Visibility visibility) {
      v1::Record r =
          Identity(origins[origin].node_id(), id, ++version, v1::KIND_PRACTICE, visibility);
      r.set_created_us(stamp());
      r.set_updated_us(stamp());
      r.mutable_practice()->set_title("practice " + id);
      r.mutable_practice()->set_outcome(static_cast<v1::Outcome>(Uniform(rng, 0, 4)));
      return r;
    };

    std::vector<Key> pool;
    for (int i = 0; i < 25; ++i) {
      const int origin = Uniform(rng, 0, 4);
      const v1::Visibility visibility = RandomVisibility(rng);
      v1::Record r = practice(origin, "o" + std::to_string(i), visibility);
      pool.emplace_back(r.origin(), r.id());
      write(r, &live_batch);
    }
    // Adaptations of originals and of adaptations, by anyone (the original's node too).
    for (int i = 0; i < 110; ++i) {
      const int origin = Uniform(rng, 0, 4);
      const v1::Visibility visibility = RandomVisibility(rng);
      v1::Record r = practice(origin, "a" + std::to_string(i), visibility);
      SetAdaptedFrom(pool[static_cast<size_t>(Uniform(rng, 0, static_cast<int>(pool.size()) - 1))],
                     &r);
      pool.emplace_back(r.origin(), r.id());
      write(r, &live_batch);
    }
    // A chain from a practice not held here.
    v1::Record orphan = practice(3, "orphan0", v1::VISIBILITY_NETWORK);
    SetAdaptedFrom({origins[4].node_id(), "never-written"}, &orphan);
    write(orphan, &live_batch);
    v1::Record orphan_child = practice(4, "orphan1", v1::VISIBILITY_NETWORK);
    SetAdaptedFrom({orphan.origin(), orphan.id()}, &orphan_child);
    write(orphan_child, &live_batch);
    // A chain deeper than the limit from deep0 (by node 0): steps 1..16 by node 1, within
    // reach of the root; steps 17..20 by node 2, beyond it.
    auto deep_origin = [&](int step) { return step == 0 ? 0 : step <= kDepthLimit ? 1 : 2; };
    write(practice(0, "deep0", v1::VISIBILITY_NETWORK), &live_batch);
    for (int step = 1; step <= 20; ++step) {
      v1::Record r =
          practice(deep_origin(step), "deep" + std::to_string(step), v1::VISIBILITY_NETWORK);
      SetAdaptedFrom({origins[deep_origin(step - 1)].node_id(), "deep" + std::to_string(step - 1)},
                     &r);
      write(r, &live_batch);
    }
    ASSERT_OK_FOR_SEED(live_batch.ApplyTo(hub->records()));
    // The cache reads the store once; the deletions after it reach it through the feed.
    PracticeCache cache(&hub->sources);
    ASSERT_OK_FOR_SEED(cache.Forest(v1::AUDIENCE_OPERATOR));
    // Some deleted, originals and adaptations alike (their subtrees hang from nothing).
    for (const Key& key : pool) {
      if (Chance(rng, 10)) write(Tombstone(held.at(key), ++version), &deletions);
    }
    ASSERT_OK_FOR_SEED(deletions.ApplyTo(hub->records()));

    // The oracle, over what the operator sees.
    std::map<Key, const v1::Record*> live;
    for (const auto& [key, r] : held) {
      if (!r.deleted() && r.has_practice() && SeenBy(r.visibility(), v1::AUDIENCE_OPERATOR)) {
        live[key] = &r;
      }
    }
    std::map<Key, ExpectedStanding> expected;
    for (const auto& [key, r] : live) {
      if (!IsAdaptation(*r)) expected.emplace(key, ExpectedStanding());
    }
    for (const auto& [key, r] : live) {
      if (!IsAdaptation(*r)) continue;
      Key at = key;
      std::optional<Key> root;
      for (int hops = 0; hops <= kDepthLimit; ++hops) {
        auto it = live.find(at);
        if (it == live.end()) break;
        if (!IsAdaptation(*it->second)) {
          root = at;
          break;
        }
        at = ParentOf(*it->second);
      }
      if (!root || r->origin() == root->first) continue;
      const v1::Record*& latest = expected.at(*root).latest[r->origin()];
      if (!latest || r->updated_us() > latest->updated_us()) latest = r;
    }
    // The deep chain: only the node within the depth limit adopted it.
    const Key deep = {origins[0].node_id(), "deep0"};
    ASSERT_TRUE(expected.count(deep)) << "seed " << seed;
    ASSERT_EQ(expected.at(deep).latest.size(), 1u) << "seed " << seed;

    v1::RankPracticesRequest request;
    request.set_audience(v1::AUDIENCE_OPERATOR);
    request.set_limit(200);
    absl::StatusOr<PracticeForest> loaded = PracticeForest::Load(hub->sources, request.audience());
    ASSERT_OK_FOR_SEED(loaded);
    absl::StatusOr<std::shared_ptr<const PracticeForest>> cached = cache.Forest(request.audience());
    ASSERT_OK_FOR_SEED(cached);
    const PracticeForest* from_store = &*loaded;
    for (const auto& [name, forest] :
         {std::pair{"loaded from the store", from_store}, std::pair{"cached", cached->get()}}) {
      absl::StatusOr<v1::RankPracticesResponse> response =
          RankPractices(hub->sources, *forest, request);
      ASSERT_OK_FOR_SEED(response);
      ExpectRankingMatchesOracle(*response, expected,
                                 "seed " + std::to_string(seed) + ", forest " + name);
    }
  }
}

// ---------------------------------------------------------------------------------------
// What's working.

constexpr const char* kPeriods[] = {"2026-01", "2026-02", "2026-03",
                                    "2026-04", "2026-05", "2026-06"};
constexpr int kLast = 5;  // 2026-06, the period every figure here is of

// A hub with member chapters in region "r" that observe metric m (down is good, at least 0)
// every month of 2026-01..06, and a practice of a node outside the hub that some of them
// adapted.
struct WorksNetwork {
  explicit WorksNetwork(int n) {
    for (int i = 0; i < n; ++i) chapters.push_back(record::NodeKey::Generate());
    values.assign(static_cast<size_t>(n), std::vector<double>(std::size(kPeriods), 0.0));
  }

  v1::RecordRef Practice() const {
    v1::RecordRef ref;
    ref.set_origin(outside.node_id());
    ref.set_id("shelter-first");
    return ref;
  }

  v1::Record Observation(size_t chapter, int period) {
    v1::Record r = Identity(chapters[chapter].node_id(), std::string("obs:m:") + kPeriods[period],
                            ++version, v1::KIND_METRIC_OBSERVATION, v1::VISIBILITY_HUB);
    r.mutable_metric_observation()->set_metric("m");
    r.mutable_metric_observation()->set_period(kPeriods[period]);
    r.mutable_metric_observation()->set_value(values[chapter][static_cast<size_t>(period)]);
    return r;
  }

  // Enrolls the chapters, defines m, writes every value, the practice and its adaptations.
  // `with_cache`: the works aggregator reads the practices through a PracticeCache.
  absl::Status Build(bool with_cache) {
    if (!hub.status.ok()) return hub.status;
    storage::StateChange enroll;
    for (const record::NodeKey& chapter : chapters) {
      v1::Enrollment e;
      e.set_node_id(chapter.node_id());
      e.set_relation(v1::RELATION_MEMBER);
      e.set_region("r");
      enroll.PutEnrollment(e);
    }
    if (absl::Status s = hub.storage->state().Commit(enroll); !s.ok()) return s;
    v1::Record definition;
    v1::MetricDefinition* d = definition.mutable_metric_definition();
    d->set_code("m");
    d->set_name("m");
    d->set_aggregation(v1::AGGREGATION_SUM);
    d->set_direction(v1::DIRECTION_DOWN_IS_GOOD);
    d->set_min_value(0);
    if (auto put = hub.writer->Put("", v1::VISIBILITY_PUBLIC, definition); !put.ok()) {
      return put.status();
    }
    Batch batch;
    for (size_t c = 0; c < chapters.size(); ++c) {
      for (int p = 0; p <= kLast; ++p) batch.Add(Observation(c, p), chapters[c]);
    }
    v1::Record original = Identity(outside.node_id(), Practice().id(), ++version, v1::KIND_PRACTICE,
                                   v1::VISIBILITY_NETWORK);
    original.mutable_practice()->set_title("Shelter first");
    batch.Add(original, outside);
    for (const auto& [chapter, period] : adopted) {
      v1::Record r = Identity(chapters[chapter].node_id(), "adapted-shelter-first", ++version,
                              v1::KIND_PRACTICE, v1::VISIBILITY_NETWORK);
      r.mutable_practice()->set_title("Shelter first, here");
      *r.mutable_practice()->mutable_adapted_from() = Practice();
      r.mutable_practice()->set_adopted_period(kPeriods[period]);
      batch.Add(r, chapters[chapter]);
    }
    if (absl::Status s = batch.ApplyTo(hub.records()); !s.ok()) return s;
    aggregator = std::make_unique<Aggregator>(
        &hub.records(), &hub.storage->state(), hub.writer.get(), hub.key.node_id(),
        RollupSettings(), false, [] { return std::vector<std::string>(); },
        [](const std::string&) { return false; });
    if (with_cache) cache = std::make_unique<PracticeCache>(&hub.sources);
    works = std::make_unique<WorksAggregator>(
        &hub.records(), &hub.storage->state(), hub.writer.get(), hub.key.node_id(),
        RollupSettings(), false, [] { return std::vector<std::string>(); },
        [](const std::string&) { return false; }, cache.get());
    return absl::OkStatus();
  }

  // A new version of one chapter's value of the last period.
  absl::Status Correct(size_t chapter, double value) {
    values[chapter][kLast] = value;
    Batch batch;
    batch.Add(Observation(chapter, kLast), chapters[chapter]);
    return batch.ApplyTo(hub.records());
  }

  // The aggregator (at least once, until it published m for 2026-06), then the works
  // aggregator.
  absl::Status Run() {
    const int64_t now = PeriodEndMicros("2026-08");
    const std::string network = "rollup:m:2026-06:network";
    for (int i = 0; i < 3; ++i) {
      if (absl::StatusOr<int> n = aggregator->RunOnce(now); !n.ok()) return n.status();
      if (hub.records().Get(hub.key.node_id(), network).ok()) break;
    }
    if (!hub.records().Get(hub.key.node_id(), network).ok()) {
      return absl::InternalError("the hub never published " + network);
    }
    return works->RunOnce(now).status();
  }

  absl::StatusOr<storage::StoredEntry> Cell() {
    return hub.records().Get(hub.key.node_id(),
                             "works:m:2026-06:" + record::PracticeKey(Practice()));
  }

  Hub hub;
  std::vector<record::NodeKey> chapters;
  record::NodeKey outside = record::NodeKey::Generate();
  std::vector<std::vector<double>> values;  // [chapter][period]
  std::map<size_t, int> adopted;            // chapter -> index of the period it adopted in
  uint64_t version = 1000;
  std::unique_ptr<Aggregator> aggregator;
  std::unique_ptr<PracticeCache> cache;
  std::unique_ptr<WorksAggregator> works;
};

struct ExpectedWorks {
  bool published = false;
  size_t adopters = 0, others = 0;
  double mean = 0, others_mean = 0;
  std::string window;
};

// Relative change, positive when the value went down, within +-100.
double DownIsGood(double before, double after) {
  // On the published grid of 0.1 % (docs/decisions.md, "What's working").
  const double change = std::clamp(-(after - before) / std::fabs(before), -100.0, 100.0);
  return std::round(change * 1000) / 1000 + 0.0;
}

ExpectedWorks Oracle(const WorksNetwork& net) {
  ExpectedWorks out;
  std::vector<double> adopters, others;
  int window = kLast;
  for (const auto& [chapter, period] : net.adopted) {
    if (period > kLast) continue;
    const int base = period - 1;
    window = std::min(window, base);
    adopters.push_back(
        DownIsGood(net.values[chapter][static_cast<size_t>(base)], net.values[chapter][kLast]));
  }
  for (size_t c = 0; c < net.chapters.size(); ++c) {
    if (net.adopted.count(c)) continue;
    others.push_back(DownIsGood(net.values[c][static_cast<size_t>(window)], net.values[c][kLast]));
  }
  auto mean = [](const std::vector<double>& v) {
    double sum = 0;
    for (double x : v) sum += x;
    return v.empty() ? 0 : sum / static_cast<double>(v.size());
  };
  out.published = adopters.size() >= 3 && others.size() >= 3;
  out.adopters = adopters.size();
  out.others = others.size();
  out.mean = mean(adopters);
  out.others_mean = mean(others);
  out.window = kPeriods[window];
  return out;
}

// `chapters` in the network, the first `adopters` of a random order adopting in 2026-02..05.
std::unique_ptr<WorksNetwork> RandomNetwork(std::mt19937& rng, int chapters, int adopters) {
  auto net = std::make_unique<WorksNetwork>(chapters);
  for (auto& row : net->values) {
    for (double& v : row) v = Uniform(rng, 10, 200);
  }
  std::vector<size_t> order(static_cast<size_t>(chapters));
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::shuffle(order.begin(), order.end(), rng);
  for (int i = 0; i < adopters; ++i) {
    net->adopted[order[static_cast<size_t>(i)]] = Uniform(rng, 1, 4);
  }
  return net;
}

TEST(WorksTest, FiguresMatchABruteForceOracle) {
  for (uint32_t seed : {401u, 402u, 403u, 404u, 405u, 406u}) {
    std::mt19937 rng(seed);
    const int n = Uniform(rng, 7, 14);
    // Every third seed leaves one group under three chapters: withheld.
    static constexpr int kFewAdopters[] = {1, 2, -2, -1};
    int k = Uniform(rng, 3, n - 3);
    if (seed % 3 == 0) {
      k = Pick(rng, kFewAdopters);
      if (k < 0) k += n;
    }
    std::unique_ptr<WorksNetwork> net = RandomNetwork(rng, n, k);
    ASSERT_OK_FOR_SEED(net->Build(/*with_cache=*/seed % 2 == 0));
    ASSERT_OK_FOR_SEED(net->Run());
    const ExpectedWorks expected = Oracle(*net);
    absl::StatusOr<storage::StoredEntry> cell = net->Cell();
    if (!expected.published) {
      // A figure never published has nothing to say: no cell at all, not a withheld one.
      EXPECT_TRUE(absl::IsNotFound(cell.status()))
          << "seed " << seed << ": " << (cell.ok() ? cell->record.ShortDebugString() : "");
      continue;
    }
    ASSERT_OK_FOR_SEED(cell);
    const v1::Rollup& r = cell->record.rollup();
    const std::string what = "seed " + std::to_string(seed) + ", " + std::to_string(k) + " of " +
                             std::to_string(n) + " adopted: " + r.ShortDebugString();
    EXPECT_EQ(cell->record.visibility(), v1::VISIBILITY_NETWORK) << what;
    EXPECT_EQ(r.metric(), "m") << what;
    EXPECT_EQ(r.period(), "2026-06") << what;
    EXPECT_EQ(r.practice().origin(), net->Practice().origin()) << what;
    EXPECT_EQ(r.practice().id(), net->Practice().id()) << what;
    EXPECT_EQ(r.expected(), static_cast<uint32_t>(n)) << what;
    if (expected.published) {
      EXPECT_FALSE(r.withheld()) << what;
      EXPECT_EQ(r.reporting(), expected.adopters) << what;
      EXPECT_EQ(r.others(), expected.others) << what;
      EXPECT_NEAR(r.mean(), expected.mean, 1e-9) << what;
      EXPECT_NEAR(r.others_mean(), expected.others_mean, 1e-9) << what;
      EXPECT_EQ(r.window_start(), expected.window) << what;
      EXPECT_EQ(r.revision(), 1u) << what;
    } else {
      EXPECT_TRUE(r.withheld()) << what;
      EXPECT_FALSE(r.has_mean()) << what;
      EXPECT_FALSE(r.has_others_mean()) << what;
      EXPECT_FALSE(r.has_sum()) << what;
      EXPECT_FALSE(r.has_others_sum()) << what;
      EXPECT_EQ(r.reporting(), 0u) << what;
      EXPECT_EQ(r.others(), 0u) << what;
    }
  }
}

TEST(WorksTest, AFigureMovesOnlyWhenAtLeastThreeOfAGroupChanged) {
  for (uint32_t seed : {501u, 502u, 503u}) {
    std::mt19937 rng(seed);
    const int n = Uniform(rng, 8, 12);
    std::unique_ptr<WorksNetwork> net = RandomNetwork(rng, n, Uniform(rng, 3, n - 3));
    ASSERT_OK_FOR_SEED(net->Build(/*with_cache=*/seed % 2 == 0));
    ASSERT_OK_FOR_SEED(net->Run());
    absl::StatusOr<storage::StoredEntry> first = net->Cell();
    ASSERT_OK_FOR_SEED(first);
    ASSERT_FALSE(first->record.rollup().withheld())
        << "seed " << seed << ": " << first->record.rollup().ShortDebugString();
    const ExpectedWorks was = Oracle(*net);
    EXPECT_NEAR(first->record.rollup().mean(), was.mean, 1e-9) << "seed " << seed;

    std::vector<size_t> adopters;
    for (const auto& [chapter, period] : net->adopted) adopters.push_back(chapter);
    auto correct = [&](size_t chapter) {
      return net->Correct(chapter, net->values[chapter][kLast] + Uniform(rng, 1, 50));
    };

    // One adopter's value moves: the figure does not.
    ASSERT_OK_FOR_SEED(correct(adopters[0]));
    ASSERT_OK_FOR_SEED(net->Run());
    absl::StatusOr<storage::StoredEntry> second = net->Cell();
    ASSERT_OK_FOR_SEED(second);
    EXPECT_EQ(second->record.rollup().mean(), first->record.rollup().mean()) << "seed " << seed;
    EXPECT_EQ(second->record.rollup().others_mean(), first->record.rollup().others_mean())
        << "seed " << seed;
    EXPECT_EQ(second->record.rollup().revision(), first->record.rollup().revision())
        << "seed " << seed;
    EXPECT_EQ(second->record.version(), first->record.version()) << "seed " << seed;

    // Two more: three of the adopters changed since the figure, so it moves to the new values.
    ASSERT_OK_FOR_SEED(correct(adopters[1]));
    ASSERT_OK_FOR_SEED(correct(adopters[2]));
    ASSERT_OK_FOR_SEED(net->Run());
    absl::StatusOr<storage::StoredEntry> third = net->Cell();
    ASSERT_OK_FOR_SEED(third);
    const ExpectedWorks now = Oracle(*net);
    const v1::Rollup& r = third->record.rollup();
    EXPECT_FALSE(r.withheld()) << "seed " << seed << ": " << r.ShortDebugString();
    EXPECT_NEAR(r.mean(), now.mean, 1e-9) << "seed " << seed;
    EXPECT_NE(r.mean(), first->record.rollup().mean()) << "seed " << seed;
    EXPECT_NEAR(r.others_mean(), now.others_mean, 1e-9) << "seed " << seed;
    EXPECT_EQ(r.reporting(), now.adopters) << "seed " << seed;
    EXPECT_EQ(r.others(), now.others) << "seed " << seed;
    EXPECT_EQ(r.revision(), first->record.rollup().revision() + 1) << "seed " << seed;
    EXPECT_GT(third->record.version(), first->record.version()) << "seed " << seed;
  }
}

}  // namespace
}  // namespace ldgs::daemon::hub

namespace ldgs::daemon::hub {
namespace {

// Six chapters: three adopt in 2026-03, three do not; values hand-set.
std::unique_ptr<WorksNetwork> HandMadeNetwork(const std::vector<std::vector<double>>& values) {
  auto net = std::make_unique<WorksNetwork>(static_cast<int>(values.size()));
  net->values = values;
  for (size_t c = 0; c < 3; ++c) net->adopted[c] = 2;  // 2026-03: base 2026-02
  return net;
}

TEST(WorksTest, AFigureThatShowsAdoptersAtTheBoundOrAZeroBaseIsNotPublished) {
  const std::vector<double> down = {100, 100, 90, 80, 70, 50};
  const std::vector<double> flat = {100, 100, 100, 100, 100, 90};
  const std::vector<double> to_zero = {100, 40, 30, 20, 10, 0};
  // Published: changes of +0.5 for the adopters, +0.1 for the others (hand-computed).
  {
    auto net = HandMadeNetwork({down, down, down, flat, flat, flat});
    ASSERT_TRUE(net->Build(false).ok());
    ASSERT_TRUE(net->Run().ok());
    absl::StatusOr<storage::StoredEntry> cell = net->Cell();
    ASSERT_TRUE(cell.ok()) << cell.status();
    EXPECT_NEAR(cell->record.rollup().mean(), 0.5, 1e-9);
    EXPECT_NEAR(cell->record.rollup().others_mean(), 0.1, 1e-9);
  }
  // Every adopter at 0 (a change of +100 %, the bound of a metric that cannot go below 0):
  // the mean would say so; nothing is published.
  {
    auto net = HandMadeNetwork({to_zero, to_zero, to_zero, flat, flat, flat});
    ASSERT_TRUE(net->Build(false).ok());
    ASSERT_TRUE(net->Run().ok());
    EXPECT_TRUE(absl::IsNotFound(net->Cell().status()));
  }
  // Two of three at 0: adopter 2 takes its own change away and learns the other two are at
  // the bound; nothing is published.
  {
    auto net = HandMadeNetwork({to_zero, to_zero, down, flat, flat, flat});
    ASSERT_TRUE(net->Build(false).ok());
    ASSERT_TRUE(net->Run().ok());
    EXPECT_TRUE(absl::IsNotFound(net->Cell().status()));
  }
  // An adopter whose base value is 0 has no change: leaving it out would tell its base was
  // 0, so nothing is published.
  {
    std::vector<double> zero_base = down;
    zero_base[1] = 0;  // 2026-02, the base of a 2026-03 adoption
    auto net = HandMadeNetwork({down, down, down, zero_base, flat, flat, flat});
    net->adopted[3] = 2;
    ASSERT_TRUE(net->Build(false).ok());
    ASSERT_TRUE(net->Run().ok());
    EXPECT_TRUE(absl::IsNotFound(net->Cell().status()));
  }
}

}  // namespace
}  // namespace ldgs::daemon::hub
