// The disclosure property of "what's working": a hub with random member chapters, random
// practices by outside origins adopted by overlapping sets of chapters (some differing by
// exactly one chapter), run through the real aggregators on a real store, then changed at
// random (observations corrected, adaptations added and deleted) and run again. A reader
// holding every version of every what's-working cell the hub published must not work out
// any chapter's change, nor the difference of two of one chapter's changes (a correction);
// nor may a member chapter, knowing its own changes, work out another's.
//
// The reader's equations are built from ground truth: for each published cell version the
// test recomputes, from the records it wrote, which chapters each group holds and which
// measure (base period, observation versions) each chapter's change was taken over, checks
// that those changes add up to the published sums, and solves the lot exactly (modulo the
// prime 2^61 - 1). It never asks the hub's own audit (disclosure_audit.h) anything.
// Seeds: LDGS_WORKS_DISCLOSURE_SEEDS (default 30), LDGS_WORKS_DISCLOSURE_SEED (first seed).
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <compare>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <iterator>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "daemon/hub/aggregator.h"
#include "daemon/hub/learning_sources.h"
#include "daemon/hub/practice_cache.h"
#include "daemon/hub/rollup.h"
#include "daemon/hub/works_aggregator.h"
#include "gtest/gtest.h"
#include "ldgs/v1/record.pb.h"
#include "record/node_key.h"
#include "record/record_validation.h"
#include "record/signed_record.h"
#include "storage/local_writer.h"
#include "storage/storage.h"
#include "tests/support/temp_dir.h"
#include "tests/unit/hub/signed_batch.h"

// Fails the test, naming the seed, unless `expr` (an absl::Status) is OK.
#define ASSERT_OK_FOR_SEED(expr)                                               \
  do {                                                                         \
    const absl::Status ldgs_status_ = (expr);                                  \
    ASSERT_TRUE(ldgs_status_.ok()) << "seed " << seed << ": " << ldgs_status_; \
  } while (0)

namespace ldgs::daemon::hub {
namespace {

constexpr uint32_t kMin = 3;  // min_reporting (RollupSettings' default)
constexpr std::array<const char*, 6> kPeriods = {"2026-01", "2026-02", "2026-03",
                                                 "2026-04", "2026-05", "2026-06"};
constexpr int kLast = 5;    // 2026-06: the period of every cell here
constexpr int kRounds = 6;  // rounds of random changes after the first publication

int EnvInt(const char* name, int fallback) {
  const char* value = std::getenv(name);
  return value ? std::atoi(value) : fallback;
}

// ---------------------------------------------------------------------------------------
// The reader's solver: exact linear algebra modulo the Mersenne prime 2^61 - 1.

constexpr uint64_t kPrime = (uint64_t{1} << 61) - 1;
using Vector = std::vector<uint64_t>;

uint64_t MulMod(uint64_t a, uint64_t b) {  // a, b < kPrime
  const unsigned __int128 x = static_cast<unsigned __int128>(a) * b;
  uint64_t r = static_cast<uint64_t>(x & kPrime) + static_cast<uint64_t>(x >> 61);
  r = (r & kPrime) + (r >> 61);
  return r >= kPrime ? r - kPrime : r;
}
uint64_t SubMod(uint64_t a, uint64_t b) { return a >= b ? a - b : a + kPrime - b; }
uint64_t InverseMod(uint64_t a) {  // Fermat: a^(p-2)
  uint64_t result = 1;
  for (uint64_t e = kPrime - 2; e; e >>= 1, a = MulMod(a, a)) {
    if (e & 1) result = MulMod(result, a);
  }
  return result;
}

// The row space of a system, kept in fully reduced row echelon form.
class RowSpace {
 public:
  explicit RowSpace(size_t columns) : columns_(columns) {}
  size_t columns() const { return columns_; }
  size_t rank() const { return rows_.size(); }

  void Add(Vector v) {
    Eliminate(&v);
    size_t pivot = 0;
    while (pivot < columns_ && v[pivot] == 0) ++pivot;
    if (pivot == columns_) return;  // already in the span
    const uint64_t inverse = InverseMod(v[pivot]);
    for (uint64_t& x : v) x = MulMod(x, inverse);
    for (auto& [p, row] : rows_) {
      const uint64_t f = row[pivot];
      if (f == 0) continue;
      for (size_t c = 0; c < columns_; ++c) {
        if (v[c] != 0) row[c] = SubMod(row[c], MulMod(f, v[c]));
      }
    }
    rows_.emplace(pivot, std::move(v));
  }

  // Whether the linear form `v` is a combination of the rows: its value is determined.
  bool Spans(Vector v) const {
    Eliminate(&v);
    return std::all_of(v.begin(), v.end(), [](uint64_t x) { return x == 0; });
  }

