#include "daemon/hub/disclosure_audit.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <set>

namespace ldgs::daemon::hub {
namespace {

// Arithmetic modulo a prime p. A 0/1 system that determines an unknown over the rationals
// determines it modulo p too, unless p divides a denominator of the solution (a minor of
// the system); then the audit would miss it. So p is a random 61-bit prime chosen when the
// process starts: no one can build a system around it. (Modulo p a system may also seem to
// determine what the rationals do not: then a figure is withheld that could have gone.)
bool IsPrime(uint64_t n) {
  auto mul = [n](uint64_t a, uint64_t b) {
    return static_cast<uint64_t>(static_cast<unsigned __int128>(a) * b % n);
  };
  if (n < 2) return false;
  uint64_t d = n - 1;
  int s = 0;
  for (; d % 2 == 0; d /= 2) ++s;
  // These bases decide primality for every 64-bit n (Miller-Rabin, deterministic).
  for (uint64_t a : {2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37}) {
    if (n % a == 0) return n == a;
    uint64_t x = 1;
    for (uint64_t base = a, e = d; e; e >>= 1, base = mul(base, base)) {
      if (e & 1) x = mul(x, base);
    }
    if (x == 1 || x == n - 1) continue;
    bool composite = true;
    for (int r = 1; r < s && composite; ++r) {
      x = mul(x, x);
      composite = x != n - 1;
    }
    if (composite) return false;
  }
  return true;
}

uint64_t Prime() {
  static const uint64_t prime = [] {
    std::random_device device;
    std::mt19937_64 random((static_cast<uint64_t>(device()) << 32) ^ device());
    for (;;) {
      const uint64_t candidate = (random() >> 3) | (uint64_t{1} << 60) | 1;
      if (IsPrime(candidate)) return candidate;
    }
  }();
  return prime;
}

uint64_t Mul(uint64_t a, uint64_t b) {
  return static_cast<uint64_t>(static_cast<unsigned __int128>(a) * b % Prime());
}
uint64_t Sub(uint64_t a, uint64_t b) { return a >= b ? a - b : a + Prime() - b; }
uint64_t Inverse(uint64_t a) {
  uint64_t result = 1;
  for (uint64_t e = Prime() - 2; e; e >>= 1, a = Mul(a, a)) {
    if (e & 1) result = Mul(result, a);
  }
  return result;
}

using Vector = std::vector<uint64_t>;

// A basis in fully reduced row echelon form. In that form a unit vector e_j is in the span
// exactly when the row with pivot j is e_j itself, so "is some unknown determined" is a
// scan for rows with one non-zero entry.
class Basis {
 public:
  explicit Basis(size_t columns) : columns_(columns) {}
  size_t columns() const { return columns_; }

  void Add(Vector v) {
    Reduce(&v);
    size_t pivot = 0;
    while (pivot < columns_ && v[pivot] == 0) ++pivot;
    if (pivot == columns_) return;
    const uint64_t inverse = Inverse(v[pivot]);
    for (uint64_t& x : v) x = Mul(x, inverse);
    for (auto& [p, row] : rows_) {
      if (row[pivot] == 0) continue;
      const uint64_t f = row[pivot];
      for (size_t c = 0; c < columns_; ++c) {
        if (v[c] != 0) row[c] = Sub(row[c], Mul(f, v[c]));  // rows are sparse: skip zeros
      }
    }
    rows_[pivot] = std::move(v);
  }

  bool Spans(Vector v) const {
    Reduce(&v);
    return std::all_of(v.begin(), v.end(), [](uint64_t x) { return x == 0; });
  }

  // Whether some unknown outside `known` is determined.
  bool DeterminesAnUnknown(const std::set<size_t>& known = {}) const {
    for (const auto& [pivot, row] : rows_) {
      if (known.count(pivot)) continue;
      if (std::count_if(row.begin(), row.end(), [](uint64_t x) { return x != 0; }) == 1) {
        return true;
      }
    }
    return false;
  }

  // The same equations once the unknowns in `known` are known: each becomes an equation of
  // its own (a pivot that no other row then uses).
  Basis Knowing(const std::set<size_t>& known) const {
    Basis out = *this;
    for (size_t k : known) {
      Vector unit(columns_, 0);
      unit[k] = 1;
      out.Add(std::move(unit));
    }
    return out;
  }

 private:
  void Reduce(Vector* v) const {
    for (const auto& [pivot, row] : rows_) {
      const uint64_t f = (*v)[pivot];
      if (f == 0) continue;
      for (size_t c = 0; c < columns_; ++c) {
        if (row[c] != 0) (*v)[c] = Sub((*v)[c], Mul(f, row[c]));
      }
    }
  }

