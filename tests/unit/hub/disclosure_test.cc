#include "daemon/hub/disclosure.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

// Decide on hand-made groups: each case is one rule, with the figures worked out here.
namespace ldgs::daemon::hub {
namespace {

Contributor Chapter(const std::string& node, const std::string& region, double value,
                    bool at_target = false, uint64_t version = 1) {
  Contributor c;
  c.set_node_id(node);
  c.set_block(region);
  c.set_value(value);
  c.set_chapters(1);
  c.set_at_target(at_target ? 1 : 0);
  c.set_version(version);
  return c;
}

Contributor Subtree(const std::string& hub, double sum, uint32_t chapters, uint32_t at_target) {
  Contributor c;
  c.set_node_id(hub);
  c.set_block(hub);
  c.set_subtree(true);
  c.set_value(sum);
  c.set_chapters(chapters);
  c.set_at_target(at_target);
  c.set_expected(chapters);
  c.set_version(1);
  return c;
}

GroupInputs Inputs(std::vector<Contributor> contributors) {
  GroupInputs in;
  in.definition.set_code("m");
  in.definition.set_aggregation(v1::AGGREGATION_SUM);
  in.definition.set_min_value(0);
  in.period = "2026-01";
  in.contributors = std::move(contributors);
  for (const Contributor& c : in.contributors) {
    if (!c.subtree()) ++in.expected_direct[c.block()];
  }
  in.all_reported = true;
  return in;
}

const v1::Rollup& CellOf(const GroupPublication& p, const std::string& scope) {
  for (const v1::Rollup& r : p.cells) {
    if (r.scope() == scope) return r;
  }
  static const v1::Rollup none;
  ADD_FAILURE() << "no cell " << scope;
  return none;
}

TEST(DecideTest, TheNetworksRulesApplyToItsDirectChaptersNotToTheTotal) {
  // Direct chapters 2 + 2 + 1 = 5, a small count; the subtree's 100 is published below, so
  // a network of 105 would give the 5 away.
  auto p = Decide(Inputs({Chapter("a", "r", 2), Chapter("b", "r", 2), Chapter("c", "r", 1),
                          Subtree("h", 100, 5, 0)}),
                  nullptr, {}, RollupSettings(), false, 0);
  ASSERT_TRUE(p);
  EXPECT_TRUE(CellOf(*p, "network").withheld());
  // The same with 20 + 20 + 10 direct: published.
  p = Decide(Inputs({Chapter("a", "r", 20), Chapter("b", "r", 20), Chapter("c", "r", 10),
                     Subtree("h", 100, 5, 0)}),
             nullptr, {}, RollupSettings(), false, 0);
  ASSERT_TRUE(p);
  EXPECT_FALSE(CellOf(*p, "network").withheld());
  EXPECT_EQ(CellOf(*p, "network").sum(), 150);
  // What a member hub sends does not decide it: with a metric that may go negative, a
  // subtree of -45 makes the total 5, yet the direct part (50) is what the rules look at,
  // so a hub varying its figure learns nothing from whether the network goes out.
  GroupInputs probed = Inputs({Chapter("a", "r", 20), Chapter("b", "r", 15), Chapter("c", "r", 15),
                               Subtree("h", -45, 5, 0)});
  probed.definition.clear_min_value();
  p = Decide(probed, nullptr, {}, RollupSettings(), false, 0);
  ASSERT_TRUE(p);
  EXPECT_FALSE(CellOf(*p, "network").withheld());
  EXPECT_EQ(CellOf(*p, "network").sum(), 5);
}

TEST(DecideTest, AMembersOwnPartTakenAwayMustNotLeaveTheRestAtTheBound) {
  // {20, 0, 0}: the chapter with 20 would learn that both others are at 0.
  auto p = Decide(Inputs({Chapter("a", "r", 20), Chapter("b", "r", 0), Chapter("c", "r", 0)}),
                  nullptr, {}, RollupSettings(), false, 0);
  ASSERT_TRUE(p);
  EXPECT_TRUE(CellOf(*p, "region:r").withheld());
  EXPECT_TRUE(CellOf(*p, "network").withheld());
  // {20, 15, 12}: nobody's part leaves a small count or a bound.
  p = Decide(Inputs({Chapter("a", "r", 20), Chapter("b", "r", 15), Chapter("c", "r", 12)}), nullptr,
             {}, RollupSettings(), false, 0);
  ASSERT_TRUE(p);
  EXPECT_EQ(CellOf(*p, "region:r").sum(), 47);
}

TEST(DecideTest, QuantilesAreNeverPublished) {
  std::vector<Contributor> six;
  for (int i = 0; i < 6; ++i) six.push_back(Chapter(std::string(1, 'a' + i), "r", 20 + i));
  auto p = Decide(Inputs(six), nullptr, {}, RollupSettings(), false, 0);
  ASSERT_TRUE(p);
  const v1::Rollup& network = CellOf(*p, "network");
  ASSERT_FALSE(network.withheld());
  EXPECT_FALSE(network.has_median() || network.has_q1() || network.has_q3());
}

TEST(DecideTest, AtTargetCountsOnlyInTheFirstPublicationAndOverEnoughDirectChapters) {
  // 3 at target (20, with down is good and target 20), 3 not (33, 34, 35).
  std::vector<Contributor> six;
  for (int i = 0; i < 6; ++i) {
    six.push_back(Chapter(std::string(1, 'a' + i), "r", i < 3 ? 20 : 30 + i, i < 3));
  }
  GroupInputs first = Inputs(six);
  first.definition.set_target(20);
  first.definition.set_direction(v1::DIRECTION_DOWN_IS_GOOD);
  auto p = Decide(first, nullptr, {}, RollupSettings(), false, 0);
  ASSERT_TRUE(p);
  ASSERT_TRUE(CellOf(*p, "network").has_at_target());
  EXPECT_EQ(CellOf(*p, "network").at_target(), 3u);
  // Three more chapters arrive, all at target: the new version has no at-target count, or
  // 6 of 9 beside 3 of 6 would say all three are.
  GroupInputs later = first;
  for (int i = 6; i < 9; ++i) {
    later.contributors.push_back(Chapter(std::string(1, 'a' + i), "r", 20 + i, true));
  }
  later.expected_direct["r"] = 9;
  auto q = Decide(later, &p->state, {}, RollupSettings(), false, 0);
  ASSERT_TRUE(q);
  EXPECT_EQ(CellOf(*q, "network").reporting(), 9u);
  EXPECT_FALSE(CellOf(*q, "network").has_at_target());
  // Direct chapters 1 at target of 3 beside a subtree's 5 of 8: 6 of 11 over all, but the
  // direct part alone is 1 of 3.
  GroupInputs mixed = Inputs({Chapter("a", "r", 20, true), Chapter("b", "r", 35),
                              Chapter("c", "r", 36), Subtree("h", 200, 8, 5)});
  mixed.definition.set_target(20);
  auto m = Decide(mixed, nullptr, {}, RollupSettings(), false, 0);
  ASSERT_TRUE(m);
  ASSERT_FALSE(CellOf(*m, "network").withheld());
  EXPECT_FALSE(CellOf(*m, "network").has_at_target());
}

TEST(DecideTest, AWithheldCellSaysOnlyHowManyAreEnrolled) {
  // Region s has one chapter enrolled but two reporting (one moving in): its withheld cell
  // must not say 2.
  GroupInputs in = Inputs({Chapter("a", "r", 20), Chapter("b", "r", 25), Chapter("c", "r", 30),
                           Chapter("d", "r", 35), Chapter("e", "s", 40), Chapter("f", "s", 45)});
  in.expected_direct["s"] = 1;
  auto p = Decide(in, nullptr, {}, RollupSettings(), false, 0);
  ASSERT_TRUE(p);
  ASSERT_TRUE(CellOf(*p, "region:s").withheld());
  EXPECT_EQ(CellOf(*p, "region:s").expected(), 1u);
}

}  // namespace
}  // namespace ldgs::daemon::hub
