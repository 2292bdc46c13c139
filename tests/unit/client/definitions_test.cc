#include "client/definitions.h"

#include "gtest/gtest.h"

namespace ldgs::client {
namespace {

v1::Record Definition(const std::string& origin, v1::Direction direction) {
  v1::Record r;
  r.set_origin(origin);
  r.mutable_metric_definition()->set_code("housed");
  r.mutable_metric_definition()->set_direction(direction);
  return r;
}

v1::NodeStatus Status() {
  v1::NodeStatus status;
  status.set_node_id("self");
  status.add_hub_chain("regional");
  status.add_hub_chain("national");
  return status;
}

TEST(DefinitionForTest, TheNearestAuthorityWinsAndOthersAreIgnored) {
  const v1::Record by_member = Definition("member", v1::DIRECTION_DOWN_IS_GOOD);
  const v1::Record by_national = Definition("national", v1::DIRECTION_UP_IS_GOOD);
  const v1::Record by_regional = Definition("regional", v1::DIRECTION_DOWN_IS_GOOD);
  const v1::Record by_self = Definition("self", v1::DIRECTION_UP_IS_GOOD);

  EXPECT_FALSE(DefinitionFor({by_member}, "housed", Status())) << "a member is no authority";
  auto d = DefinitionFor({by_member, by_national}, "housed", Status());
  ASSERT_TRUE(d);
  EXPECT_EQ(d->direction(), v1::DIRECTION_UP_IS_GOOD);
  d = DefinitionFor({by_national, by_member, by_regional}, "housed", Status());
  ASSERT_TRUE(d);
  EXPECT_EQ(d->direction(), v1::DIRECTION_DOWN_IS_GOOD);  // regional is nearer than national
  d = DefinitionFor({by_regional, by_self}, "housed", Status());
  ASSERT_TRUE(d);
  EXPECT_EQ(d->direction(), v1::DIRECTION_UP_IS_GOOD);
  EXPECT_FALSE(DefinitionFor({by_self}, "other_code", Status()));
  // Whatever order the records come in.
  d = DefinitionFor({by_self, by_regional}, "housed", Status());
  ASSERT_TRUE(d);
  EXPECT_EQ(d->direction(), v1::DIRECTION_UP_IS_GOOD);
  d = DefinitionFor({by_regional, by_national}, "housed", Status());
  ASSERT_TRUE(d);
  EXPECT_EQ(d->direction(), v1::DIRECTION_DOWN_IS_GOOD);
}

TEST(DefinitionForTest, ADeletedDefinitionDoesNotCount) {
  v1::Record deleted = Definition("self", v1::DIRECTION_UP_IS_GOOD);
  deleted.set_deleted(true);
  const v1::Record by_regional = Definition("regional", v1::DIRECTION_DOWN_IS_GOOD);
  auto d = DefinitionFor({deleted, by_regional}, "housed", Status());
  ASSERT_TRUE(d);
  EXPECT_EQ(d->direction(), v1::DIRECTION_DOWN_IS_GOOD);
}

}  // namespace
}  // namespace ldgs::client
