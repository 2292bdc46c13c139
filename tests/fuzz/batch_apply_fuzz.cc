// A replication batch from a peer, arbitrary bytes: parsed, verified, checked and applied to
// a real store. Never crashes, and what the store holds afterwards is checked against an
// oracle that decides from the batch and the store before the call, record by record, what
// must be refused and what must be taken (Observe, Decide), then reads the store itself, not
// just what the call reports (CheckApplied, CheckRefused). A violation aborts.
//
// Input: a serialized v1::Batch. A record at an even index that parses as a v1::Record is
// re-signed as the peer (its origin set to the peer's), so that the apply path is reached;
// the others are taken as they are, as SignedRecord bytes. `head` picks the peer's relation,
// kRelations[head % 5]; when the peer is this node's hub, this node's hub chain is the peer
// and the relayed node. The keys are fixed (tests/fuzz/fuzz_keys.h), so that a seed can carry
// records validly signed by the peer, by the relayed node or by this node itself (the seeds in
// tests/fuzz/corpus/batch_apply_fuzz are written by tests/fuzz/make_corpus.cc).
#include <unistd.h>

#include <cstdlib>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "common/status_macros.h"
#include "daemon/replication/inbound_batch.h"
#include "google/protobuf/stubs/logging.h"
#include "record/node_key.h"
#include "record/signed_record.h"
#include "storage/keys.h"
#include "storage/storage.h"
#include "tests/fuzz/fuzz_keys.h"

