#include "daemon/hub/disclosure_audit.h"

#include <algorithm>
#include <map>
#include <set>

namespace ldgs::daemon::hub {
namespace {

// Arithmetic modulo the Mersenne prime 2^61 - 1. Over the rationals a 0/1 system determines
// an unknown only if it does modulo p as well, unless p divides one of the system's minors;
// for the small systems here that is as likely as guessing a 61-bit number, so the audit
// may at worst withhold a figure the rationals would allow, in practice never.
constexpr uint64_t kPrime = (uint64_t{1} << 61) - 1;

uint64_t Mul(uint64_t a, uint64_t b) {
  const unsigned __int128 x = static_cast<unsigned __int128>(a) * b;
  uint64_t r = static_cast<uint64_t>(x & kPrime) + static_cast<uint64_t>(x >> 61);
  return r >= kPrime ? r - kPrime : r;
}
uint64_t Sub(uint64_t a, uint64_t b) { return a >= b ? a - b : a + kPrime - b; }
uint64_t Inverse(uint64_t a) {
  uint64_t result = 1;
  for (uint64_t e = kPrime - 2; e; e >>= 1, a = Mul(a, a)) {
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
      for (size_t c = 0; c < columns_; ++c) row[c] = Sub(row[c], Mul(f, v[c]));
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
      for (size_t c = 0; c < columns_; ++c) (*v)[c] = Sub((*v)[c], Mul(f, row[c]));
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
  std::set<std::pair<std::vector<uint32_t>, bool>> rows;  // (sorted unknowns, published)

  explicit Equations(const v1::PublishedGroup& history) {
    for (const auto& u : history.audit_unknowns()) Number({u.node_id(), u.version()});
    for (const auto& row : history.audit_rows()) {
      std::vector<uint32_t> ids(row.unknowns().begin(), row.unknowns().end());
      corrupt = corrupt || std::any_of(ids.begin(), ids.end(),
                                       [&](uint32_t id) { return id >= unknowns.size(); });
      std::sort(ids.begin(), ids.end());
      rows.emplace(std::move(ids), row.published());
    }
  }
  bool corrupt = false;  // an index past the unknowns: the history cannot be trusted

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
    if (ids.empty() || !rows.emplace(ids, cell.published).second) return {};
    return ids;
  }

  Vector Indicator(const std::vector<uint32_t>& ids) const {
    Vector v(unknowns.size(), 0);
    for (uint32_t id : ids) v[id] = 1;
    return v;
  }
};

}  // namespace

bool AuditAdmits(const v1::PublishedGroup& history, const std::vector<AuditCell>& cells) {
  Equations eq(history);
  if (eq.corrupt) return false;
  for (const AuditCell& cell : cells) eq.Add(cell);
  const size_t n = eq.unknowns.size();
  Basis published(n);
  for (const auto& [ids, is_published] : eq.rows) {
    if (is_published) published.Add(eq.Indicator(ids));
  }
  if (published.DeterminesAnUnknown()) return false;
  for (const auto& [ids, is_published] : eq.rows) {
    if (!is_published && published.Spans(eq.Indicator(ids))) return false;
  }
  std::map<std::string, std::vector<size_t>> by_chapter;
  for (uint32_t id = 0; id < n; ++id) by_chapter[eq.unknowns[id].first].push_back(id);
  for (const auto& [chapter, ids] : by_chapter) {
    for (size_t i = 0; i < ids.size(); ++i) {
      for (size_t j = i + 1; j < ids.size(); ++j) {
        Vector correction(n, 0);
        correction[ids[i]] = 1;
        correction[ids[j]] = kPrime - 1;
        if (published.Spans(std::move(correction))) return false;
      }
    }
    const std::set<size_t> own(ids.begin(), ids.end());
    if (by_chapter.size() > 1 && published.Knowing(own).DeterminesAnUnknown(own)) return false;
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
    for (uint32_t id : ids) row->add_unknowns(id);
  }
  for (size_t i = known_unknowns; i < eq.unknowns.size(); ++i) {
    v1::PublishedGroup::AuditUnknown* u = group->add_audit_unknowns();
    u->set_node_id(eq.unknowns[i].first);
    u->set_version(eq.unknowns[i].second);
  }
}

}  // namespace ldgs::daemon::hub