  size_t columns_;
  std::map<size_t, Vector> rows_;  // by pivot column
};

// The group's equations: the history's, then the candidate cells', unknowns numbered in
// the order they first appear (the history's numbering is kept).
struct Equations {
  std::vector<std::pair<std::string, uint64_t>> unknowns;
  std::map<std::pair<std::string, uint64_t>, uint32_t> index;
  // (sorted unknowns, published) -> the figure's sum over them
  std::map<std::pair<std::vector<uint32_t>, bool>, double> rows;

  // `history` must have passed ValidateAuditHistory.
  explicit Equations(const v1::PublishedGroup& history) {
    for (const auto& u : history.audit_unknowns()) Number({u.node_id(), u.version()});
    for (const auto& row : history.audit_rows()) {
      std::vector<uint32_t> ids(row.unknowns().begin(), row.unknowns().end());
      std::sort(ids.begin(), ids.end());
      rows.emplace(std::make_pair(std::move(ids), row.published()), row.sum());
    }
  }

  uint32_t Number(const std::pair<std::string, uint64_t>& unknown) {
    auto [it, added] = index.emplace(unknown, static_cast<uint32_t>(unknowns.size()));
    if (added) unknowns.push_back(unknown);
    return it->second;
  }

  // The cell's equation when it is a new one, else empty (also for a cell of subtrees
  // only, which says nothing of this hub's chapters).
  std::vector<uint32_t> Add(const AuditCell& cell) {
    std::vector<uint32_t> ids;
    for (const auto& u : cell.unknowns) ids.push_back(Number(u));
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    if (ids.empty() || !rows.emplace(std::make_pair(ids, cell.published), cell.sum).second) {
      return {};
    }
    return ids;
  }

  Vector Indicator(const std::vector<uint32_t>& ids) const {
    Vector v(unknowns.size(), 0);
    for (uint32_t id : ids) v[id] = 1;
    return v;
  }
};

// A published figure over a set and another over a subset give the sum of the rest: that
// must not be a small count, nor every one of them at a bound (a sum of 0 over counts that
// cannot be negative says each is 0). Sums come in different orders: equal within 1e-9.
bool DifferencesKeepTheRules(const Equations& eq, const AuditLimits& limits) {
  std::vector<std::pair<const std::vector<uint32_t>*, double>> published;
  for (const auto& [row, sum] : eq.rows) {
    if (row.second) published.emplace_back(&row.first, sum);
  }
  for (const auto& [outer, outer_sum] : published) {
    for (const auto& [inner, inner_sum] : published) {
      if (inner->size() >= outer->size() ||
          !std::includes(outer->begin(), outer->end(), inner->begin(), inner->end())) {
        continue;
      }
      const double rest = outer_sum - inner_sum;
      const double n = static_cast<double>(outer->size() - inner->size());
      const double tolerance = 1e-9 * std::max(1.0, std::abs(outer_sum));
      auto at = [&](double bound) { return std::abs(rest - n * bound) <= tolerance; };
      if ((limits.min_value && at(*limits.min_value)) ||
          (limits.max_value && at(*limits.max_value)) ||
          (rest > tolerance && rest < limits.suppress_below)) {
        return false;
      }
    }
  }
  return true;
}

// The group's unknowns by chapter, and each withheld figure with the chapters it holds:
// worked out once per audit, used for the public and for every member.
struct Readers {
  std::vector<std::vector<size_t>> unknowns_of;  // by chapter index
  struct Withheld {
    Vector indicator;
    std::vector<size_t> chapters;  // sorted chapter indexes
  };
  std::vector<Withheld> withheld;

