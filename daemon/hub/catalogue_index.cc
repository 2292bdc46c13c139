#include "daemon/hub/catalogue_index.h"

#include <xapian.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

#include "common/status_macros.h"
#include "daemon/hub/audience.h"
#include "daemon/hub/practice_forest.h"
#include "record/kind.h"
#include "spdlog/spdlog.h"
#include "storage/keys.h"

namespace ldgs::daemon::hub {
namespace {

// One stemmer for every record: the demo networks write in English. A network writing in
// another language would name it in config (Xapian ships Snowball stemmers for many).
constexpr char kLanguage[] = "english";
constexpr char kCursorKey[] = "feed_seq";
constexpr char kEpochKey[] = "feed_epoch";
constexpr char kFormatKey[] = "format";
constexpr char kFormat[] = "1";
constexpr size_t kFeedBatch = 1000;
constexpr uint32_t kDefaultLimit = 20;
constexpr uint32_t kMaxLimit = 200;
constexpr size_t kMaxQueryBytes = 1024;
constexpr size_t kMaxFilterValues = 32;
constexpr char kListSeparator = '\x1f';

// Value slots holding each facet's values, separated by kListSeparator.
enum Slot : Xapian::valueno { kIssueArea, kCommunity, kStrategy, kRegion, kOutcome, kParent };
struct FacetSpec {
  Slot slot;
  const char* name;
  const char* prefix;  // of the filter terms
};
constexpr FacetSpec kFacets[] = {{kIssueArea, "issue_area", "XI"},
                                 {kCommunity, "community", "XC"},
                                 {kStrategy, "strategy", "XS"},
                                 {kRegion, "region", "XR"},
                                 {kOutcome, "outcome", "XO"}};

// Origins are fixed-length node IDs, so origin ':' id is unambiguous, and at most 182 bytes
// (Xapian's terms end at 245).
std::string IdTerm(const std::string& origin, const std::string& id) {
  std::string term = "Q";
  term.append(origin).append(":").append(id);
  return term;
}

constexpr size_t kMaxTermBytes = 240;

std::string OutcomeName(v1::Outcome outcome) { return std::string(record::OutcomeName(outcome)); }

// Counts each value of a multi-valued slot once per matching document.
class ListCountSpy : public Xapian::MatchSpy {
 public:
  explicit ListCountSpy(Xapian::valueno slot) : slot_(slot) {}
  void operator()(const Xapian::Document& doc, double) override {
    const std::string list = doc.get_value(slot_);
    size_t start = 0;
    while (start < list.size()) {
      size_t end = list.find(kListSeparator, start);
      if (end == std::string::npos) end = list.size();
      if (end > start) ++counts_[list.substr(start, end - start)];
      start = end + 1;
    }
  }
  const std::map<std::string, uint32_t>& counts() const { return counts_; }

