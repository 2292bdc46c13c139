// What the disclosure audit costs a hub per decision: one (metric, period) group of N
// direct chapters in 4 regions, published R times (each revision corrects 3 chapters),
// then the time of AuditAdmits for revision R+1. Median of 5.
//
// Usage: disclosure_audit_bench [CHAPTERS] [REVISIONS]   (default: 36 / 200 / 1000, 20)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "daemon/hub/disclosure_audit.h"

namespace {

using ldgs::daemon::hub::AuditCell;

// The network and its four regions over `versions` (a chapter's current version).
std::vector<AuditCell> Figures(const std::vector<uint64_t>& versions) {
  std::vector<AuditCell> cells(5);
  for (AuditCell& c : cells) c.published = true;
  cells[4].published = false;  // the last region withheld
  for (size_t i = 0; i < versions.size(); ++i) {
    const std::pair<std::string, uint64_t> unknown{"chapter" + std::to_string(i), versions[i]};
    cells[0].unknowns.push_back(unknown);
    cells[1 + i % 4].unknowns.push_back(unknown);
  }
  cells[0].published = false;  // the network withheld too, so that region 4 is not given away
  return cells;
}

double MedianMs(int chapters, int revisions) {
  std::vector<double> times;
  for (int run = 0; run < 5; ++run) {
    std::vector<uint64_t> versions(chapters, 1);
    ldgs::v1::PublishedGroup history;
    for (int r = 0; r < revisions; ++r) {
      ldgs::daemon::hub::AuditRecord(Figures(versions), &history);
      // Three chapters of one region (i % 4), so that its figure may move.
      for (int k = 0; k < 3; ++k) ++versions[(r * 12 + 4 * k) % chapters];
    }
    const std::vector<AuditCell> next = Figures(versions);
    const auto start = std::chrono::steady_clock::now();
    const bool admitted = ldgs::daemon::hub::AuditAdmits(history, next, {});
    const auto end = std::chrono::steady_clock::now();
    if (run == 0) std::printf("  (admitted: %s)\n", admitted ? "yes" : "no");
    times.push_back(std::chrono::duration<double, std::milli>(end - start).count());
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<int> sizes = {36, 200, 1000};
  if (argc > 1) sizes = {std::atoi(argv[1])};
  const int revisions = argc > 2 ? std::atoi(argv[2]) : 20;
  for (int n : sizes) {
    if (n < 12 || n % 4 != 0 || n > 5000 || revisions < 1 || revisions > 1000) {
      std::fprintf(
          stderr,
          "disclosure_audit_bench: CHAPTERS 12..5000, a multiple of 4, REVISIONS 1..1000\n");
      return 2;
    }
    const double ms = MedianMs(n, revisions);
    std::printf("chapters %d, revisions %d: audit %.2f ms (median of 5)\n", n, revisions, ms);
  }
  return 0;
}
