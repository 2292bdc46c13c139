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
        false, [] { return std::set<std::string>(); }, [](const std::string&) { return false; });
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

  bool Published(const std::string& id) {
    absl::StatusOr<storage::StoredEntry> e = storage_->records().Get(key_.node_id(), id);
    return e.ok() && !e->record.rollup().withheld();
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

TEST_F(AggregatorTest, AGroupWithCorruptStateIsSkippedAndTheOthersArePublished) {
  Define("m");
  ObserveAll("m", "2026-01");
  ObserveAll("m", "2026-02");
  ASSERT_TRUE(storage_->state()
                  .Commit(storage::StateChange().SetMarker(
                      Aggregator::PublicationMarker("m", "2026-01"), "\xff\xff\xff"))
                  .ok());
  absl::StatusOr<int> written = aggregator_->RunOnce(PeriodEndMicros("2026-03"));
  ASSERT_TRUE(written.ok()) << written.status();
  ASSERT_EQ(aggregator_->skipped().size(), 1u);
  EXPECT_EQ(aggregator_->skipped()[0].rfind("m 2026-01: ", 0), 0u) << aggregator_->skipped()[0];
  EXPECT_FALSE(Published("rollup:m:2026-01:network"));
  EXPECT_TRUE(Published("rollup:m:2026-02:network"));
  // The cursor moved: a second run has nothing new and skips nothing.
  written = aggregator_->RunOnce(PeriodEndMicros("2026-03"));
  ASSERT_TRUE(written.ok());
  EXPECT_EQ(*written, 0);
  EXPECT_TRUE(aggregator_->skipped().empty());
}

TEST_F(AggregatorTest, AMetricNobodyDefinedIsNotAggregated) {
  Define("m");
  ObserveAll("made_up", "2026-01");
  ObserveAll("m", "2026-01");
  ASSERT_TRUE(aggregator_->RunOnce(PeriodEndMicros("2026-03")).ok());
  EXPECT_TRUE(Published("rollup:m:2026-01:network"));
  EXPECT_FALSE(storage_->records().Get(key_.node_id(), "rollup:made_up:2026-01:network").ok());
}

}  // namespace
}  // namespace ldgs::daemon::hub