 private:
  void Eliminate(Vector* v) const {
    for (const auto& [pivot, row] : rows_) {
      const uint64_t f = (*v)[pivot];
      if (f == 0) continue;
      for (size_t c = 0; c < columns_; ++c) {
        if (row[c] != 0) (*v)[c] = SubMod((*v)[c], MulMod(f, row[c]));
      }
    }
  }

  size_t columns_;
  std::map<size_t, Vector> rows_;  // by pivot column
};

Vector Unit(size_t columns, size_t i) {
  Vector v(columns, 0);
  v[i] = 1;
  return v;
}
Vector Correction(size_t columns, size_t i, size_t j) {  // x_i - x_j
  Vector v(columns, 0);
  v[i] = 1;
  v[j] = kPrime - 1;
  return v;
}

// 0/1 equations, each the unknowns (column indexes) one published figure sums.
using Rows = std::vector<std::vector<size_t>>;

// The row space of `rows` for a reader who knows the unknowns marked in `known`: they are
// taken out of every row.
RowSpace SpaceOf(const Rows& rows, size_t columns, const std::vector<bool>& known) {
  RowSpace space(columns);
  for (const std::vector<size_t>& row : rows) {
    Vector v(columns, 0);
    for (size_t u : row) {
      if (!known[u]) v[u] = 1;
    }
    space.Add(std::move(v));
  }
  return space;
}

std::string MemberLabel(size_t chapter) { return "member chapter " + std::to_string(chapter); }

// What readers of `rows` work out: the public, any unknown or the correction between two
// unknowns of one chapter; each member chapter (its own unknowns known), any other
// chapter's unknown or correction. `chapter_of` and `names` are per column.
std::vector<std::string> Disclosures(const Rows& rows, const std::vector<size_t>& chapter_of,
                                     const std::vector<std::string>& names) {
  const size_t n = chapter_of.size();
  std::vector<std::string> found;
  auto read_as = [&](const std::string& reader, std::optional<size_t> member) {
    std::vector<bool> known(n, false);
    for (size_t u = 0; u < n; ++u) known[u] = member && chapter_of[u] == *member;
    const RowSpace space = SpaceOf(rows, n, known);
    for (size_t u = 0; u < n; ++u) {
      if (!known[u] && space.Spans(Unit(n, u))) found.push_back(reader + " determines " + names[u]);
    }
    for (size_t u = 0; u < n; ++u) {
      for (size_t w = u + 1; w < n; ++w) {
        if (known[u] || chapter_of[u] != chapter_of[w]) continue;
        if (space.Spans(Correction(n, u, w))) {
          found.push_back(reader + " determines the correction " + names[u] + " - " + names[w]);
        }
      }
    }
  };
  read_as("the public", std::nullopt);
  // A chapter with no unknown in any row knows nothing the public does not.
  for (size_t chapter : std::set<size_t>(chapter_of.begin(), chapter_of.end())) {
    read_as(MemberLabel(chapter), chapter);
  }
  return found;
}

bool Has(const std::vector<std::string>& found, const std::string& what) {
  return std::find(found.begin(), found.end(), what) != found.end();
}

std::string Join(const std::vector<std::string>& lines, size_t at_most) {
  std::string out;
  for (size_t i = 0; i < lines.size() && i < at_most; ++i) out += "\n  " + lines[i];
  if (lines.size() > at_most) {
    out += "\n  ... and " + std::to_string(lines.size() - at_most) + " more";
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// The network.

// One unknown of the reader: one chapter's change, measured from `base` to 2026-06 over
// the observation versions `before` and `after`.
struct Unknown {
  size_t chapter = 0;
  int base = 0;
  uint64_t before = 0, after = 0;
  auto operator<=>(const Unknown&) const = default;
};

std::string NameOf(const Unknown& u) {
  return "c" + std::to_string(u.chapter) + " " + kPeriods[static_cast<size_t>(u.base)] +
         "->2026-06 (v" + std::to_string(u.before) + ", v" + std::to_string(u.after) + ")";
}

// One group of a cell as the test recomputes it.
struct Group {
  std::vector<Unknown> unknowns;
  double sum = 0;
};
struct Expected {
  Group adopters, others;
  int window = -1;  // index of window_start; -1: no adopter has a change
};

// The published figure of a cell version.
struct Figure {
  uint32_t reporting = 0, others = 0;
  double sum = 0, others_sum = 0;
};

struct Adaptation {
  size_t chapter = 0;
  std::string id;
  int period = 0;  // index into kPeriods
  bool live = true;
};

struct Practice {
  size_t origin = 0;  // index into the outside origins
  v1::RecordRef ref;
  std::string cell_id;
  std::vector<Adaptation> adaptations;
};

// A reader's equation: one group of one published cell version.
struct Row {
  std::string what;
  std::vector<Unknown> unknowns;  // sorted
};

struct Stats {
  int versions = 0;   // distinct published (not withheld) cell versions
  int equations = 0;  // distinct rows
  int revised = 0;    // cells published with two or more different figures
  int standing = 0;   // versions whose figure stood from before (the data had moved)
  int held_back = 0;  // (run, practice) where both groups had 3 but the data's figure was not out
  int withheld = 0;   // withheld versions of a cell held before
  int one_apart = 0;  // pairs of practices whose first adopter sets differ by one chapter
  Stats& operator+=(const Stats& o) {
    versions += o.versions;
    equations += o.equations;
    revised += o.revised;
    standing += o.standing;
    held_back += o.held_back;
    withheld += o.withheld;
    one_apart += o.one_apart;
    return *this;
  }
};

// Relative change, positive when the value went down (the metric's direction), in +-100.
double DownIsGood(double before, double after) {
  // On the published grid of 0.1 % (docs/decisions.md, "What's working").
  const double change = std::clamp(-(after - before) / std::fabs(before), -100.0, 100.0);
  return std::round(change * 1000) / 1000 + 0.0;
}

using test::Batch;
using test::Identity;

class Simulation {
 public:
  explicit Simulation(uint32_t seed) : seed_(seed), rng_(seed) {}

  // The hub, its chapters and their observations, the practices and their adaptations.
  absl::Status Build() {
    std::filesystem::create_directories(dir_.Sub("store"));
    absl::StatusOr<std::unique_ptr<storage::Storage>> opened =
        storage::Storage::Open(dir_.Sub("store"));
    if (!opened.ok()) return opened.status();
    storage_ = std::move(*opened);
    writer_ =
        std::make_unique<storage::LocalWriter>(&storage_->records(), &hub_, record::RecordLimits());
    sources_.store = &storage_->records();
    sources_.state = &storage_->state();
    sources_.self_id = hub_.node_id();
    sources_.hub_chain = [] { return std::vector<std::string>(); };
    sources_.enrolled_region = [] { return std::string(); };

    n_ = static_cast<size_t>(Uniform(6, 12));
    storage::StateChange enroll;
    for (size_t c = 0; c < n_; ++c) {
      chapters_.push_back(record::NodeKey::Generate());
      v1::Enrollment e;
      e.set_node_id(chapters_.back().node_id());
      e.set_relation(v1::RELATION_MEMBER);
      e.set_region("r");
      enroll.PutEnrollment(e);
    }
    if (absl::Status s = storage_->state().Commit(enroll); !s.ok()) return s;
    v1::Record definition;
    v1::MetricDefinition* d = definition.mutable_metric_definition();
    d->set_code("m");
    d->set_name("m");
    d->set_aggregation(v1::AGGREGATION_SUM);
    d->set_direction(v1::DIRECTION_DOWN_IS_GOOD);
    d->set_min_value(0);
    if (auto put = writer_->Put("", v1::VISIBILITY_PUBLIC, definition); !put.ok()) {
      return put.status();
    }

    Batch batch;
    values_.assign(n_, std::vector<double>(kPeriods.size(), 0.0));
    versions_.assign(n_, std::vector<uint64_t>(kPeriods.size(), 0));
    for (size_t c = 0; c < n_; ++c) {
      for (int p = 0; p <= kLast; ++p) {
        values_[c][static_cast<size_t>(p)] = Uniform(10, 200);
        batch.Add(Observation(c, p), chapters_[c]);
      }
    }

    // Adopter sets: random, or one chapter more or fewer than an earlier practice's (most
    // often with the same adoption periods, so that the two share measures).
    const int count = Uniform(2, 4);
    std::vector<std::map<size_t, int>> plans;
    for (int i = 0; i < count; ++i) {
      std::map<size_t, int> plan;
      if (!plans.empty() && Chance(60)) {
        plan = plans[static_cast<size_t>(Uniform(0, static_cast<int>(plans.size()) - 1))];
        const bool add = plan.size() + 2 < n_ && (plan.size() <= 2 || Chance(50));
        if (add) {
          std::vector<size_t> outside;
          for (size_t c = 0; c < n_; ++c) {
            if (!plan.count(c)) outside.push_back(c);
          }
          plan[outside[static_cast<size_t>(Uniform(0, static_cast<int>(outside.size()) - 1))]] =
              Uniform(1, 4);
        } else {
          auto it = plan.begin();
          std::advance(it, Uniform(0, static_cast<int>(plan.size()) - 1));
          plan.erase(it);
        }
        if (Chance(25)) {  // and now and then one shared chapter adopted at another time
          auto it = plan.begin();
          std::advance(it, Uniform(0, static_cast<int>(plan.size()) - 1));
          it->second = Uniform(1, 4);
        }
      } else {
        std::vector<size_t> order(n_);
        for (size_t c = 0; c < n_; ++c) order[c] = c;
        std::shuffle(order.begin(), order.end(), rng_);
        const int size = Uniform(2, static_cast<int>(n_) - 2);
        for (int k = 0; k < size; ++k) plan[order[static_cast<size_t>(k)]] = Uniform(1, 4);
      }
      plans.push_back(plan);
    }
    for (size_t i = 0; i < plans.size(); ++i) {
      for (size_t j = i + 1; j < plans.size(); ++j) {
        size_t apart = 0;
        for (size_t c = 0; c < n_; ++c) apart += plans[i].count(c) != plans[j].count(c) ? 1 : 0;
        if (apart == 1) ++stats_.one_apart;
      }
    }

    for (size_t i = 0; i < plans.size(); ++i) {
      Practice practice;
      practice.origin = static_cast<size_t>(Uniform(0, static_cast<int>(outside_.size()) - 1));
      practice.ref.set_origin(outside_[practice.origin].node_id());
      practice.ref.set_id("practice-" + std::to_string(i));
      practice.cell_id = "works:m:2026-06:" + record::PracticeKey(practice.ref);
      v1::Record original = Identity(practice.ref.origin(), practice.ref.id(), ++version_,
                                     v1::KIND_PRACTICE, v1::VISIBILITY_NETWORK);
      original.mutable_practice()->set_title("Practice " + std::to_string(i));
      batch.Add(original, outside_[practice.origin]);
      practices_.push_back(std::move(practice));
      for (const auto& [chapter, period] : plans[i]) AddAdaptation(i, chapter, period, &batch);
    }
    if (absl::Status s = batch.ApplyTo(storage_->records()); !s.ok()) return s;

    aggregator_ = std::make_unique<Aggregator>(
        &storage_->records(), &storage_->state(), writer_.get(), hub_.node_id(), RollupSettings(),
        false, [] { return std::vector<std::string>(); }, [](const std::string&) { return false; });
    if (seed_ % 2 == 0) cache_ = std::make_unique<PracticeCache>(&sources_);
    works_ = std::make_unique<WorksAggregator>(
        &storage_->records(), &storage_->state(), writer_.get(), hub_.node_id(), RollupSettings(),
        false, [] { return std::vector<std::string>(); }, [](const std::string&) { return false; },
        cache_.get());
    return absl::OkStatus();
  }

  // One to four random changes, each applied as it comes (the aggregators run after all).
  absl::Status Round() {
    for (int k = Uniform(1, 4); k > 0; --k) {
      Batch batch;
      ChangeSomething(&batch);
      if (absl::Status s = batch.ApplyTo(storage_->records()); !s.ok()) return s;
    }
    return absl::OkStatus();
  }

  // The aggregator until it published m for 2026-06, then the works aggregator; then every
  // cell version that is new is captured.
  absl::Status Run() {
    ++run_;
    const int64_t now = PeriodEndMicros("2026-08");
    const std::string network = "rollup:m:2026-06:network";
    for (int i = 0; i < 3; ++i) {
      if (absl::StatusOr<int> n = aggregator_->RunOnce(now); !n.ok()) return n.status();
      if (storage_->records().Get(hub_.node_id(), network).ok()) break;
    }
    if (!storage_->records().Get(hub_.node_id(), network).ok()) {
      return absl::InternalError("the hub never published " + network);
    }
    if (absl::StatusOr<int> n = works_->RunOnce(now); !n.ok()) return n.status();
    return Capture();
  }

  // The reader's equations, solved as the public and as each member.
  void Check() {
    std::map<Unknown, size_t> column;
    std::vector<size_t> chapter_of;
    std::vector<std::string> names;
    Rows rows;
    for (const Row& row : rows_) {
      std::vector<size_t> ids;
      for (const Unknown& u : row.unknowns) {
        auto [it, added] = column.emplace(u, chapter_of.size());
        if (added) {
          chapter_of.push_back(u.chapter);
          names.push_back(NameOf(u));
        }
        ids.push_back(it->second);
      }
      rows.push_back(std::move(ids));
    }
    const std::vector<std::string> found = Disclosures(rows, chapter_of, names);
    EXPECT_TRUE(found.empty()) << Context()
                               << ": what the published cells give away:" << Join(found, 12)
                               << "\nfrom " << rows_.size() << " equations:" << DescribeRows()
                               << "\nchanges:" << Join(history_, 100);
    for (const auto& [cell, sums] : published_) {
      if (sums.size() >= 2) ++stats_.revised;
    }
    stats_.equations = static_cast<int>(rows_.size());
  }

  const Stats& stats() const { return stats_; }

 private:
  int Uniform(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  bool Chance(int percent) { return Uniform(0, 99) < percent; }

  std::string Context() const {
    return "seed " + std::to_string(seed_) + " (" + std::to_string(n_) + " chapters, " +
           std::to_string(practices_.size()) + " practices), run " + std::to_string(run_);
  }

  // A new version of chapter c's observation of period p, with the value in values_.
  v1::Record Observation(size_t c, int p) {
    const size_t pi = static_cast<size_t>(p);
    v1::Record r = Identity(chapters_[c].node_id(), std::string("obs:m:") + kPeriods[pi],
                            ++version_, v1::KIND_METRIC_OBSERVATION, v1::VISIBILITY_HUB);
    r.mutable_metric_observation()->set_metric("m");
    r.mutable_metric_observation()->set_period(kPeriods[pi]);
    r.mutable_metric_observation()->set_value(values_[c][pi]);
    versions_[c][pi] = r.version();
    return r;
  }

  void Correct(size_t c, int p, Batch* batch) {
    double& value = values_[c][static_cast<size_t>(p)];
    const double was = value;
    while (value == was) value = Uniform(10, 200);  // a new version always moves the change
    batch->Add(Observation(c, p), chapters_[c]);
    history_.push_back("before run " + std::to_string(run_ + 1) + ": c" + std::to_string(c) + " " +
                       kPeriods[static_cast<size_t>(p)] + " " + std::to_string(was) + " -> " +
                       std::to_string(value) + " (v" +
                       std::to_string(versions_[c][static_cast<size_t>(p)]) + ")");
  }

  void AddAdaptation(size_t practice, size_t chapter, int period, Batch* batch) {
    Practice& p = practices_[practice];
    const std::string id =
        "adapted-" + std::to_string(practice) + "-" + std::to_string(++adaptations_);
    v1::Record r = Identity(chapters_[chapter].node_id(), id, ++version_, v1::KIND_PRACTICE,
                            v1::VISIBILITY_NETWORK);
    r.mutable_practice()->set_title("Practice " + std::to_string(practice) + ", here");
    *r.mutable_practice()->mutable_adapted_from() = p.ref;
    r.mutable_practice()->set_adopted_period(kPeriods[static_cast<size_t>(period)]);
    batch->Add(r, chapters_[chapter]);
    p.adaptations.push_back({chapter, id, period, true});
    history_.push_back("before run " + std::to_string(run_ + 1) + ": c" + std::to_string(chapter) +
                       " adopts practice " + std::to_string(practice) + " in " +
                       kPeriods[static_cast<size_t>(period)]);
  }

  void ChangeSomething(Batch* batch) {
    const int roll = Uniform(0, 99);
    if (roll < 40) {  // a new version of one chapter's 2026-06 observation
      Correct(static_cast<size_t>(Uniform(0, static_cast<int>(n_) - 1)), kLast, batch);
      return;
    }
    if (roll < 60) {  // of a base period some change is measured from
      std::vector<Unknown> measured;
      for (size_t p = 0; p < practices_.size(); ++p) {
        const Expected e = OracleOf(p);
        for (const Group* g : {&e.adopters, &e.others}) {
          measured.insert(measured.end(), g->unknowns.begin(), g->unknowns.end());
        }
      }
      if (measured.empty()) {
        Correct(static_cast<size_t>(Uniform(0, static_cast<int>(n_) - 1)), Uniform(0, 3), batch);
      } else {
        const Unknown& u =
            measured[static_cast<size_t>(Uniform(0, static_cast<int>(measured.size()) - 1))];
        Correct(u.chapter, u.base, batch);
      }
      return;
    }
    if (roll < 85) {  // a new adaptation, mostly by a chapter that had not adopted it
      const size_t p = static_cast<size_t>(Uniform(0, static_cast<int>(practices_.size()) - 1));
      const std::map<size_t, int> adopters = EarliestAdoptions(p);
      std::vector<size_t> candidates;
      const bool newcomer = adopters.size() < n_ && Chance(75);
      for (size_t c = 0; c < n_; ++c) {
        if (!newcomer || !adopters.count(c)) candidates.push_back(c);
      }
      AddAdaptation(
          p, candidates[static_cast<size_t>(Uniform(0, static_cast<int>(candidates.size()) - 1))],
          Uniform(1, 4), batch);
      return;
    }
    // An adaptation deleted.
    std::vector<std::pair<size_t, size_t>> live;
    for (size_t p = 0; p < practices_.size(); ++p) {
      for (size_t k = 0; k < practices_[p].adaptations.size(); ++k) {
        if (practices_[p].adaptations[k].live) live.emplace_back(p, k);
      }
    }
    if (live.empty()) return;
    const auto [p, k] = live[static_cast<size_t>(Uniform(0, static_cast<int>(live.size()) - 1))];
    Adaptation& a = practices_[p].adaptations[k];
    v1::Record tombstone = Identity(chapters_[a.chapter].node_id(), a.id, ++version_,
                                    v1::KIND_PRACTICE, v1::VISIBILITY_NETWORK);
    tombstone.set_deleted(true);
    batch->Add(tombstone, chapters_[a.chapter]);
    a.live = false;
    history_.push_back("before run " + std::to_string(run_ + 1) + ": c" +
                       std::to_string(a.chapter) + "'s adaptation of practice " +
                       std::to_string(p) + " (" + kPeriods[static_cast<size_t>(a.period)] +
                       ") deleted");
  }

  // Each chapter that adopted practice p (a live adaptation), with its earliest period.
  std::map<size_t, int> EarliestAdoptions(size_t p) const {
    std::map<size_t, int> earliest;
    for (const Adaptation& a : practices_[p].adaptations) {
      if (!a.live || a.period > kLast) continue;
      auto [it, added] = earliest.emplace(a.chapter, a.period);
      if (!added) it->second = std::min(it->second, a.period);
    }
    return earliest;
  }

  // Whether chapter c has a change from period `base` to 2026-06, and the change.
  std::optional<std::pair<Unknown, double>> ChangeOf(size_t c, int base) const {
    const size_t b = static_cast<size_t>(base);
    if (base < 0 || base >= kLast || versions_[c][b] == 0 || versions_[c][kLast] == 0 ||
        values_[c][b] == 0) {
      return std::nullopt;
    }
    return std::make_pair(Unknown{c, base, versions_[c][b], versions_[c][kLast]},
                          DownIsGood(values_[c][b], values_[c][kLast]));
  }

  // The groups of practice p's cell as the data stands: the adopters from the period before
  // their own earliest adoption, the others from the earliest of those base periods; only
  // chapters with both observations. (The originator is an outside node: in neither.)
  Expected OracleOf(size_t p) const {
    Expected out;
    const std::map<size_t, int> adopters = EarliestAdoptions(p);
    for (const auto& [c, period] : adopters) {
      if (auto change = ChangeOf(c, period - 1)) {
        out.adopters.unknowns.push_back(change->first);
        out.adopters.sum += change->second;
        if (out.window < 0 || period - 1 < out.window) out.window = period - 1;
      }
    }
    if (out.window >= 0) {
      for (size_t c = 0; c < n_; ++c) {
        if (adopters.count(c)) continue;
        if (auto change = ChangeOf(c, out.window)) {
          out.others.unknowns.push_back(change->first);
          out.others.sum += change->second;
        }
      }
    }
    std::sort(out.adopters.unknowns.begin(), out.adopters.unknowns.end());
    std::sort(out.others.unknowns.begin(), out.others.unknowns.end());
    return out;
  }

  static bool Matches(const v1::Rollup& r, const Expected& e) {
    return r.reporting() == e.adopters.unknowns.size() && r.others() == e.others.unknowns.size() &&
           std::fabs(r.sum() - e.adopters.sum) <= 1e-6 &&
           std::fabs(r.others_sum() - e.others.sum) <= 1e-6;
  }

  static bool SameFigure(const v1::Rollup& r, const Figure& f) {
    return r.reporting() == f.reporting && r.others() == f.others &&
           std::fabs(r.sum() - f.sum) <= 1e-9 && std::fabs(r.others_sum() - f.others_sum) <= 1e-9;
  }

  static std::string Describe(const Group& g) {
    std::string out =
        std::to_string(g.unknowns.size()) + " chapters, sum " + std::to_string(g.sum) + " {";
    for (const Unknown& u : g.unknowns) out += " " + NameOf(u);
    return out + " }";
  }

  std::string DescribeRows() const {
    std::string out;
    for (const Row& row : rows_) {
      out += "\n  " + row.what + ":";
      for (const Unknown& u : row.unknowns) out += " " + NameOf(u);
    }
    return out;
  }

  void AddRow(const std::string& what, const std::vector<Unknown>& unknowns) {
    if (unknowns.empty() || !row_keys_.insert(unknowns).second) return;
    rows_.push_back({what, unknowns});
  }

  // Every new version of a what's-working cell the hub holds, as the reader's equations.
  absl::Status Capture() {
    storage::ListFilter filter;
    filter.kind = v1::KIND_ROLLUP;
    filter.origin = hub_.node_id();
    filter.limit = SIZE_MAX;
    bool truncated = false;
    absl::StatusOr<std::vector<storage::StoredEntry>> held =
        storage_->records().List(filter, &truncated);
    if (!held.ok()) return held.status();
    for (const storage::StoredEntry& entry : *held) {
      const v1::Rollup& r = entry.record.rollup();
      if (entry.record.deleted() || !r.has_practice() || r.contribution()) continue;
      if (!seen_.insert({entry.record.id(), entry.record.version()}).second) continue;
      size_t p = practices_.size();
      for (size_t i = 0; i < practices_.size(); ++i) {
        if (practices_[i].ref.origin() == r.practice().origin() &&
            practices_[i].ref.id() == r.practice().id()) {
          p = i;
        }
      }
      if (p == practices_.size()) {
        ADD_FAILURE() << Context()
                      << ": a cell of a practice nobody wrote: " << r.ShortDebugString();
        continue;
      }
      EXPECT_EQ(entry.record.id(), practices_[p].cell_id) << Context();
      EXPECT_EQ(r.metric(), "m") << Context();
      EXPECT_EQ(r.period(), "2026-06") << Context();
      if (r.withheld()) {
        ++stats_.withheld;
        EXPECT_FALSE(r.has_sum() || r.has_others_sum() || r.has_mean() || r.has_others_mean() ||
                     r.reporting() != 0 || r.others() != 0)
            << Context() << ": a withheld cell carries figures: " << r.ShortDebugString();
        last_.erase(entry.record.id());  // nothing stands after a withheld version
        continue;
      }
      ++stats_.versions;
      const Expected e = OracleOf(p);
      const std::string what =
          "practice " + std::to_string(p) + " cell v" + std::to_string(entry.record.version()) +
          " (run " + std::to_string(run_) + ", revision " + std::to_string(r.revision()) + ")";
      if (Matches(r, e)) {
        EXPECT_EQ(r.window_start(), kPeriods[static_cast<size_t>(e.window)])
            << Context() << ": " << what;
        AddRow(what + " adopters", e.adopters.unknowns);
        AddRow(what + " others", e.others.unknowns);
        last_[entry.record.id()] = {r.reporting(), r.others(), r.sum(), r.others_sum()};
        published_[entry.record.id()].insert({r.sum(), r.others_sum()});
        continue;
      }
      // A figure the hub held back stands as last published (works.h): the same equation
      // as before, nothing new to the reader.
      auto last = last_.find(entry.record.id());
      if (last != last_.end() && SameFigure(r, last->second)) {
        ++stats_.standing;
        continue;
      }
      ADD_FAILURE() << Context() << ": " << what << " publishes " << r.ShortDebugString()
                    << "\nwhich is neither the figure of the data as it stands (adopters "
                    << Describe(e.adopters) << "; others " << Describe(e.others) << "; window "
                    << (e.window < 0 ? "none" : kPeriods[static_cast<size_t>(e.window)])
                    << ") nor the cell's last published figure: the oracle or the code is wrong"
                    << "\nchanges:" << Join(history_, 100);
    }
    // Where both groups are large enough but the data's figure is not out: the hub held it
    // back (the audit, or too few adopters changed).
    for (size_t p = 0; p < practices_.size(); ++p) {
      const Expected e = OracleOf(p);
      if (e.adopters.unknowns.size() < kMin || e.others.unknowns.size() < kMin) continue;
      absl::StatusOr<storage::StoredEntry> cell =
          storage_->records().Get(hub_.node_id(), practices_[p].cell_id);
      if (!cell.ok() || cell->record.deleted() || cell->record.rollup().withheld() ||
          !Matches(cell->record.rollup(), e)) {
        ++stats_.held_back;
      }
    }
    return absl::OkStatus();
  }

  const uint32_t seed_;
  std::mt19937 rng_;
  ldgs::testing::TempDir dir_;
  record::NodeKey hub_ = record::NodeKey::Generate();
  std::unique_ptr<storage::Storage> storage_;
  std::unique_ptr<storage::LocalWriter> writer_;
  LearningSources sources_;
  std::unique_ptr<Aggregator> aggregator_;
  std::unique_ptr<PracticeCache> cache_;
  std::unique_ptr<WorksAggregator> works_;

  size_t n_ = 0;
  std::vector<record::NodeKey> chapters_;
  std::array<record::NodeKey, 2> outside_ = {record::NodeKey::Generate(),
                                             record::NodeKey::Generate()};
  std::vector<std::vector<double>> values_;      // [chapter][period]
  std::vector<std::vector<uint64_t>> versions_;  // [chapter][period]: the current version
  std::vector<Practice> practices_;
  uint64_t version_ = 1000;
  int adaptations_ = 0;
  int run_ = 0;

  std::set<std::pair<std::string, uint64_t>> seen_;  // (cell id, record version) captured
  std::map<std::string, Figure> last_;               // cell id -> its last published figure
  std::map<std::string, std::set<std::pair<double, double>>> published_;  // distinct figures
  std::vector<Row> rows_;
  std::set<std::vector<Unknown>> row_keys_;
  std::vector<std::string> history_;
  Stats stats_;
};

TEST(WorksDisclosurePropertyTest, TheSolverFindsADeterminedUnknown) {
  const std::vector<std::string> abcd = {"a", "b", "c", "d"};
  const std::vector<size_t> four_chapters = {0, 1, 2, 3};
  const std::vector<bool> nobody(4, false);
  {
    // a + b + c and a + b: c.
    const Rows rows = {{0, 1, 2}, {0, 1}};
    const RowSpace space = SpaceOf(rows, 4, nobody);
    EXPECT_TRUE(space.Spans(Unit(4, 2)));
    EXPECT_FALSE(space.Spans(Unit(4, 0)));
    EXPECT_FALSE(space.Spans(Unit(4, 1)));
    EXPECT_FALSE(space.Spans(Unit(4, 3)));
    const std::vector<std::string> found = Disclosures(rows, {0, 1, 2}, {"a", "b", "c"});
    EXPECT_TRUE(Has(found, "the public determines c")) << Join(found, 20);
    EXPECT_FALSE(Has(found, "the public determines a")) << Join(found, 20);
    EXPECT_FALSE(Has(found, "the public determines b")) << Join(found, 20);
  }
  {
    // a + b + c and b + c + d: nothing to the public; but a, knowing its own, gets d.
    const Rows rows = {{0, 1, 2}, {1, 2, 3}};
    const RowSpace space = SpaceOf(rows, 4, nobody);
    for (size_t u = 0; u < 4; ++u) EXPECT_FALSE(space.Spans(Unit(4, u))) << abcd[u];
    const std::vector<std::string> found = Disclosures(rows, four_chapters, abcd);
    for (const std::string& x : abcd) {
      EXPECT_FALSE(Has(found, "the public determines " + x)) << Join(found, 20);
    }
    EXPECT_TRUE(Has(found, MemberLabel(0) + " determines d")) << Join(found, 20);
    EXPECT_TRUE(Has(found, MemberLabel(3) + " determines a")) << Join(found, 20);
    EXPECT_FALSE(Has(found, MemberLabel(1) + " determines a")) << Join(found, 20);
  }
  {
    // a + b, b + c, a + c: every one (over the rationals, with a division by 2).
    const Rows rows = {{0, 1}, {1, 2}, {0, 2}};
    const RowSpace space = SpaceOf(rows, 3, std::vector<bool>(3, false));
    for (size_t u = 0; u < 3; ++u) EXPECT_TRUE(space.Spans(Unit(3, u))) << abcd[u];
  }
  {
    // One chapter measured twice (a1, a2): a1 + b + c and a2 + b + c tell no one's change,
    // but the correction a1 - a2.
    const Rows rows = {{0, 2, 3}, {1, 2, 3}};
    const std::vector<std::string> found = Disclosures(rows, {0, 0, 1, 2}, {"a1", "a2", "b", "c"});
    for (const char* x : {"a1", "a2", "b", "c"}) {
      EXPECT_FALSE(Has(found, std::string("the public determines ") + x)) << Join(found, 20);
    }
    EXPECT_TRUE(Has(found, "the public determines the correction a1 - a2")) << Join(found, 20);
  }
  {
    // a + b + c alone: nothing to anyone; a + b: b to a, a to b.
    EXPECT_TRUE(Disclosures({{0, 1, 2}}, {0, 1, 2}, {"a", "b", "c"}).empty());
    const std::vector<std::string> found = Disclosures({{0, 1}}, {0, 1}, {"a", "b"});
    EXPECT_FALSE(Has(found, "the public determines a")) << Join(found, 20);
    EXPECT_TRUE(Has(found, MemberLabel(0) + " determines b")) << Join(found, 20);
    EXPECT_TRUE(Has(found, MemberLabel(1) + " determines a")) << Join(found, 20);
  }
  {
    // The arithmetic: inverses and products near the prime.
    for (uint64_t a : {uint64_t{1}, uint64_t{2}, uint64_t{12345}, kPrime - 1, kPrime / 3}) {
      EXPECT_EQ(MulMod(a, InverseMod(a)), 1u) << a;
    }
    EXPECT_EQ(MulMod(kPrime - 1, kPrime - 1), 1u);  // (-1)(-1)
    EXPECT_EQ(SubMod(0, 1), kPrime - 1);
  }
}

TEST(WorksDisclosurePropertyTest, NoSequenceOfPublishedFiguresGivesAChaptersChangeAway) {
  // Hundreds of synced writes: on a tmpfs when there is one, so that the disk is not the test.
  if (access("/dev/shm", W_OK) == 0) setenv("TMPDIR", "/dev/shm", 1);
  const int seeds = EnvInt("LDGS_WORKS_DISCLOSURE_SEEDS", 30);
  const int first = EnvInt("LDGS_WORKS_DISCLOSURE_SEED", 1);
  Stats total;
  for (int s = first; s < first + seeds; ++s) {
    const uint32_t seed = static_cast<uint32_t>(s);
    Simulation simulation(seed);
    ASSERT_OK_FOR_SEED(simulation.Build());
    ASSERT_OK_FOR_SEED(simulation.Run());
    for (int round = 0; round < kRounds; ++round) {
      ASSERT_OK_FOR_SEED(simulation.Round());
      ASSERT_OK_FOR_SEED(simulation.Run());
    }
    simulation.Check();
    total += simulation.stats();
    if (::testing::Test::HasFailure()) break;  // the first failing seed says enough
  }
  std::printf(
      "works disclosure: %d seeds, %d published cell versions (%d standing from before, %d "
      "withheld versions), %d equations, %d cells revised, %d times a figure of the data was "
      "held back, %d pairs of practices one adopter apart\n",
      seeds, total.versions, total.standing, total.withheld, total.equations, total.revised,
      total.held_back, total.one_apart);
  // Not vacuous: figures went out, moved, and were held back, over sets one chapter apart.
  EXPECT_GT(total.equations, seeds);
  EXPECT_GT(total.revised, 0);
  EXPECT_GT(total.held_back, 0);
  EXPECT_GT(total.one_apart, 0);
}

}  // namespace
}  // namespace ldgs::daemon::hub