  explicit Readers(const Equations& eq) {
    std::map<std::string, size_t> chapter_index;
    std::vector<size_t> chapter_of(eq.unknowns.size());
    for (size_t id = 0; id < eq.unknowns.size(); ++id) {
      auto [it, added] = chapter_index.emplace(eq.unknowns[id].first, unknowns_of.size());
      if (added) unknowns_of.emplace_back();
      unknowns_of[it->second].push_back(id);
      chapter_of[id] = it->second;
    }
    for (const auto& [row, sum] : eq.rows) {
      if (row.second) continue;
      Withheld w{eq.Indicator(row.first), {}};
      for (uint32_t id : row.first) w.chapters.push_back(chapter_of[id]);
      std::sort(w.chapters.begin(), w.chapters.end());
      w.chapters.erase(std::unique(w.chapters.begin(), w.chapters.end()), w.chapters.end());
      withheld.push_back(std::move(w));
    }
  }
};

constexpr size_t kThePublic = SIZE_MAX;

// Whether `reader` (kThePublic, or a chapter index), holding `basis` (the published
// figures, and a member's own values) still cannot tell any other unknown, the correction
// of any other chapter, or a withheld figure: the public none at all; a member none over
// fewer than min_reporting other chapters (a withheld region of 3 or more that a member of
// the region beside it works out tells it no one's value; over fewer, it would).
bool Hides(const Basis& basis, const Readers& readers, size_t reader, const AuditLimits& limits) {
  std::set<size_t> known;
  if (reader != kThePublic) {
    known.insert(readers.unknowns_of[reader].begin(), readers.unknowns_of[reader].end());
  }
  if (basis.DeterminesAnUnknown(known)) return false;
  for (const Readers::Withheld& w : readers.withheld) {
    const size_t others =
        w.chapters.size() -
        (std::binary_search(w.chapters.begin(), w.chapters.end(), reader) ? 1 : 0);
    const bool matters = reader == kThePublic || (others > 0 && others < limits.min_reporting);
    if (matters && basis.Spans(w.indicator)) return false;
  }
  for (size_t chapter = 0; chapter < readers.unknowns_of.size(); ++chapter) {
    if (chapter == reader) continue;
    const std::vector<size_t>& ids = readers.unknowns_of[chapter];
    for (size_t i = 0; i < ids.size(); ++i) {
      for (size_t j = i + 1; j < ids.size(); ++j) {
        Vector correction(basis.columns(), 0);
        correction[ids[i]] = 1;
        correction[ids[j]] = Prime() - 1;
        if (basis.Spans(std::move(correction))) return false;
      }
    }
  }
  return true;
}

}  // namespace

absl::Status ValidateAuditHistory(const v1::PublishedGroup& history) {
  std::set<std::pair<std::string, uint64_t>> seen;
  for (const auto& u : history.audit_unknowns()) {
    if (!seen.emplace(u.node_id(), u.version()).second) {
      return absl::DataLossError("publication state names an unknown twice");
    }
  }
  for (const auto& row : history.audit_rows()) {
    for (uint32_t id : row.unknowns()) {
      if (id >= static_cast<uint32_t>(history.audit_unknowns_size())) {
        return absl::DataLossError("publication state points past its unknowns");
      }
    }
  }
  return absl::OkStatus();
}

bool AuditAdmits(const v1::PublishedGroup& history, const std::vector<AuditCell>& cells,
                 const AuditLimits& limits) {
  if (!ValidateAuditHistory(history).ok()) return false;
  Equations eq(history);
  bool added = false;
  for (const AuditCell& cell : cells) added = !eq.Add(cell).empty() || added;
  if (!added) return true;  // nothing new: everything here passed when it was published
  const size_t n = eq.unknowns.size();
  Basis published(n);
  for (const auto& [row, sum] : eq.rows) {
    if (row.second) published.Add(eq.Indicator(row.first));
  }
  const Readers readers(eq);
  // The public, then each member adding its own values.
  if (!Hides(published, readers, kThePublic, limits)) return false;
  if (!DifferencesKeepTheRules(eq, limits)) return false;
  if (readers.unknowns_of.size() < 2) return true;
  for (size_t chapter = 0; chapter < readers.unknowns_of.size(); ++chapter) {
    const std::vector<size_t>& own = readers.unknowns_of[chapter];
    if (!Hides(published.Knowing(std::set<size_t>(own.begin(), own.end())), readers, chapter,
               limits)) {
      return false;
    }
  }
  return true;
}

void AuditRecord(const std::vector<AuditCell>& cells, v1::PublishedGroup* group) {
  Equations eq(*group);
  const size_t known_unknowns = eq.unknowns.size();
  for (const AuditCell& cell : cells) {
    const std::vector<uint32_t> ids = eq.Add(cell);
    if (ids.empty()) continue;
    v1::PublishedGroup::AuditRow* row = group->add_audit_rows();
    row->set_published(cell.published);
    row->set_sum(cell.sum);
    for (uint32_t id : ids) row->add_unknowns(id);
  }
  for (size_t i = known_unknowns; i < eq.unknowns.size(); ++i) {
    v1::PublishedGroup::AuditUnknown* u = group->add_audit_unknowns();
    u->set_node_id(eq.unknowns[i].first);
    u->set_version(eq.unknowns[i].second);
  }
}

}  // namespace ldgs::daemon::hub
