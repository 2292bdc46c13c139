#include "daemon/hub/disclosure_audit.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

// Hand-worked systems: each case says which combination of published figures gives a
// value away, so the audit's answer is checked against arithmetic done here, not its own.
namespace ldgs::daemon::hub {
namespace {

// A figure over chapters named by one letter each, at version 1 unless "x2" follows.
AuditCell Cell(const std::vector<std::string>& chapters, bool published = true) {
  AuditCell cell;
  cell.published = published;
  for (const std::string& c : chapters) {
    const bool corrected = c.size() > 1;
    cell.unknowns.emplace_back(c.substr(0, 1), corrected ? 2 : 1);
  }
  return cell;
}

// Publishes each step in turn, as a hub would; returns whether the last was admitted.
bool AdmitsAfter(const std::vector<std::vector<AuditCell>>& steps) {
  v1::PublishedGroup history;
  for (size_t i = 0; i + 1 < steps.size(); ++i) {
    EXPECT_TRUE(AuditAdmits(history, steps[i])) << "step " << i << " should be safe";
    AuditRecord(steps[i], &history);
  }
  return AuditAdmits(history, steps.back());
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
  EXPECT_TRUE(AuditAdmits(history, {subtrees_only}));
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
  history.mutable_audit_rows(0)->add_unknowns(7);
  EXPECT_FALSE(AuditAdmits(history, {Cell({"a", "b", "c", "d", "e", "f"})}));
}

}  // namespace
}  // namespace ldgs::daemon::hub
