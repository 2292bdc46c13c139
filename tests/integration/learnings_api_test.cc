// The learnings Admin RPCs through real processes: ListRecords paging, refusals of bad
// input (with nothing written), adapt and outcome as one write each, "what's working"
// pooled up a hub tree to the national hub, and catalogue search with facets and audiences.
#include <algorithm>
#include <chrono>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "record/record_validation.h"
#include "tests/support/federation.h"
#include "tests/support/node_process.h"
#include "tests/support/record_helpers.h"
#include "tests/support/temp_dir.h"

namespace ldgs {
namespace {

using ::ldgs::testing::Arrives;
using ::ldgs::testing::CommandResult;
using ::ldgs::testing::NodeProcess;
using ::ldgs::testing::Observe;
using ::ldgs::testing::RollupBecomes;
using ::testing::HasSubstr;

constexpr auto kDeadline = std::chrono::seconds(60);
// Sixteen TLS processes share the lead's two cores: the hub tree's waits get longer.
constexpr auto kTreeDeadline = std::chrono::seconds(180);

// One Admin call on `node` with its token (or, `with_token` false, with none at all).
template <typename Request, typename Response>
grpc::Status Call(const NodeProcess& node,
                  grpc::Status (v1::Admin::Stub::*rpc)(grpc::ClientContext*, const Request&,
                                                       Response*),
                  const Request& request, Response* response, bool with_token = true) {
  grpc::ClientContext context;
  if (with_token) {
    node.Authorize(&context);
  } else {
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  }
  std::unique_ptr<v1::Admin::Stub> stub = node.AdminStub();
  return (stub.get()->*rpc)(&context, request, response);
}

// `status` has `code` and a message for people.
::testing::AssertionResult Refused(const grpc::Status& status, grpc::StatusCode code) {
  if (status.error_code() != code) {
    return ::testing::AssertionFailure() << "status " << status.error_code() << " ("
                                         << status.error_message() << "), wanted " << code;
  }
  if (status.error_message().empty()) {
    return ::testing::AssertionFailure() << "status " << code << " without a message";
  }
  return ::testing::AssertionSuccess();
}

v1::Record PutPractice(const NodeProcess& node, const std::string& title, v1::Visibility visibility,
                       const std::vector<std::string>& issue_areas = {}) {
  v1::PutRecordRequest request;
  request.set_visibility(visibility);
  v1::Practice* practice = request.mutable_body()->mutable_practice();
  practice->set_title(title);
  practice->set_summary("What " + title + " does, and for whom.");
  for (const std::string& area : issue_areas) practice->add_issue_areas(area);
  v1::Record written;
  grpc::Status status = node.Put(request, &written);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return written;
}

std::map<std::string, uint32_t> FacetCounts(const v1::SearchCatalogueResponse& response,
                                            const std::string& name) {
  std::map<std::string, uint32_t> counts;
  for (const v1::Facet& facet : response.facets()) {
    if (facet.name() != name) continue;
    for (const v1::FacetValue& value : facet.values()) counts[value.value()] = value.count();
  }
  return counts;
}

std::set<std::string> HitTitles(const v1::SearchCatalogueResponse& response) {
  std::set<std::string> titles;
  for (const v1::CatalogueHit& hit : response.hits()) {
    titles.insert(hit.record().has_practice() ? hit.record().practice().title()
                                              : hit.record().story().title());
  }
  return titles;
}

std::string StoryId(int i) {
  std::string digits = std::to_string(i);
  return "story-" + std::string(4 - std::min<size_t>(4, digits.size()), '0') + digits;
}

// ---- One node on its own: paging and the catalogue ----

class LoneChapterTest : public ::testing::Test {
 protected:
  LoneChapterTest() : node_(dir_.Sub("chapter"), "Lone chapter") {}
  void SetUp() override { ASSERT_TRUE(node_.Start()); }