 private:
  const Xapian::valueno slot_;
  std::map<std::string, uint32_t> counts_;
};

template <typename List>
void AddFacet(Xapian::Document& doc, const FacetSpec& facet, const List& values) {
  std::string joined;
  std::set<std::string> seen;
  for (const std::string& value : values) {
    if (value.empty() || !seen.insert(value).second) continue;
    if (!joined.empty()) joined.push_back(kListSeparator);
    joined += value;
    std::string term = facet.prefix;
    term.append(value);
    if (term.size() <= kMaxTermBytes) doc.add_boolean_term(term);
  }
  doc.add_value(facet.slot, joined);
}

absl::Status FromXapian(const Xapian::Error& e, const std::string& what) {
  return absl::InternalError("catalogue index: " + what + ": " + e.get_msg());
}

}  // namespace

CatalogueIndex::CatalogueIndex(std::string dir, const LearningSources& sources,
                               std::unique_ptr<Xapian::WritableDatabase> db)
    : dir_(std::move(dir)), sources_(sources), db_(std::move(db)) {}

CatalogueIndex::~CatalogueIndex() = default;

absl::StatusOr<std::unique_ptr<CatalogueIndex>> CatalogueIndex::Open(
    const std::string& dir, const LearningSources& sources) {
  // An index that cannot be opened is only a cache of the store: start it again.
  for (int attempt = 0; attempt < 2; ++attempt) {
    try {
      auto db = std::make_unique<Xapian::WritableDatabase>(dir, Xapian::DB_CREATE_OR_OPEN);
      return std::unique_ptr<CatalogueIndex>(new CatalogueIndex(dir, sources, std::move(db)));
    } catch (const Xapian::DatabaseLockError& e) {
      return absl::FailedPreconditionError("catalogue index " + dir + " is in use: " + e.get_msg());
    } catch (const Xapian::Error& e) {
      if (attempt == 1) return FromXapian(e, "open " + dir);
      spdlog::warn("catalogue index {} unreadable ({}); rebuilding it from the store", dir,
                   e.get_msg());
      std::error_code ignored;
      std::filesystem::remove_all(dir, ignored);
    }
  }
  return absl::InternalError("catalogue index: cannot open " + dir);
}

std::optional<std::pair<std::string, std::string>> CatalogueIndex::IndexedParent(
    const std::string& origin, const std::string& id) {
  const std::string term = IdTerm(origin, id);
  Xapian::PostingIterator it = db_->postlist_begin(term);
  if (it == db_->postlist_end(term)) return std::nullopt;
  const std::string parent = db_->get_document(*it).get_value(kParent);
  std::string parent_origin, parent_id;
  if (parent.empty() || !storage::SplitRecordKey(parent, &parent_origin, &parent_id)) {
    return std::nullopt;
  }
  return std::make_pair(parent_origin, parent_id);
}

absl::Status CatalogueIndex::Reindex(const std::string& origin, const std::string& id) {
  const std::string term = IdTerm(origin, id);
  absl::StatusOr<storage::StoredEntry> held = sources_.store->Get(origin, id);
  if (!held.ok() && !absl::IsNotFound(held.status())) return held.status();
  const v1::Record* r = held.ok() ? &held->record : nullptr;
  if (!r || r->deleted() || (!r->has_practice() && !r->has_story())) {
    db_->delete_document(term);
    return absl::OkStatus();
  }
  Xapian::Document doc;
  Xapian::TermGenerator text;
  text.set_stemmer(Xapian::Stem(kLanguage));
  text.set_document(doc);
  // A word in the title weighs three, in a tag two, elsewhere one (BM25 over wdf).
  auto words = [&](const std::string& s, Xapian::termcount weight) {
    text.index_text(s, weight);
    text.increase_termpos();
  };
  std::vector<std::string> outcomes;
  if (r->has_practice()) {
    const v1::Practice& p = r->practice();
    words(p.title(), 3);
    words(p.summary(), 1);
    words(p.outcome_note(), 1);
    for (const auto* list : {&p.issue_areas(), &p.communities(), &p.strategies(), &p.tags()}) {
      for (const std::string& tag : *list) words(tag, 2);
    }
    doc.add_boolean_term("Kpractice");
    if (!p.adapted_from().id().empty()) {
      doc.add_boolean_term("XA");
      // Kept so that when this adaptation goes, its parent's outcome facet is redone.
      doc.add_value(kParent, storage::RecordKey(p.adapted_from().origin(), p.adapted_from().id()));
    }
    AddFacet(doc, kFacets[kIssueArea], p.issue_areas());
    AddFacet(doc, kFacets[kCommunity], p.communities());
    AddFacet(doc, kFacets[kStrategy], p.strategies());
    // An original is found by how it went wherever it was adapted, too.
    if (!OutcomeName(p.outcome()).empty()) outcomes.push_back(OutcomeName(p.outcome()));
    storage::ListFilter children;
    children.adapted_from.set_origin(origin);
    children.adapted_from.set_id(id);
    // Only adaptations everyone who sees this practice may see: a public practice's facet
    // must not tell the public how a network-only adaptation went.
    LDGS_RETURN_IF_ERROR(
        sources_.store->Scan(children, [&](const storage::StoredEntry& e, std::string_view) {
          const std::string name = OutcomeName(e.record.practice().outcome());
          if (!name.empty() && e.record.visibility() >= r->visibility()) {
            outcomes.push_back(name);
          }
          return true;
        }));
  } else {
    const v1::Story& s = r->story();
    words(s.title(), 3);
    words(s.body(), 1);
    for (const std::string& tag : s.tags()) words(tag, 2);
    doc.add_boolean_term("Kstory");
  }
  AddFacet(doc, kFacets[kOutcome], outcomes);
  const std::string region = RegionBook(sources_).RegionOf(origin);
  AddFacet(doc, kFacets[kRegion], std::vector<std::string>{region});
  doc.add_boolean_term("V" + std::to_string(static_cast<int>(r->visibility())));
  doc.add_boolean_term(term);
  doc.set_data(storage::RecordKey(origin, id));
  db_->replace_document(term, doc);
  return absl::OkStatus();
}

absl::Status CatalogueIndex::RebuildLocked() {
  spdlog::info("catalogue index: building {} from the store", dir_);
  db_.reset();
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
  db_ = std::make_unique<Xapian::WritableDatabase>(dir_, Xapian::DB_CREATE_OR_OVERWRITE);
  // The feed position first: whatever commits during the scan is read again after it.
  const uint64_t through = sources_.store->LastSequence();
  for (v1::Kind kind : {v1::KIND_PRACTICE, v1::KIND_STORY}) {
    storage::ListFilter filter;
    filter.kind = kind;
    std::vector<std::pair<std::string, std::string>> keys;
    LDGS_RETURN_IF_ERROR(
        sources_.store->Scan(filter, [&](const storage::StoredEntry& e, std::string_view) {
          keys.emplace_back(e.record.origin(), e.record.id());
          return true;
        }));
    for (const auto& [origin, id] : keys) LDGS_RETURN_IF_ERROR(Reindex(origin, id));
  }
  absl::StatusOr<std::string> epoch = sources_.state->FeedEpoch();
  db_->set_metadata(kEpochKey, epoch.ok() ? *epoch : "");
  db_->set_metadata(kCursorKey, std::to_string(through));
  db_->set_metadata(kFormatKey, kFormat);
  db_->commit();
  return absl::OkStatus();
}

absl::StatusOr<size_t> CatalogueIndex::CatchUpLocked() {
  // A rebuild that failed half way left no database: open one again.
  if (!db_) db_ = std::make_unique<Xapian::WritableDatabase>(dir_, Xapian::DB_CREATE_OR_OPEN);
  absl::StatusOr<std::string> epoch = sources_.state->FeedEpoch();
  const std::string feed = epoch.ok() ? *epoch : "";
  if (db_->get_metadata(kFormatKey) != kFormat || db_->get_metadata(kEpochKey) != feed) {
    LDGS_RETURN_IF_ERROR(RebuildLocked());
  }
  uint64_t cursor = std::strtoull(db_->get_metadata(kCursorKey).c_str(), nullptr, 10);
  if (cursor > sources_.store->LastSequence()) {
    LDGS_RETURN_IF_ERROR(RebuildLocked());  // ahead of the store: not this store's index
    cursor = std::strtoull(db_->get_metadata(kCursorKey).c_str(), nullptr, 10);
  }
  size_t reindexed = 0;
  while (true) {
    LDGS_ASSIGN_OR_RETURN(std::vector<storage::StoredEntry> entries,
                          sources_.store->ReadSince(cursor, kFeedBatch));
    if (entries.empty()) break;
    std::set<std::pair<std::string, std::string>> touched;
    for (const storage::StoredEntry& e : entries) {
      const v1::Record& r = e.record;
      cursor = e.seq;
      if (r.kind() == v1::KIND_PRACTICE || r.kind() == v1::KIND_STORY) {
        touched.emplace(r.origin(), r.id());
        // The parent it was adapted from before (a tombstone names none any more).
        if (auto parent = IndexedParent(r.origin(), r.id())) touched.insert(*parent);
      }
      // An adaptation's outcome is a facet of the practice it was adapted from.
      if (r.has_practice() && !r.practice().adapted_from().id().empty()) {
        touched.emplace(r.practice().adapted_from().origin(), r.practice().adapted_from().id());
      }
      // A profile names its origin's region: every record of it moves facet.
      if (r.kind() == v1::KIND_NODE_PROFILE) {
        storage::ListFilter all;
        all.origin = r.origin();
        LDGS_RETURN_IF_ERROR(
            sources_.store->Scan(all, [&](const storage::StoredEntry& o, std::string_view) {
              if (o.record.has_practice() || o.record.has_story()) {
                touched.emplace(o.record.origin(), o.record.id());
              }
              return true;
            }));
      }
    }
    for (const auto& [origin, id] : touched) LDGS_RETURN_IF_ERROR(Reindex(origin, id));
    reindexed += touched.size();
    db_->set_metadata(kCursorKey, std::to_string(cursor));
    db_->commit();
  }
  return reindexed;
}

absl::StatusOr<size_t> CatalogueIndex::CatchUp() {
  std::lock_guard<std::mutex> lock(mu_);
  try {
    return CatchUpLocked();
  } catch (const Xapian::Error& e) {
    db_.reset();  // the next call opens it again (or rebuilds it): it is only a cache
    return FromXapian(e, "catch up");
  }
}

absl::StatusOr<uint32_t> CatalogueIndex::Count(v1::Kind kind, v1::Audience audience) {
  audience = Normalized(audience);
  std::lock_guard<std::mutex> lock(mu_);
  try {
    LDGS_RETURN_IF_ERROR(CatchUpLocked().status());
    // Boolean terms only, and no facet counting: a count, not a search.
    std::vector<std::string> visible = {"V4"};
    if (audience != v1::AUDIENCE_PUBLIC) visible.push_back("V3");
    if (audience == v1::AUDIENCE_OPERATOR) visible.push_back("V2");
    Xapian::Query query(Xapian::Query::OP_AND,
                        Xapian::Query(kind == v1::KIND_STORY ? "Kstory" : "Kpractice"),
                        Xapian::Query(Xapian::Query::OP_OR, visible.begin(), visible.end()));
    if (kind != v1::KIND_STORY) {
      query = Xapian::Query(Xapian::Query::OP_AND_NOT, query, Xapian::Query("XA"));
    }
    Xapian::Enquire enquire(*db_);
    enquire.set_query(query);
    enquire.set_weighting_scheme(Xapian::BoolWeight());
    return static_cast<uint32_t>(
        enquire.get_mset(0, 0, db_->get_doccount()).get_matches_estimated());
  } catch (const Xapian::Error& e) {
    db_.reset();
    return FromXapian(e, "count");
  }
}

absl::StatusOr<v1::SearchCatalogueResponse> CatalogueIndex::Search(
    const v1::SearchCatalogueRequest& request) {
  if (request.query().size() > kMaxQueryBytes) {
    return absl::InvalidArgumentError("query is longer than " + std::to_string(kMaxQueryBytes) +
                                      " bytes");
  }
  if (request.kind() != v1::KIND_UNSPECIFIED && request.kind() != v1::KIND_PRACTICE &&
      request.kind() != v1::KIND_STORY) {
    return absl::InvalidArgumentError("the catalogue holds practices and stories");
  }
  if (request.limit() > kMaxLimit) {
    return absl::InvalidArgumentError("limit must be at most " + std::to_string(kMaxLimit));
  }
  const std::vector<std::pair<const FacetSpec*, std::vector<std::string>>> filters = {
      {&kFacets[kIssueArea], {request.issue_areas().begin(), request.issue_areas().end()}},
      {&kFacets[kCommunity], {request.communities().begin(), request.communities().end()}},
      {&kFacets[kStrategy], {request.strategies().begin(), request.strategies().end()}},
      {&kFacets[kRegion], request.region().empty() ? std::vector<std::string>{}
                                                   : std::vector<std::string>{request.region()}},
      {&kFacets[kOutcome], request.outcome() == v1::OUTCOME_UNSPECIFIED
                               ? std::vector<std::string>{}
                               : std::vector<std::string>{OutcomeName(request.outcome())}}};
  for (const auto& [facet, values] : filters) {
    if (values.size() > kMaxFilterValues) {
      return absl::InvalidArgumentError(std::string("too many ") + facet->name + " filters");
    }
  }
  if (!v1::Outcome_IsValid(request.outcome())) {
    return absl::InvalidArgumentError("unknown outcome");
  }
  const v1::Audience audience = Normalized(request.audience());
  std::lock_guard<std::mutex> lock(mu_);
  try {
    LDGS_RETURN_IF_ERROR(CatchUpLocked().status());
    Xapian::Query query = Xapian::Query::MatchAll;
    if (!request.query().empty()) {
      Xapian::QueryParser parser;
      parser.set_stemmer(Xapian::Stem(kLanguage));
      // Every word stemmed, capitalised ones too ("Landlords" finds "landlord").
      parser.set_stemming_strategy(Xapian::QueryParser::STEM_ALL_Z);
      parser.set_database(*db_);
      parser.set_default_op(Xapian::Query::OP_AND);
      try {
        query = parser.parse_query(
            request.query(), Xapian::QueryParser::FLAG_PHRASE | Xapian::QueryParser::FLAG_LOVEHATE);
      } catch (const Xapian::QueryParserError& e) {
        return absl::InvalidArgumentError("query does not parse: " + e.get_msg());
      }
    }
    // Every filter is boolean: it narrows the matches and leaves the ranking alone.
    std::vector<Xapian::Query> must = {
        Xapian::Query(request.kind() == v1::KIND_STORY ? "Kstory" : "Kpractice")};
    std::vector<std::string> visible = {"V4"};
    if (audience != v1::AUDIENCE_PUBLIC) visible.push_back("V3");
    if (audience == v1::AUDIENCE_OPERATOR) visible.push_back("V2");
    must.emplace_back(Xapian::Query::OP_OR, visible.begin(), visible.end());
    for (const auto& [facet, values] : filters) {
      if (values.empty()) continue;
      std::vector<std::string> terms;
      for (const std::string& v : values) terms.push_back(facet->prefix + v);
      must.emplace_back(Xapian::Query::OP_OR, terms.begin(), terms.end());
    }
    Xapian::Query filter(Xapian::Query::OP_AND, must.begin(), must.end());
    if (request.kind() != v1::KIND_STORY && !request.include_adaptations()) {
      filter = Xapian::Query(Xapian::Query::OP_AND_NOT, filter, Xapian::Query("XA"));
    }
    Xapian::Enquire enquire(*db_);
    enquire.set_query(Xapian::Query(Xapian::Query::OP_FILTER, query, filter));
    std::vector<std::unique_ptr<ListCountSpy>> spies;
    for (const FacetSpec& facet : kFacets) {
      spies.push_back(std::make_unique<ListCountSpy>(facet.slot));
      enquire.add_matchspy(spies.back().get());
    }
    const uint32_t limit = request.limit() == 0 ? kDefaultLimit : request.limit();
    // Every match is counted for the facets, not only the page shown.
    const Xapian::MSet matches = enquire.get_mset(request.offset(), limit, db_->get_doccount());
    v1::SearchCatalogueResponse response;
    response.set_matches(static_cast<uint32_t>(matches.get_matches_estimated()));
    for (auto it = matches.begin(); it != matches.end(); ++it) {
      std::string origin, id;
      if (!storage::SplitRecordKey(it.get_document().get_data(), &origin, &id)) continue;
      absl::StatusOr<storage::StoredEntry> held = sources_.store->Get(origin, id);
      if (!held.ok() || held->record.deleted() || !VisibleTo(held->record, audience)) continue;
      v1::CatalogueHit* hit = response.add_hits();
      *hit->mutable_record() = std::move(held->record);
      hit->set_percent(static_cast<uint32_t>(it.get_percent()));
      hit->set_region(it.get_document().get_value(kRegion));
    }
    for (size_t i = 0; i < spies.size(); ++i) {
      v1::Facet* facet = response.add_facets();
      facet->set_name(kFacets[i].name);
      std::vector<std::pair<std::string, uint32_t>> counts(spies[i]->counts().begin(),
                                                           spies[i]->counts().end());
      std::stable_sort(counts.begin(), counts.end(),
                       [](const auto& a, const auto& b) { return a.second > b.second; });
      for (const auto& [value, count] : counts) {
        v1::FacetValue* v = facet->add_values();
        v->set_value(value);
        v->set_count(count);
      }
    }
    return response;
  } catch (const Xapian::Error& e) {
    db_.reset();  // the next call opens it again (or rebuilds it): it is only a cache
    return FromXapian(e, "search");
  }
}

}  // namespace ldgs::daemon::hub
