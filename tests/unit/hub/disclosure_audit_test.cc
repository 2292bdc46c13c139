#include "daemon/hub/disclosure_audit.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

// Hand-worked systems: each case says which combination of published figures gives a
// value away, so the audit's answer is checked against arithmetic done here, not its own.
namespace ldgs::daemon::hub {
namespace {

// A figure over chapters named by one letter each, at version 1, or 2 when a suffix
// follows ("dx2": d corrected).
AuditCell Cell(const std::vector<std::string>& chapters, bool published = true, double sum = 0) {
  AuditCell cell;
  cell.published = published;
  cell.sum = sum;
  for (const std::string& c : chapters) {
    const bool corrected = c.size() > 1;
    cell.unknowns.emplace_back(c.substr(0, 1), corrected ? 2 : 1);
  }
  return cell;
}

// Publishes each step in turn, as a hub would; returns whether the last was admitted.
bool AdmitsAfter(const std::vector<std::vector<AuditCell>>& steps, const AuditLimits& limits = {}) {
  v1::PublishedGroup history;
  for (size_t i = 0; i + 1 < steps.size(); ++i) {
    EXPECT_TRUE(AuditAdmits(history, steps[i], limits)) << "step " << i << " should be safe";
    AuditRecord(steps[i], &history);
  }
  return AuditAdmits(history, steps.back(), limits);
}

TEST(DisclosureAuditTest, GrowingInGroupsOfThreeIsSafe) {
  // {a,b,c} then {a..f}: the difference is d+e+f, three unknowns; a member knows one more.
  EXPECT_TRUE(AdmitsAfter({{Cell({"a", "b", "c"})}, {Cell({"a", "b", "c", "d", "e", "f"})}}));
}

TEST(DisclosureAuditTest, AVersionBesideAnOlderOneIsolatingOneChapterIsRefused) {
  // S2 = {a..f}, S3 = S2 + {g,h,i}, S4 = S2 + {i corrected}: S4 - S2 is i's new value, though
  // S4 and S3 differ in three chapters (g, h gone, i corrected).
  const std::vector<std::string> s2 = {"a", "b", "c", "d", "e", "f"};
  std::vector<std::string> s3 = s2;
  s3.insert(s3.end(), {"g", "h", "i"});
  std::vector<std::string> s4 = s2;
  s4.push_back("ix2");
  EXPECT_FALSE(AdmitsAfter({{Cell({"a", "b", "c"})}, {Cell(s2)}, {Cell(s3)}, {Cell(s4)}}));
}

TEST(DisclosureAuditTest, ALoneCorrectionIsRefused) {
  // {a,b,c,d} then {a,b,c,d corrected}: the difference is d's correction.
  EXPECT_FALSE(AdmitsAfter({{Cell({"a", "b", "c", "d"})}, {Cell({"a", "b", "c", "dx2"})}}));
}

TEST(DisclosureAuditTest, AWithheldRegionTheOthersGiveAwayIsRefused) {
  // network {a..f}, region {a,b,c} published, region {d,e,f} withheld: N - R1 = R2.
  EXPECT_FALSE(AdmitsAfter({{Cell({"a", "b", "c", "d", "e", "f"}), Cell({"a", "b", "c"}),
                             Cell({"d", "e", "f"}, false)}}));
  // The same with the network withheld too gives nothing away.
  EXPECT_TRUE(AdmitsAfter({{Cell({"a", "b", "c", "d", "e", "f"}, false), Cell({"a", "b", "c"}),
                            Cell({"d", "e", "f"}, false)}}));
}

TEST(DisclosureAuditTest, AMemberWhoSubtractsItsOwnValueIsConsidered) {
  // {a,b,c} and {a,b,c,d,e}: the public learns d+e only; d, knowing its own, learns e.
  EXPECT_FALSE(AdmitsAfter({{Cell({"a", "b", "c"})}, {Cell({"a", "b", "c", "d", "e"})}}));
}

TEST(DisclosureAuditTest, ASingleChapterFigureIsRefused) {
  EXPECT_FALSE(AdmitsAfter({{Cell({"a"})}}));
  // Two figures whose difference is one chapter: {a,b,c,d} and {b,c,d}.
  EXPECT_FALSE(AdmitsAfter({{Cell({"a", "b", "c", "d"}), Cell({"b", "c", "d"})}}));
}

TEST(DisclosureAuditTest, FiguresOfSubtreesOnlyAddNothing) {
  AuditCell subtrees_only;
  subtrees_only.published = true;
  v1::PublishedGroup history;
  EXPECT_TRUE(AuditAdmits(history, {subtrees_only}, {}));
  AuditRecord({subtrees_only}, &history);
  EXPECT_EQ(history.audit_rows_size(), 0);
}

TEST(DisclosureAuditTest, RecordingTheSameFiguresTwiceKeepsThemOnce) {
  v1::PublishedGroup history;
  const std::vector<AuditCell> cells = {Cell({"a", "b", "c"}), Cell({"a", "b"}, false)};
  AuditRecord(cells, &history);
  AuditRecord(cells, &history);
  EXPECT_EQ(history.audit_rows_size(), 2);
  EXPECT_EQ(history.audit_unknowns_size(), 3);
  AuditRecord({Cell({"a", "b", "cx2"})}, &history);
  EXPECT_EQ(history.audit_rows_size(), 3);
  EXPECT_EQ(history.audit_unknowns_size(), 4);
}

TEST(DisclosureAuditTest, AHistoryPointingPastItsUnknownsAdmitsNothing) {
  v1::PublishedGroup history;
  AuditRecord({Cell({"a", "b", "c"})}, &history);
  // Index 4 is past the history's 3 unknowns, though the candidate below numbers 6.
  history.mutable_audit_rows(0)->add_unknowns(4);
  EXPECT_FALSE(ValidateAuditHistory(history).ok());
  EXPECT_FALSE(AuditAdmits(history, {Cell({"a", "b", "c", "d", "e", "f"})}, {}));
}

TEST(DisclosureAuditTest, AHistoryNamingAnUnknownTwiceAdmitsNothing) {
  v1::PublishedGroup history;
  AuditRecord({Cell({"a", "b", "c"})}, &history);
  *history.add_audit_unknowns() = history.audit_unknowns(0);
  EXPECT_EQ(ValidateAuditHistory(history).code(), absl::StatusCode::kDataLoss);
  EXPECT_FALSE(AuditAdmits(history, {Cell({"a", "b", "c", "d", "e", "f"})}, {}));
}

TEST(DisclosureAuditTest, UnknownsKeepTheirNumbersAcrossRecords) {
  v1::PublishedGroup history;
  AuditRecord({Cell({"b", "a", "c"})}, &history);
  AuditRecord({Cell({"d", "a", "b", "c", "e", "f"})}, &history);
  ASSERT_EQ(history.audit_unknowns_size(), 6);
  EXPECT_EQ(history.audit_unknowns(0).node_id(), "b");
  EXPECT_EQ(history.audit_unknowns(1).node_id(), "a");
  EXPECT_EQ(history.audit_unknowns(3).node_id(), "d");
  // The second row names a, b, c by their first numbers.
  EXPECT_EQ(std::vector<uint32_t>(history.audit_rows(1).unknowns().begin(),
                                  history.audit_rows(1).unknowns().end()),
            (std::vector<uint32_t>{0, 1, 2, 3, 4, 5}));
}

TEST(DisclosureAuditTest, NewChaptersAllAtTheBoundAreRefused) {
  // {a,b,c,d} sum 40, then {a..g} sum 40: e, f and g are 0 each when 0 is the minimum.
  AuditLimits limits;
  limits.min_value = 0;
  limits.suppress_below = 11;
  EXPECT_FALSE(AdmitsAfter({{Cell({"a", "b", "c", "d"}, true, 40)},
                            {Cell({"a", "b", "c", "d", "e", "f", "g"}, true, 40)}},
                           limits));
  // Their sum 5 is a small count.
  EXPECT_FALSE(AdmitsAfter({{Cell({"a", "b", "c", "d"}, true, 40)},
                            {Cell({"a", "b", "c", "d", "e", "f", "g"}, true, 45)}},
                           limits));
  EXPECT_TRUE(AdmitsAfter({{Cell({"a", "b", "c", "d"}, true, 40)},
                           {Cell({"a", "b", "c", "d", "e", "f", "g"}, true, 70)}},
                          limits));
}

TEST(DisclosureAuditTest, AMemberLearningAWithheldFigureIsRefused) {
  // x alone and {y,z} withheld, {c,d,e} and the network published: the public learns
  // x+y+z only, but x learns y+z, the withheld figure.
  EXPECT_FALSE(AdmitsAfter({{Cell({"x", "y", "z", "c", "d", "e"}), Cell({"c", "d", "e"}),
                             Cell({"x"}, false), Cell({"y", "z"}, false)}}));
  // x alone and {c,d,e} withheld, the network published: x works out c+d+e, a figure of
  // three others that tells no one's value (withheld only so that x's stays hidden).
  EXPECT_TRUE(AdmitsAfter(
      {{Cell({"x", "c", "d", "e"}), Cell({"x"}, false), Cell({"c", "d", "e"}, false)}}));
}

TEST(DisclosureAuditTest, AMemberLearningAnotherChaptersCorrectionIsRefused) {
  // S2 = {a, b, r, s, t}; S3 = {a', b', g, j, k, r, s, t}; S4 = {a', b', r, s, t}: S4 - S2 is
  // a's correction plus b's; a knows its own, so it learns b's.
  EXPECT_FALSE(AdmitsAfter({{Cell({"a", "b", "r", "s", "t"})},
                            {Cell({"ax2", "bx2", "g", "j", "k", "r", "s", "t"})},
                            {Cell({"ax2", "bx2", "r", "s", "t"})}}));
}

}  // namespace
}  // namespace ldgs::daemon::hub