  ldgs::testing::TempDir dir_;
  NodeProcess node_;
};

TEST_F(LoneChapterTest, ListRecordsPagesOfAThousandGiveEveryRecordExactlyOnce) {
  constexpr int kStories = 2500;
  const std::string file = dir_.Sub("stories.jsonl");
  {
    std::ofstream out(file);
    for (int i = 0; i < kStories; ++i) {
      out << R"({"kind":"story","visibility":"private","id":")" << StoryId(i)
          << R"(","body":{"title":"Story )" << i << R"("}})"
          << "\n";
    }
  }
  CommandResult imported = node_.Ctl({"import", file});
  ASSERT_EQ(imported.exit_code, 0) << imported.err;
  EXPECT_THAT(imported.out, HasSubstr("imported 2500 records"));

  // The count to compare with, independent of paging: GetStatus counts live records by kind.
  v1::NodeStatus status;
  grpc::Status got = Call(node_, &v1::Admin::Stub::GetStatus, v1::GetStatusRequest(), &status);
  ASSERT_TRUE(got.ok()) << got.error_message();
  uint64_t held = 0, stories = 0;
  for (const v1::KindCount& kc : status.records()) {
    held += kc.count();
    if (kc.kind() == v1::KIND_STORY) stories = kc.count();
  }
  EXPECT_EQ(stories, 2500u);
  ASSERT_GT(held, 2000u);
  ASSERT_LE(held, 3000u);  // three pages of 1000, as below

  std::multiset<std::string> seen;
  std::vector<size_t> page_sizes;
  std::string token;
  bool truncated = true;
  while (truncated && page_sizes.size() < 10) {  // 10: a bound should the token never end
    v1::ListRecordsRequest request;
    request.set_limit(1000);
    request.set_page_token(token);
    v1::ListRecordsResponse page;
    grpc::Status listed = Call(node_, &v1::Admin::Stub::ListRecords, request, &page);
    ASSERT_TRUE(listed.ok()) << "page " << page_sizes.size() << ": " << listed.error_message();
    page_sizes.push_back(static_cast<size_t>(page.records_size()));
    for (const v1::Record& r : page.records()) seen.insert(r.origin() + "/" + r.id());
    truncated = page.truncated();
    token = page.next_page_token();
    EXPECT_EQ(truncated, !token.empty()) << "page " << page_sizes.size();
  }
  ASSERT_EQ(page_sizes.size(), 3u);
  EXPECT_EQ(page_sizes[0], 1000u);
  EXPECT_EQ(page_sizes[1], 1000u);
  EXPECT_EQ(page_sizes[2], static_cast<size_t>(held - 2000));
  const std::set<std::string> distinct(seen.begin(), seen.end());
  for (const std::string& key : distinct) EXPECT_EQ(seen.count(key), 1u) << key;
  EXPECT_EQ(distinct.size(), static_cast<size_t>(held));
  EXPECT_EQ(seen.size(), static_cast<size_t>(held));
  for (int i = 0; i < kStories; ++i) {
    EXPECT_EQ(seen.count(node_.node_id() + "/" + StoryId(i)), 1u) << StoryId(i);
  }
}

TEST_F(LoneChapterTest, ListRecordsRefusesAPageTokenItNeverGave) {
  for (const std::string& garbage :
       {std::string("zz"), std::string("abc"), std::string(3000, 'a')}) {
    SCOPED_TRACE(garbage.substr(0, 8) + "... (" + std::to_string(garbage.size()) + " chars)");
    v1::ListRecordsRequest request;
    request.set_limit(1000);
    request.set_page_token(garbage);
    v1::ListRecordsResponse page;
    EXPECT_TRUE(Refused(Call(node_, &v1::Admin::Stub::ListRecords, request, &page),
                        grpc::StatusCode::INVALID_ARGUMENT));
    EXPECT_EQ(page.records_size(), 0);
  }
}

