#include "daemon/hub/aggregator.h"

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "record/signed_record.h"
#include "storage/local_writer.h"
#include "storage/storage.h"
#include "tests/support/temp_dir.h"

namespace ldgs::daemon::hub {
namespace {

// One hub on a real store with three enrolled chapters in one region.
class AggregatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::create_directories(dir_.Sub("hub"));
    auto opened = storage::Storage::Open(dir_.Sub("hub"));
    ASSERT_TRUE(opened.ok()) << opened.status();
    storage_ = std::move(*opened);
    writer_ =
        std::make_unique<storage::LocalWriter>(&storage_->records(), &key_, record::RecordLimits());
    aggregator_ = std::make_unique<Aggregator>(
        &storage_->records(), &storage_->state(), writer_.get(), key_.node_id(), RollupSettings(),
        false, [] { return std::vector<std::string>(); }, [](const std::string&) { return false; });
    for (const record::NodeKey& chapter : chapters_) {
      v1::Enrollment e;
      e.set_node_id(chapter.node_id());
      e.set_relation(v1::RELATION_MEMBER);
      e.set_region("r");
      ASSERT_TRUE(storage_->state().Commit(storage::StateChange().PutEnrollment(e)).ok());
    }
  }

  void Define(const std::string& metric) {
    v1::Record definition;
    definition.mutable_metric_definition()->set_code(metric);
    definition.mutable_metric_definition()->set_name(metric);
    definition.mutable_metric_definition()->set_aggregation(v1::AGGREGATION_SUM);
    ASSERT_TRUE(writer_->Put("", v1::VISIBILITY_NETWORK, definition).ok());
  }

  void ObserveAll(const std::string& metric, const std::string& period) {
    for (const record::NodeKey& chapter : chapters_) {
      v1::Record r;
      r.set_origin(chapter.node_id());
      r.set_id("obs:" + metric + ":" + period);
      r.set_version(++version_);
      r.set_kind(v1::KIND_METRIC_OBSERVATION);
      r.set_visibility(v1::VISIBILITY_HUB);
      r.mutable_metric_observation()->set_metric(metric);
      r.mutable_metric_observation()->set_period(period);
      r.mutable_metric_observation()->set_value(20 + version_);
      storage::IncomingRecord in{r, record::SealRecord(r, chapter), ""};
      ASSERT_TRUE(storage_->records().Apply({in}).ok());
    }
  }

  // The hub's network figure of metric m for `period` (an empty record when there is none).
  v1::Record Network(const std::string& period) {
    absl::StatusOr<storage::StoredEntry> e =
        storage_->records().Get(key_.node_id(), "rollup:m:" + period + ":network");
    return e.ok() ? e->record : v1::Record();
  }

  ldgs::testing::TempDir dir_;
  record::NodeKey key_ = record::NodeKey::Generate();
  record::NodeKey chapters_[3] = {record::NodeKey::Generate(), record::NodeKey::Generate(),
                                  record::NodeKey::Generate()};
  std::unique_ptr<storage::Storage> storage_;
  std::unique_ptr<storage::LocalWriter> writer_;
  std::unique_ptr<Aggregator> aggregator_;
  uint64_t version_ = 100;
};

TEST_F(AggregatorTest, AGroupWithCorruptStateKeepsItsFiguresAndTheOthersGoOn) {
  Define("m");
  ObserveAll("m", "2026-01");
  ObserveAll("m", "2026-02");
  const int64_t now = PeriodEndMicros("2026-03");
  ASSERT_TRUE(aggregator_->RunOnce(now).ok());
  const v1::Record january = Network("2026-01");
  const v1::Record february = Network("2026-02");
  ASSERT_TRUE(january.has_rollup() && !january.rollup().withheld());
  ASSERT_TRUE(storage_->state()
                  .Commit(storage::StateChange().SetMarker(
                      Aggregator::PublicationMarker("m", "2026-01"), "\xff\xff\xff"))
                  .ok());
  // Every chapter corrects both months: both figures would move.
  ObserveAll("m", "2026-01");
  ObserveAll("m", "2026-02");
  absl::StatusOr<int> written = aggregator_->RunOnce(now);
  ASSERT_TRUE(written.ok()) << written.status();
  ASSERT_EQ(aggregator_->skipped().size(), 1u);
  EXPECT_EQ(aggregator_->skipped()[0].rfind("m 2026-01: ", 0), 0u) << aggregator_->skipped()[0];
  EXPECT_EQ(Network("2026-01").version(), january.version());
  EXPECT_EQ(Network("2026-01").rollup().sum(), january.rollup().sum());
  EXPECT_GT(Network("2026-02").version(), february.version());
  EXPECT_NE(Network("2026-02").rollup().sum(), february.rollup().sum());
}

TEST_F(AggregatorTest, StateOlderThanThePublishedFiguresIsNotDecidedFrom) {
  Define("m");
  ObserveAll("m", "2026-01");
  const int64_t now = PeriodEndMicros("2026-03");
  ASSERT_TRUE(aggregator_->RunOnce(now).ok());
  const v1::Record published = Network("2026-01");
  ASSERT_EQ(published.rollup().revision(), 1u);
  // As after a restore from a backup taken before the first publication.
  ASSERT_TRUE(storage_->state()
                  .Commit(storage::StateChange().SetMarker(
                      Aggregator::PublicationMarker("m", "2026-01"), ""))
                  .ok());
  ObserveAll("m", "2026-01");
  ASSERT_TRUE(aggregator_->RunOnce(now).ok());
  ASSERT_EQ(aggregator_->skipped().size(), 1u);
  EXPECT_NE(aggregator_->skipped()[0].find("older than the figures published"), std::string::npos)
      << aggregator_->skipped()[0];
  EXPECT_EQ(Network("2026-01").version(), published.version());
}

TEST_F(AggregatorTest, AMetricOnlyAMemberDefinedIsNotAggregated) {
  Define("m");
  // A chapter's own definition of a code the hub never defined.
  v1::Record definition;
  definition.set_origin(chapters_[0].node_id());
  definition.set_id("metric:made_up");
  definition.set_version(++version_);
  definition.set_kind(v1::KIND_METRIC_DEFINITION);
  definition.set_visibility(v1::VISIBILITY_NETWORK);
  definition.mutable_metric_definition()->set_code("made_up");
  definition.mutable_metric_definition()->set_name("made up");
  definition.mutable_metric_definition()->set_aggregation(v1::AGGREGATION_SUM);
  storage::IncomingRecord in{definition, record::SealRecord(definition, chapters_[0]), ""};
  ASSERT_TRUE(storage_->records().Apply({in}).ok());
  ObserveAll("made_up", "2026-01");
  ObserveAll("m", "2026-01");
  ASSERT_TRUE(aggregator_->RunOnce(PeriodEndMicros("2026-03")).ok());
  EXPECT_FALSE(Network("2026-01").rollup().withheld());
  EXPECT_FALSE(storage_->records().Get(key_.node_id(), "rollup:made_up:2026-01:network").ok());
}

}  // namespace
}  // namespace ldgs::daemon::hub