namespace {

namespace v1 = ldgs::v1;
using ldgs::daemon::replication::InboundResult;
using ldgs::daemon::replication::PeerView;
using ldgs::daemon::replication::SelfView;
using ldgs::fuzzing::FuzzKey;
using ldgs::storage::FeedPosition;
using ldgs::storage::PeerDirection;
using ldgs::storage::StoredEntry;

ldgs::storage::Storage* storage = nullptr;  // lives for the whole run
ldgs::storage::RecordStore* store = nullptr;
ldgs::record::NodeKey* peer_key = nullptr;
std::string relayed_id;  // FuzzKey::kRelayed
std::string self_id;     // FuzzKey::kSelf
uint64_t runs = 0;       // makes every call's feed epoch new: a moved checkpoint shows

// The peer's relation, by Batch.head % 5.
constexpr v1::Relation kRelations[] = {v1::RELATION_MEMBER, v1::RELATION_MEMBER_HUB,
                                       v1::RELATION_HUB, v1::RELATION_SISTER,
                                       v1::RELATION_UNSPECIFIED};

// What the oracle knows and decided about one record of the batch.
struct Expected {
  const std::string* bytes = nullptr;  // as in the batch (after re-signing)
  bool parsed = false;                 // envelope and payload parse: `record` is meaningful
  v1::Record record;
  std::optional<StoredEntry> held_before;  // what the store held of (origin, id) before
  bool verifies = false;     // parsed, and the signature verifies over the exact payload bytes
  bool must_refuse = false;  // by the simple rules, checked by hand (Decide)
  bool must_accept = false;  // by the whole specification (OpenSignedRecord, the visibility
                             // rule, the metric's bounds)
};

bool Shareable(v1::Visibility visibility) {
  return visibility == v1::VISIBILITY_HUB || visibility == v1::VISIBILITY_NETWORK ||
         visibility == v1::VISIBILITY_PUBLIC;
}

// Parses SignedRecord bytes and the Record in the payload, by hand (no record/ codec).
bool Parse(const std::string& bytes, v1::SignedRecord* envelope, v1::Record* record) {
  return envelope->ParseFromString(bytes) && record->ParseFromString(envelope->payload());
}
// Whether `bytes` parse and the signature verifies over the exact payload bytes, by hand.
bool Verifies(const std::string& bytes, v1::Record* record) {
  v1::SignedRecord envelope;
  return Parse(bytes, &envelope, record) &&
         ldgs::record::VerifySignature(record->origin(), envelope.payload(), envelope.signature());
}

// Whether `entry` holds `bytes` as its record or as its retraction.
bool Holds(const std::optional<StoredEntry>& entry, const std::string& bytes) {
  return entry && !bytes.empty() &&
         (entry->stored.signed_bytes() == bytes || entry->stored.retraction() == bytes);
}

// The metric bounds rule, restated: an observation outside the bounds of the first definition
// of its metric held from this node or its hub chain (in that order) is refused. Read before
// the batch is applied, as the batch's own definitions do not count for it.
bool InBounds(const v1::Record& record, const SelfView& self) {
  if (!record.has_metric_observation()) return true;
  const v1::MetricObservation& o = record.metric_observation();
  std::vector<std::string> authorities = {self.node_id};
  authorities.insert(authorities.end(), self.hub_chain.begin(), self.hub_chain.end());
  for (const std::string& origin : authorities) {
    absl::StatusOr<StoredEntry> held = store->Get(origin, "metric:" + o.metric());
    if (!held.ok() || !held->record.has_metric_definition()) continue;
    const v1::MetricDefinition& d = held->record.metric_definition();
    return !(d.has_min_value() && o.value() < d.min_value()) &&
           !(d.has_max_value() && o.value() > d.max_value());
  }
  return true;
}

// What the oracle sees of one record before the call: it parsed, it verifies, what was held.
Expected Observe(const std::string& bytes) {
  Expected e;
  e.bytes = &bytes;
  v1::SignedRecord envelope;
  e.parsed = Parse(bytes, &envelope, &e.record);
  e.verifies = e.parsed && ldgs::record::VerifySignature(e.record.origin(), envelope.payload(),
                                                         envelope.signature());
  if (e.parsed) {
    absl::StatusOr<StoredEntry> held = store->Get(e.record.origin(), e.record.id());
    if (held.ok()) e.held_before = std::move(*held);
  }
  return e;
}

// Whether the record must be refused and whether it must be taken, before the call.
void Decide(Expected* e, const SelfView& self, const PeerView& peer,
            const ldgs::record::RecordLimits& limits) {
  const std::string& bytes = *e->bytes;
  // The simple rules, each obviously right: bytes that do not verify, do not parse, are too
  // long or are not canonical; a private record; an unknown relation; a member or sister
  // relaying another node's record; a hub record relayed or sent down or sideways; a rollup or
  // revocation from anyone but this node's hub. (This node's own records come back from any
  // known relation.)
  const v1::Record& r = e->record;
  const bool own = r.origin() == self.node_id;
  const bool by_peer = r.origin() == peer.node_id;
  const bool up = peer.relation == v1::RELATION_MEMBER || peer.relation == v1::RELATION_MEMBER_HUB;
  const bool contribution = r.kind() == v1::KIND_ROLLUP && r.rollup().contribution();
  v1::SignedRecord envelope;
  const bool canonical = envelope.ParseFromString(bytes) && envelope.SerializeAsString() == bytes;
  e->must_refuse =
      !e->verifies || !canonical || bytes.size() > limits.max_record_bytes ||
      !Shareable(r.visibility()) || peer.relation == v1::RELATION_UNSPECIFIED ||
      (!own && !by_peer &&
       (peer.relation == v1::RELATION_MEMBER || peer.relation == v1::RELATION_SISTER)) ||
      (!own && r.visibility() == v1::VISIBILITY_HUB && (!by_peer || !up)) ||
      (!own && !contribution && (r.kind() == v1::KIND_ROLLUP || r.kind() == v1::KIND_REVOCATION) &&
       peer.relation != v1::RELATION_HUB);
  // The whole specification: the codec, the visibility rule under test (daemon/replication/
  // visibility_filter.h) and the bounds. Nobody is revoked here.
  absl::StatusOr<ldgs::record::OpenedRecord> opened = ldgs::record::OpenSignedRecord(bytes, limits);
  e->must_accept = opened.ok() &&
                   ldgs::daemon::replication::CheckMayReceive(opened->record, self, peer).ok() &&
                   InBounds(opened->record, self);
  // The rule must agree with the simple rules; if not, one of them is wrong.
  LDGS_CHECK(!(e->must_refuse && e->must_accept));
}

// After a batch the call took: the counts, the checkpoint, and what the store holds now of
// every record of the batch and of every feed entry the call added.
void CheckApplied(const v1::Batch& batch, const InboundResult& result,
                  const std::vector<Expected>& expected, uint64_t before,
                  const FeedPosition& position) {
  const ldgs::storage::ApplyResult& a = result.applied;
  // Every record is accounted for once; exactly those the oracle does not take were refused.
  LDGS_CHECK(a.applied >= 0 && a.unchanged >= 0 && a.stale >= 0 && a.forks >= 0);
  LDGS_CHECK(a.applied + a.unchanged + a.stale + a.forks + result.refused == batch.records_size());
  int must_refuse = 0;
  int not_taken = 0;
  bool revocation = false;
  std::map<std::string, std::set<std::string>> taken;  // record key -> payloads taken
  std::map<std::string, const Expected*> by_key;       // record key -> a record of the batch
  for (const Expected& e : expected) {
    if (!e.parsed) continue;
    const std::string key = ldgs::storage::RecordKey(e.record.origin(), e.record.id());
    by_key[key] = &e;
    if (e.must_accept) {
      taken[key].insert(*e.bytes);
      if (e.record.kind() == v1::KIND_REVOCATION) revocation = true;
    }
  }
  for (const Expected& e : expected) {
    if (e.must_refuse) ++must_refuse;
    if (!e.must_accept) ++not_taken;
  }
  LDGS_CHECK(result.refused >= must_refuse);
  LDGS_CHECK(result.refused == not_taken);
  LDGS_CHECK(result.revocations_changed == revocation);

  // The checkpoint moved to exactly where the batch said it reached, in this call's epoch.
  absl::StatusOr<FeedPosition> checkpoint =
      storage->state().Checkpoint(peer_key->node_id(), PeerDirection::kInbound);
  LDGS_CHECK(checkpoint.ok() && *checkpoint == position);

  // What the feed gained, read back from the store: only records the oracle takes, each
  // holding only payloads the batch brought or it held before, verifying, none private.
  LDGS_CHECK(store->LastSequence() - before == static_cast<uint64_t>(a.applied));
  absl::StatusOr<std::vector<StoredEntry>> added =
      store->ReadSince(before, static_cast<size_t>(batch.records_size()) + 1);
  LDGS_CHECK(added.ok());
  LDGS_CHECK(added->size() <= static_cast<size_t>(a.applied));  // a batch may replace its own
  LDGS_CHECK(added->empty() == (a.applied == 0));
  for (const StoredEntry& entry : *added) {
    const std::string key = ldgs::storage::RecordKey(entry.record.origin(), entry.record.id());
    auto it = taken.find(key);
    LDGS_CHECK(it != taken.end());  // nothing of a record (or an origin) the batch did not bring
    const std::optional<StoredEntry>& held_before = by_key.at(key)->held_before;
    bool brought = false;
    for (const std::string* payload : {&entry.stored.signed_bytes(), &entry.stored.retraction()}) {
      if (payload->empty()) continue;
      const bool now = it->second.count(*payload) > 0;
      LDGS_CHECK(now || Holds(held_before, *payload));
      brought = brought || now;
      v1::Record record;
      LDGS_CHECK(Verifies(*payload, &record));
      LDGS_CHECK(Shareable(record.visibility()));
      LDGS_CHECK(record.origin() == entry.record.origin() && record.id() == entry.record.id());
    }
    LDGS_CHECK(brought);
  }

  for (const Expected& e : expected) {
    if (!e.parsed) continue;
    absl::StatusOr<StoredEntry> got = store->Get(e.record.origin(), e.record.id());
    std::optional<StoredEntry> held;
    if (got.ok()) held = std::move(*got);
    if (e.must_accept) {
      // Taken: applied, or the store holds this version or a newer one.
      LDGS_CHECK(held && held->record.version() >= e.record.version());
    } else if (!e.verifies || !Shareable(e.record.visibility())) {
      // Bytes that do not verify, and private records, are never held (from any batch).
      LDGS_CHECK(!Holds(held, *e.bytes));
    } else {
      // Other refused bytes are held now only if they were held before.
      LDGS_CHECK(!Holds(held, *e.bytes) || Holds(e.held_before, *e.bytes));
    }
  }
}

// After a batch the call refused: nothing of it was written, and the checkpoint stayed.
void CheckRefused(const v1::Batch& batch, const absl::Status& status,
                  const std::vector<Expected>& expected, uint64_t before,
                  const absl::StatusOr<FeedPosition>& checkpoint_before) {
  // The only refusal of a whole batch here: over the record limit (the disk has room).
  LDGS_CHECK(absl::IsResourceExhausted(status));
  LDGS_CHECK(static_cast<size_t>(batch.records_size()) >
             ldgs::daemon::replication::BatchLimits().max_records);
  absl::StatusOr<FeedPosition> checkpoint =
      storage->state().Checkpoint(peer_key->node_id(), PeerDirection::kInbound);
  LDGS_CHECK(checkpoint.ok() && checkpoint_before.ok() && *checkpoint == *checkpoint_before);
  absl::StatusOr<std::vector<StoredEntry>> added = store->ReadSince(before, 1);
  LDGS_CHECK(added.ok() && added->empty());
  LDGS_CHECK(store->LastSequence() == before);
  for (const Expected& e : expected) {
    if (!e.parsed) continue;
    absl::StatusOr<StoredEntry> held = store->Get(e.record.origin(), e.record.id());
    LDGS_CHECK(held.ok() == e.held_before.has_value());
    if (held.ok()) {
      LDGS_CHECK(held->seq == e.held_before->seq);
      LDGS_CHECK(held->stored.SerializeAsString() == e.held_before->stored.SerializeAsString());
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  google::protobuf::SetLogHandler(nullptr);
  char dir[] = "/tmp/ldgs-fuzz-XXXXXX";
  LDGS_CHECK(mkdtemp(dir) != nullptr);
  const std::string key_file = std::string(dir) + "/fuzz.key";  // written, loaded, removed
  peer_key = new ldgs::record::NodeKey(ldgs::fuzzing::LoadFuzzKey(FuzzKey::kPeer, key_file));
  relayed_id = ldgs::fuzzing::LoadFuzzKey(FuzzKey::kRelayed, key_file).node_id();
  self_id = ldgs::fuzzing::LoadFuzzKey(FuzzKey::kSelf, key_file).node_id();
  absl::StatusOr<std::unique_ptr<ldgs::storage::Storage>> opened =
      ldgs::storage::Storage::Open(dir);
  LDGS_CHECK(opened.ok());
  storage = std::move(*opened).release();
  store = &storage->records();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  v1::Batch batch;
  if (!batch.ParseFromArray(data, static_cast<int>(size))) return 0;
  // Re-sign records that parse as Records, as the peer: reaches apply, not just verify.
  for (int i = 0; i < batch.records_size(); i += 2) {
    v1::Record record;
    if (record.ParseFromString(batch.records(i))) {
      record.set_origin(peer_key->node_id());
      *batch.mutable_records(i) = ldgs::record::SealRecord(record, *peer_key);
    }
  }
  const v1::Relation relation = kRelations[batch.head() % 5];
  // A node with members is a hub; a node's hub chain starts with its hub.
  SelfView self{
      self_id, relation == v1::RELATION_MEMBER || relation == v1::RELATION_MEMBER_HUB, {}};
  if (relation == v1::RELATION_HUB) self.hub_chain = {peer_key->node_id(), relayed_id};
  const PeerView peer{peer_key->node_id(), relation};
  static ldgs::daemon::replication::Revocations revocations;  // nobody is revoked
  const ldgs::record::RecordLimits limits;
  const ldgs::daemon::replication::BatchLimits batch_limits;
  const bool over_limit = static_cast<size_t>(batch.records_size()) > batch_limits.max_records;

  // The oracle decides before the call, from the batch and the store as it was.
  std::vector<Expected> expected;
  expected.reserve(batch.records_size());
  for (const std::string& bytes : batch.records()) {
    expected.push_back(Observe(bytes));
    if (!over_limit) Decide(&expected.back(), self, peer, limits);
  }
  const uint64_t before = store->LastSequence();
  const absl::StatusOr<FeedPosition> checkpoint_before =
      storage->state().Checkpoint(peer_key->node_id(), PeerDirection::kInbound);
  // A new epoch per call, so that the checkpoint cannot already be where this call moves it.
  const FeedPosition position{"epoch-" + std::to_string(++runs), batch.up_to()};

  absl::StatusOr<InboundResult> result = ldgs::daemon::replication::ApplyInboundBatch(
      store, batch, self, peer, revocations, limits, batch_limits, position.epoch);
  if (result.ok()) {
    LDGS_CHECK(!over_limit);
    CheckApplied(batch, *result, expected, before, position);
  } else {
    CheckRefused(batch, result.status(), expected, before, checkpoint_before);
  }
  return 0;
}