TEST_F(LoneChapterTest, CatalogueSearchCountsFacetsFiltersAndShowsHubOnlyPracticesToTheOperator) {
  const v1::Record fund =
      PutPractice(node_, "Landlord risk mitigation fund", v1::VISIBILITY_PUBLIC, {"homelessness"});
  const v1::Record navigator = PutPractice(node_, "Veterans housing navigator",
                                           v1::VISIBILITY_NETWORK, {"veterans-housing"});
  const v1::Record roundtable =
      PutPractice(node_, "Quarterly hubvisible roundtable", v1::VISIBILITY_HUB, {"homelessness"});
  ASSERT_FALSE(fund.id().empty());
  ASSERT_FALSE(navigator.id().empty());
  ASSERT_FALSE(roundtable.id().empty());
  auto search = [&](v1::Audience audience, const std::string& query,
                    const std::vector<std::string>& issue_areas) {
    v1::SearchCatalogueRequest request;
    request.set_audience(audience);
    request.set_query(query);
    for (const std::string& area : issue_areas) request.add_issue_areas(area);
    v1::SearchCatalogueResponse response;
    grpc::Status status = Call(node_, &v1::Admin::Stub::SearchCatalogue, request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response;
  };

  // The network sees the public and the network practice, one issue area each.
  const v1::SearchCatalogueResponse network = search(v1::AUDIENCE_NETWORK, "", {});
  EXPECT_EQ(network.matches(), 2u);
  EXPECT_EQ(HitTitles(network),
            (std::set<std::string>{"Landlord risk mitigation fund", "Veterans housing navigator"}));
  EXPECT_EQ(FacetCounts(network, "issue_area"),
            (std::map<std::string, uint32_t>{{"homelessness", 1}, {"veterans-housing", 1}}));
  EXPECT_EQ(FacetCounts(network, "region"), (std::map<std::string, uint32_t>{{"test-region", 2}}));

  // A filter narrows the matches, and the facets count over what is left.
  const v1::SearchCatalogueResponse veterans =
      search(v1::AUDIENCE_NETWORK, "", {"veterans-housing"});
  EXPECT_EQ(veterans.matches(), 1u);
  EXPECT_EQ(HitTitles(veterans), (std::set<std::string>{"Veterans housing navigator"}));
  EXPECT_EQ(FacetCounts(veterans, "issue_area"),
            (std::map<std::string, uint32_t>{{"veterans-housing", 1}}));

  // The operator sees the hub-only practice too.
  const v1::SearchCatalogueResponse operator_view = search(v1::AUDIENCE_OPERATOR, "", {});
  EXPECT_EQ(operator_view.matches(), 3u);
  EXPECT_EQ(FacetCounts(operator_view, "issue_area"),
            (std::map<std::string, uint32_t>{{"homelessness", 2}, {"veterans-housing", 1}}));
  const v1::SearchCatalogueResponse homelessness =
      search(v1::AUDIENCE_OPERATOR, "", {"homelessness"});
  EXPECT_EQ(HitTitles(homelessness), (std::set<std::string>{"Landlord risk mitigation fund",
                                                            "Quarterly hubvisible roundtable"}));

  // Found by a word of its title for the operator only.
  const v1::SearchCatalogueResponse found = search(v1::AUDIENCE_OPERATOR, "hubvisible", {});
  EXPECT_EQ(found.matches(), 1u);
  EXPECT_EQ(HitTitles(found), (std::set<std::string>{"Quarterly hubvisible roundtable"}));
  for (v1::Audience audience : {v1::AUDIENCE_NETWORK, v1::AUDIENCE_PUBLIC}) {
    SCOPED_TRACE(v1::Audience_Name(audience));
    const v1::SearchCatalogueResponse hidden = search(audience, "hubvisible", {});
    EXPECT_EQ(hidden.matches(), 0u);
    EXPECT_EQ(hidden.hits_size(), 0);
  }

  // The public sees the public practice only.
  const v1::SearchCatalogueResponse open = search(v1::AUDIENCE_PUBLIC, "", {});
  EXPECT_EQ(open.matches(), 1u);
  EXPECT_EQ(HitTitles(open), (std::set<std::string>{"Landlord risk mitigation fund"}));
  EXPECT_EQ(FacetCounts(open, "issue_area"),
            (std::map<std::string, uint32_t>{{"homelessness", 1}}));
}

// ---- A hub and two chapters: refusals, adapt and outcome ----

class AdaptAndOutcomeTest : public ::testing::Test {
 protected:
  AdaptAndOutcomeTest() {
    a_ = &fed_.AddChapter("Rockford", "midwest", &hub_);
    b_ = &fed_.AddChapter("Ames", "midwest", &hub_);
  }

  void SetUp() override {
    ASSERT_TRUE(fed_.Start());
    theirs_ =
        PutPractice(*a_, "Landlord risk mitigation fund", v1::VISIBILITY_NETWORK, {"homelessness"});
    own_practice_ = PutPractice(*b_, "Youth drop-in outreach", v1::VISIBILITY_NETWORK);
    own_story_ = ldgs::testing::PutStory(*b_, "A winter count", v1::VISIBILITY_NETWORK);
    ASSERT_FALSE(theirs_.id().empty());
    ASSERT_FALSE(own_practice_.id().empty());
    ASSERT_FALSE(own_story_.id().empty());
    ASSERT_TRUE(Arrives(*b_, theirs_));
    ASSERT_TRUE(Arrives(*a_, own_story_));
    // Quiet from here: nothing more travels, so B's feed moves only by what B writes.
    for (const NodeProcess* node : fed_.nodes()) ASSERT_TRUE(node->SyncWait());
  }

  v1::RecordRef Ref(const v1::Record& record) const {
    v1::RecordRef ref;
    ref.set_origin(record.origin());
    ref.set_id(record.id());
    return ref;
  }

  ldgs::testing::Federation fed_{ldgs::testing::Federation::Options{.tls = true}};
  NodeProcess& hub_ = fed_.AddHub("Midwest hub", "midwest");
  NodeProcess* a_ = nullptr;
  NodeProcess* b_ = nullptr;
  v1::Record theirs_;        // A's practice, held at B
  v1::Record own_practice_;  // B's
  v1::Record own_story_;     // B's
};

TEST_F(AdaptAndOutcomeTest, BadInputToEachLearningsRpcIsRefusedWithAMessageAndWritesNothing) {
  const NodeProcess& b = *b_;
  // A node ID of a node this federation never heard of.
  const NodeProcess stranger(fed_.dir().Sub("stranger"), "Stranger");
  const uint64_t before = b.LastSequence();
  using Code = grpc::StatusCode;
  const auto kUnknownAudience = static_cast<v1::Audience>(9);

  {
    v1::SearchCatalogueResponse response;
    v1::SearchCatalogueRequest request;
    request.set_limit(201);
    EXPECT_TRUE(Refused(Call(b, &v1::Admin::Stub::SearchCatalogue, request, &response),
                        Code::INVALID_ARGUMENT))
        << "limit 201";
    request.set_limit(0);
    request.set_query(std::string(2048, 'q'));
    EXPECT_TRUE(Refused(Call(b, &v1::Admin::Stub::SearchCatalogue, request, &response),
                        Code::INVALID_ARGUMENT))
        << "2 KiB query";
    request.set_query("landlord");
    request.set_audience(kUnknownAudience);
    EXPECT_TRUE(Refused(Call(b, &v1::Admin::Stub::SearchCatalogue, request, &response),
                        Code::INVALID_ARGUMENT))
        << "audience 9";
  }
  {
    v1::RankPracticesResponse response;
    v1::RankPracticesRequest request;
    request.set_audience(kUnknownAudience);
    EXPECT_TRUE(Refused(Call(b, &v1::Admin::Stub::RankPractices, request, &response),
                        Code::INVALID_ARGUMENT))
        << "audience 9";
    request.set_audience(v1::AUDIENCE_NETWORK);
    request.set_limit(201);
    EXPECT_TRUE(Refused(Call(b, &v1::Admin::Stub::RankPractices, request, &response),
                        Code::INVALID_ARGUMENT))
        << "limit 201";
  }
  {
    v1::ProvenanceResponse response;
    v1::ProvenanceRequest request;
    request.mutable_practice()->set_origin("x");
    request.mutable_practice()->set_id(theirs_.id());
    EXPECT_TRUE(Refused(Call(b, &v1::Admin::Stub::GetProvenance, request, &response),
                        Code::INVALID_ARGUMENT))
        << "origin x";
    request.mutable_practice()->set_origin(stranger.node_id());
    EXPECT_TRUE(
        Refused(Call(b, &v1::Admin::Stub::GetProvenance, request, &response), Code::NOT_FOUND))
        << "an unknown node";
    *request.mutable_practice() = Ref(theirs_);
    request.set_audience(kUnknownAudience);
    EXPECT_TRUE(Refused(Call(b, &v1::Admin::Stub::GetProvenance, request, &response),
                        Code::INVALID_ARGUMENT))
        << "audience 9";
  }
  {
    v1::CompareResponse response;
    v1::CompareRequest request;
    EXPECT_TRUE(
        Refused(Call(b, &v1::Admin::Stub::Compare, request, &response), Code::INVALID_ARGUMENT))
        << "no metric";
    request.set_metric("not a code!");
    EXPECT_TRUE(
        Refused(Call(b, &v1::Admin::Stub::Compare, request, &response), Code::INVALID_ARGUMENT))
        << "a metric that is not a code";
  }
  {
    v1::NetworkReport response;
    v1::ReportRequest request;
    request.set_audience(kUnknownAudience);
    EXPECT_TRUE(
        Refused(Call(b, &v1::Admin::Stub::GetReport, request, &response), Code::INVALID_ARGUMENT))
        << "audience 9";
    request.set_audience(v1::AUDIENCE_NETWORK);
    request.set_top(201);
    EXPECT_TRUE(
        Refused(Call(b, &v1::Admin::Stub::GetReport, request, &response), Code::INVALID_ARGUMENT))
        << "top 201";
  }
  {
    v1::Record response;
    v1::AdaptPracticeRequest request;
    request.set_visibility(v1::VISIBILITY_NETWORK);
    *request.mutable_practice() = Ref(own_practice_);
    EXPECT_TRUE(Refused(Call(b, &v1::Admin::Stub::AdaptPractice, request, &response),
                        Code::INVALID_ARGUMENT))
        << "its own practice";
    request.mutable_practice()->set_origin(a_->node_id());
    request.mutable_practice()->set_id("practice-never-written");
    EXPECT_TRUE(
        Refused(Call(b, &v1::Admin::Stub::AdaptPractice, request, &response), Code::NOT_FOUND))
        << "a practice not held";
    *request.mutable_practice() = Ref(theirs_);  // held: only the period is wrong below
    request.set_adopted_period("2099-01");
    EXPECT_TRUE(Refused(Call(b, &v1::Admin::Stub::AdaptPractice, request, &response),
                        Code::INVALID_ARGUMENT))
        << "a future period";
    request.set_adopted_period("2026-13");
    EXPECT_TRUE(Refused(Call(b, &v1::Admin::Stub::AdaptPractice, request, &response),
                        Code::INVALID_ARGUMENT))
        << "month 13";
  }
  {
    v1::Record response;
    v1::RecordOutcomeRequest request;
    request.set_id(own_story_.id());
    request.set_outcome(v1::OUTCOME_WORKED);
    EXPECT_TRUE(Refused(Call(b, &v1::Admin::Stub::RecordOutcome, request, &response),
                        Code::INVALID_ARGUMENT))
        << "a story";
    request.set_id(own_practice_.id());
    request.set_outcome(v1::OUTCOME_UNSPECIFIED);
    EXPECT_TRUE(Refused(Call(b, &v1::Admin::Stub::RecordOutcome, request, &response),
                        Code::INVALID_ARGUMENT))
        << "no outcome";
  }

  // Without the token, every one of them is refused before it reads anything.
  {
    v1::SearchCatalogueResponse search;
    EXPECT_TRUE(Refused(
        Call(b, &v1::Admin::Stub::SearchCatalogue, v1::SearchCatalogueRequest(), &search, false),
        Code::UNAUTHENTICATED));
    v1::RankPracticesResponse rank;
    EXPECT_TRUE(
        Refused(Call(b, &v1::Admin::Stub::RankPractices, v1::RankPracticesRequest(), &rank, false),
                Code::UNAUTHENTICATED));
    v1::ProvenanceRequest provenance_request;
    *provenance_request.mutable_practice() = Ref(theirs_);
    v1::ProvenanceResponse provenance;
    EXPECT_TRUE(
        Refused(Call(b, &v1::Admin::Stub::GetProvenance, provenance_request, &provenance, false),
                Code::UNAUTHENTICATED));
    v1::CompareRequest compare_request;
    compare_request.set_metric("actively_homeless");
    v1::CompareResponse compare;
    EXPECT_TRUE(Refused(Call(b, &v1::Admin::Stub::Compare, compare_request, &compare, false),
                        Code::UNAUTHENTICATED));
    v1::NetworkReport report;
    EXPECT_TRUE(Refused(Call(b, &v1::Admin::Stub::GetReport, v1::ReportRequest(), &report, false),
                        Code::UNAUTHENTICATED));
    v1::AdaptPracticeRequest adapt_request;
    *adapt_request.mutable_practice() = Ref(theirs_);
    adapt_request.set_adopted_period("2026-03");
    v1::Record adapted;
    EXPECT_TRUE(Refused(Call(b, &v1::Admin::Stub::AdaptPractice, adapt_request, &adapted, false),
                        Code::UNAUTHENTICATED));
    v1::RecordOutcomeRequest outcome_request;
    outcome_request.set_id(own_practice_.id());
    outcome_request.set_outcome(v1::OUTCOME_WORKED);
    v1::Record outcome;
    EXPECT_TRUE(Refused(Call(b, &v1::Admin::Stub::RecordOutcome, outcome_request, &outcome, false),
                        Code::UNAUTHENTICATED));
  }

  EXPECT_EQ(b.LastSequence(), before);
  v1::Record held;
  ASSERT_TRUE(b.Get("", own_practice_.id(), &held).ok());
  EXPECT_EQ(held.version(), own_practice_.version());
  EXPECT_EQ(held.practice().outcome(), v1::OUTCOME_UNSPECIFIED);
}

TEST_F(AdaptAndOutcomeTest, AdaptAndOutcomeAreOneWriteEachAndKeepTheirProvenance) {
  const NodeProcess& b = *b_;
  const uint64_t before_adapt = b.LastSequence();
  v1::AdaptPracticeRequest adapt;
  *adapt.mutable_practice() = Ref(theirs_);
  adapt.set_visibility(v1::VISIBILITY_NETWORK);
  adapt.set_adopted_period("2026-03");
  v1::Record copy;
  grpc::Status adapted = Call(b, &v1::Admin::Stub::AdaptPractice, adapt, &copy);
  ASSERT_TRUE(adapted.ok()) << adapted.error_message();
  EXPECT_EQ(b.LastSequence(), before_adapt + 1);
  EXPECT_EQ(copy.origin(), b.node_id());
  EXPECT_NE(copy.id(), theirs_.id());
  EXPECT_EQ(copy.visibility(), v1::VISIBILITY_NETWORK);
  EXPECT_EQ(copy.practice().adapted_from().origin(), a_->node_id());
  EXPECT_EQ(copy.practice().adapted_from().id(), theirs_.id());
  EXPECT_EQ(copy.practice().adopted_period(), "2026-03");
  EXPECT_EQ(copy.practice().title(), theirs_.practice().title());
  EXPECT_EQ(copy.practice().outcome(), v1::OUTCOME_UNSPECIFIED);
  v1::Record held;
  ASSERT_TRUE(b.Get("", copy.id(), &held).ok());
  EXPECT_EQ(held.version(), copy.version());

  const uint64_t before_outcome = b.LastSequence();
  v1::RecordOutcomeRequest outcome;
  outcome.set_id(copy.id());
  outcome.set_outcome(v1::OUTCOME_WORKED);
  outcome.set_note("tight rental market, still worked");
  v1::Record told;
  grpc::Status recorded = Call(b, &v1::Admin::Stub::RecordOutcome, outcome, &told);
  ASSERT_TRUE(recorded.ok()) << recorded.error_message();
  EXPECT_EQ(b.LastSequence(), before_outcome + 1);
  EXPECT_EQ(told.id(), copy.id());
  EXPECT_GT(told.version(), copy.version());
  EXPECT_EQ(told.practice().title(), theirs_.practice().title());
  EXPECT_EQ(told.practice().outcome(), v1::OUTCOME_WORKED);
  EXPECT_EQ(told.practice().outcome_note(), "tight rental market, still worked");
  EXPECT_EQ(told.practice().adapted_from().id(), theirs_.id());
  EXPECT_EQ(told.practice().adopted_period(), "2026-03");
  EXPECT_EQ(told.visibility(), v1::VISIBILITY_NETWORK);
}

// ---- What's working, up a hub tree ----

// A national hub; a north and a south hub under it; 7 chapters under the north, 6 under the
// south. North chapter 0 writes the practice; north 1-3 and south 0-2 adopt it in 2026-03.
//
// By hand (min_reporting 3 for both groups, the originator in neither):
//   adopters  north {1,2,3}, south {0,1,2}: 3 + 3 = 6
//   others    north {4,5,6} (0 is the originator), south {3,4,5}: 3 + 3 = 6
//   adopters' change: from 2026-02 (the period before adopting) to 2026-06: 100 -> 50,
//     (50 - 100) / 100 = -0.5, down is good: +0.5 each; mean 1.5 / 3 = 0.5 per region,
//     (1.5 + 1.5) / 6 = 0.5 pooled
//   others' change over the same span (window start 2026-02): 100 -> 90, +0.1 each; mean
//     0.1 per region and pooled
//   The originator is flat (120): counted with the others, the north's others would be 4
//   with mean 0.075.
TEST(WhatsWorkingTreeTest, AdoptersAgainstOthersIsPooledFromBothRegionsAtTheNationalHub) {
  ldgs::testing::Federation fed(ldgs::testing::Federation::Options{.tls = true});
  NodeProcess& national = fed.AddHub("National hub", "national");
  NodeProcess& north_hub = fed.AddHub("North hub", "north", &national);
  NodeProcess& south_hub = fed.AddHub("South hub", "south", &national);
  std::vector<NodeProcess*> north, south;
  for (int i = 0; i < 7; ++i) {
    north.push_back(&fed.AddChapter("North " + std::to_string(i), "north", &north_hub));
  }
  for (int i = 0; i < 6; ++i) {
    south.push_back(&fed.AddChapter("South " + std::to_string(i), "south", &south_hub));
  }
  ASSERT_TRUE(fed.Start());

  v1::PutRecordRequest define;
  define.set_visibility(v1::VISIBILITY_NETWORK);
  v1::MetricDefinition* d = define.mutable_body()->mutable_metric_definition();
  d->set_code("actively_homeless");
  d->set_name("Actively homeless");
  d->set_direction(v1::DIRECTION_DOWN_IS_GOOD);
  d->set_aggregation(v1::AGGREGATION_SUM);
  d->set_min_value(0);
  v1::Record definition;
  grpc::Status defined = national.Put(define, &definition);
  ASSERT_TRUE(defined.ok()) << defined.error_message();
  ASSERT_TRUE(Arrives(north_hub, definition));
  ASSERT_TRUE(Arrives(south_hub, definition));

  NodeProcess& originator = *north[0];
  const v1::Record practice = PutPractice(originator, "Landlord risk mitigation fund",
                                          v1::VISIBILITY_NETWORK, {"homelessness"});
  // Adopted by nobody: the ranking has something to put second.
  const v1::Record other_practice =
      PutPractice(originator, "Youth drop-in outreach", v1::VISIBILITY_NETWORK);
  ASSERT_FALSE(practice.id().empty());
  v1::RecordRef ref;
  ref.set_origin(practice.origin());
  ref.set_id(practice.id());
  // At every node but its origin (feeds are ordered: the second one arrives last).
  for (const NodeProcess* node : fed.nodes()) {
    if (node == &originator) continue;
    ASSERT_TRUE(Arrives(*node, practice));
    ASSERT_TRUE(Arrives(*node, other_practice));
  }

  const std::vector<NodeProcess*> adopters = {north[1], north[2], north[3],
                                              south[0], south[1], south[2]};
  for (const NodeProcess* adopter : adopters) {
    v1::AdaptPracticeRequest adapt;
    *adapt.mutable_practice() = ref;
    adapt.set_visibility(v1::VISIBILITY_NETWORK);
    adapt.set_adopted_period("2026-03");
    v1::Record copy;
    grpc::Status adapted = Call(*adopter, &v1::Admin::Stub::AdaptPractice, adapt, &copy);
    ASSERT_TRUE(adapted.ok()) << adapted.error_message();
    EXPECT_EQ(copy.practice().adapted_from().id(), practice.id());
  }

  const double kAdopter[6] = {100, 100, 80, 70, 60, 50};         // 2026-01 .. 2026-06
  const double kOther[6] = {100, 100, 100, 100, 100, 90};        // 2026-01 .. 2026-06
  const double kOriginator[6] = {120, 120, 120, 120, 120, 120};  // 2026-01 .. 2026-06
  for (const NodeProcess* chapter : fed.nodes()) {
    if (chapter == &national || chapter == &north_hub || chapter == &south_hub) continue;
    const bool adopted = std::find(adopters.begin(), adopters.end(), chapter) != adopters.end();
    const double* series = chapter == &originator ? kOriginator : adopted ? kAdopter : kOther;
    for (int month = 1; month <= 6; ++month) {
      ASSERT_NO_FATAL_FAILURE(Observe(*chapter, "actively_homeless",
                                      "2026-0" + std::to_string(month), series[month - 1]));
    }
  }

  // Each regional hub's own cell: its direct chapters only.
  const std::string cell_id = "works:actively_homeless:2026-06:" + record::PracticeKey(ref);
  const std::vector<std::pair<const NodeProcess*, uint32_t>> regional = {{&north_hub, 7},
                                                                         {&south_hub, 6}};
  for (const auto& [hub, chapters] : regional) {
    SCOPED_TRACE(hub->data_dir());
    v1::Rollup cell;
    ASSERT_TRUE(RollupBecomes(
        *hub, hub->node_id(), cell_id, [](const v1::Rollup& r) { return !r.withheld(); }, &cell,
        kTreeDeadline));
    EXPECT_EQ(cell.practice().origin(), ref.origin());
    EXPECT_EQ(cell.practice().id(), ref.id());
    EXPECT_EQ(cell.reporting(), 3u);
    EXPECT_EQ(cell.others(), 3u);
    EXPECT_EQ(cell.expected(), chapters);
    EXPECT_EQ(cell.window_start(), "2026-02");
    EXPECT_NEAR(cell.mean(), 0.5, 1e-9);
    EXPECT_NEAR(cell.others_mean(), 0.1, 1e-9);
    EXPECT_FALSE(cell.contribution());
  }

  // The national hub pools both subtrees. One region's figure may come first (each
  // subtree's contribution arrives on its own), so the wait is for the one pooling both.
  v1::PracticeStanding standing;
  bool pooled = false;
  for (auto deadline = std::chrono::steady_clock::now() + kTreeDeadline;
       !pooled && std::chrono::steady_clock::now() < deadline;) {
    v1::RankPracticesRequest rank;
    rank.set_metric("actively_homeless");
    rank.set_audience(v1::AUDIENCE_NETWORK);
    v1::RankPracticesResponse ranked;
    if (Call(national, &v1::Admin::Stub::RankPractices, rank, &ranked).ok()) {
      for (const v1::PracticeStanding& s : ranked.practices()) {
        if (s.practice().origin() != ref.origin() || s.practice().id() != ref.id()) continue;
        standing = s;
        const v1::OutcomeFigure& f = s.outcome();
        pooled = s.has_outcome() && !f.withheld() && f.period() == "2026-06" && f.adopters() == 6;
      }
    }
    if (pooled) break;
    v1::Record ignored;  // waits on the national hub's feed for up to 0.5 s: not a sleep
    national.Get(national.node_id(), "none", &ignored, 500).ok();
  }
  ASSERT_TRUE(pooled) << "last standing: " << standing.ShortDebugString();
  const v1::OutcomeFigure& figure = standing.outcome();
  EXPECT_EQ(standing.adoptions(), 6u);
  EXPECT_EQ(figure.hub(), national.node_id());
  EXPECT_EQ(figure.metric(), "actively_homeless");
  EXPECT_EQ(figure.adopters(), 6u);
  EXPECT_EQ(figure.others(), 6u);
  ASSERT_TRUE(figure.has_adopters_change());
  ASSERT_TRUE(figure.has_others_change());
  EXPECT_NEAR(figure.adopters_change(), 0.5, 1e-9);
  EXPECT_NEAR(figure.others_change(), 0.1, 1e-9);

  // The report ranks it first, with the same figure.
  v1::ReportRequest ask;
  ask.set_audience(v1::AUDIENCE_NETWORK);
  v1::NetworkReport report;
  grpc::Status reported = Call(national, &v1::Admin::Stub::GetReport, ask, &report);
  ASSERT_TRUE(reported.ok()) << reported.error_message();
  EXPECT_EQ(report.ranking_metric(), "actively_homeless");
  ASSERT_GE(report.top_practices_size(), 2);
  const v1::PracticeStanding& top = report.top_practices(0);
  EXPECT_EQ(top.practice().origin(), ref.origin());
  EXPECT_EQ(top.practice().id(), ref.id());
  EXPECT_EQ(top.adoptions(), 6u);
  EXPECT_EQ(top.outcome().adopters(), 6u);
  EXPECT_EQ(top.outcome().others(), 6u);
  EXPECT_NEAR(top.outcome().adopters_change(), 0.5, 1e-9);
  EXPECT_NEAR(top.outcome().others_change(), 0.1, 1e-9);
  EXPECT_EQ(report.top_practices(1).practice().id(), other_practice.id());

  // Its provenance at the national hub: six adaptations, three from each region.
  v1::ProvenanceRequest asked;
  *asked.mutable_practice() = ref;
  asked.set_audience(v1::AUDIENCE_NETWORK);
  v1::ProvenanceResponse tree;
  grpc::Status traced = Call(national, &v1::Admin::Stub::GetProvenance, asked, &tree);
  ASSERT_TRUE(traced.ok()) << traced.error_message();
  EXPECT_EQ(tree.root().practice().id(), ref.id());
  std::map<std::string, int> by_region;
  for (const v1::ProvenanceNode& child : tree.root().adaptations()) ++by_region[child.region()];
  EXPECT_EQ(by_region, (std::map<std::string, int>{{"north", 3}, {"south", 3}}));
  EXPECT_NEAR(tree.standing().outcome().adopters_change(), 0.5, 1e-9);
}

}  // namespace
}  // namespace ldgs
