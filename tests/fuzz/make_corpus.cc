// Writes the seed inputs of record_fuzz and batch_apply_fuzz: records of every kind and
// visibility, validly signed with the project's own sealing code (record::SealRecord) and the
// fuzz harness's fixed keys (tests/fuzz/fuzz_keys.h), in exactly the format each fuzzer reads:
//   record_fuzz/NAME.pb       one serialized SignedRecord
//   batch_apply_fuzz/NAME.pb  one serialized v1::Batch, laid out as batch_apply_fuzz.cc reads
//                             it: an even index holds a Record the harness signs as the peer,
//                             an odd index SignedRecord bytes taken as they are; `head` % 5
//                             picks the peer's relation.
// A few seeds are deliberately bad (a flipped signature bit, a payload changed after signing,
// an envelope out of canonical order, a batch over the record limit) so that both sides of
// every check are reached. The output is deterministic (Ed25519 signatures are, and every
// time is fixed): running it again rewrites the same bytes.
//
// Built by the normal build (tests/CMakeLists.txt; tests/fuzz itself is only in the
// -DLDGS_FUZZ=ON build). From the source root:
//   cmake --build build --target make_fuzz_corpus && build/tests/make_fuzz_corpus tests/fuzz/corpus
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "common/base32.h"
#include "common/status_macros.h"
#include "ldgs/v1/peer.pb.h"
#include "ldgs/v1/record.pb.h"
#include "ldgs/v1/replication.pb.h"
#include "record/limits.h"
#include "record/node_key.h"
#include "record/signed_record.h"
#include "tests/fuzz/fuzz_keys.h"

namespace ldgs::fuzzing {
namespace {

constexpr uint64_t kVersion = 1700000000000000;  // a plausible hybrid logical clock value
constexpr int64_t kTimeUs = 1700000000000000;
constexpr char kMetric[] = "actively_homeless";
constexpr char kPeriod[] = "2024-03";

// The order of batch_apply_fuzz.cc's kRelations: a batch's head selects one.
uint64_t HeadFor(v1::Relation relation) {
  switch (relation) {
    case v1::RELATION_MEMBER:
      return 0;
    case v1::RELATION_MEMBER_HUB:
      return 1;
    case v1::RELATION_HUB:
      return 2;
    case v1::RELATION_SISTER:
      return 3;
    default:
      return 4;
  }
}

v1::Record Base(const std::string& id, v1::Kind kind, v1::Visibility visibility,
                uint64_t version_offset = 0) {
  v1::Record r;
  r.set_id(id);
  r.set_version(kVersion + version_offset);
  r.set_kind(kind);
  r.set_visibility(visibility);
  r.set_created_us(kTimeUs);
  r.set_updated_us(kTimeUs + static_cast<int64_t>(version_offset));
  return r;
}

v1::Record Story(const std::string& id, const std::string& title, v1::Visibility visibility,
                 uint64_t version_offset = 0) {
  v1::Record r = Base(id, v1::KIND_STORY, visibility, version_offset);
  r.mutable_story()->set_title(title);
  r.mutable_story()->set_body("What we tried, what it took, and what we would do again.");
  r.mutable_story()->add_tags("outreach");
  return r;
}

v1::Record Practice(const std::string& id, v1::Visibility visibility,
                    const std::string& adapted_from_origin) {
  v1::Record r = Base(id, v1::KIND_PRACTICE, visibility);
  v1::Practice* p = r.mutable_practice();
  p->set_title("By-name list with weekly case conferencing");
  p->set_summary("Every person known by name; a weekly meeting matches each to housing.");
  p->add_issue_areas("homelessness");
  p->add_communities("veterans");
  p->add_strategies("open-data");
  p->add_tags("by-name-list");
  p->set_outcome(v1::OUTCOME_WORKED);
  p->set_outcome_note("Monthly inflow now visible.");
  if (!adapted_from_origin.empty()) {
    p->mutable_adapted_from()->set_origin(adapted_from_origin);
    p->mutable_adapted_from()->set_id("practice-origin1");
  }
  return r;
}

v1::Record Definition(v1::Visibility visibility, double min_value, double max_value) {
  v1::Record r = Base(std::string("metric:") + kMetric, v1::KIND_METRIC_DEFINITION, visibility);
  v1::MetricDefinition* d = r.mutable_metric_definition();
  d->set_code(kMetric);
  d->set_name("Actively homeless");
  d->set_unit("people");
  d->set_aggregation(v1::AGGREGATION_SUM);
  d->set_direction(v1::DIRECTION_DOWN_IS_GOOD);
  d->set_target(0);
  d->set_description("People on the by-name list at the end of the period.");
  d->set_min_value(min_value);
  d->set_max_value(max_value);
  return r;
}

v1::Record Observation(const std::string& period, double value, v1::Visibility visibility) {
  v1::Record r =
      Base(std::string("obs:") + kMetric + ":" + period, v1::KIND_METRIC_OBSERVATION, visibility);
  v1::MetricObservation* o = r.mutable_metric_observation();
  o->set_metric(kMetric);
  o->set_period(period);
  o->set_value(value);
  o->set_note("From the by-name list.");
  return r;
}

v1::Record Profile(v1::Visibility visibility) {
  v1::Record r = Base("profile", v1::KIND_NODE_PROFILE, visibility);
  r.mutable_node_profile()->set_name("Riverside Chapter");
  r.mutable_node_profile()->set_region("north");
  r.mutable_node_profile()->set_role(v1::ROLE_CHAPTER);
  return r;
}

// A published rollup over `scope`; withheld: no figure at all.
v1::Record Rollup(const std::string& scope, bool withheld, v1::Visibility visibility) {
  v1::Record r = Base(std::string("rollup:") + kMetric + ":" + kPeriod + ":" + scope,
                      v1::KIND_ROLLUP, visibility);
  v1::Rollup* u = r.mutable_rollup();
  u->set_metric(kMetric);
  u->set_period(kPeriod);
  u->set_scope(scope);
  u->set_expected(12);
  u->set_aggregation(v1::AGGREGATION_SUM);
  u->set_computed_us(kTimeUs);
  u->set_revision(1);
  if (withheld) {
    u->set_withheld(true);
    u->set_withheld_reason("fewer than 3 chapters reporting");
    return r;
  }
  u->set_reporting(9);
  u->set_completeness(0.75);
  u->set_value(412);
  u->set_sum(412);
  u->set_mean(45.8);
  u->set_previous_period("2024-02");
  u->set_change(-17);
  u->add_suppressed("median");
  return r;
}

// What a member hub tells its hub about its subtree (visibility hub).
v1::Record Contribution() {
  v1::Record r =
      Base(std::string("contrib:") + kMetric + ":" + kPeriod, v1::KIND_ROLLUP, v1::VISIBILITY_HUB);
  v1::Rollup* u = r.mutable_rollup();
  u->set_metric(kMetric);
  u->set_period(kPeriod);
  u->set_scope("subtree");
  u->set_contribution(true);
  u->set_reporting(4);
  u->set_expected(5);
  u->set_completeness(0.8);
  u->set_aggregation(v1::AGGREGATION_SUM);
  u->set_sum(133);
  u->set_computed_us(kTimeUs);
  u->set_revision(1);
  return r;
}

v1::Record Revocation(const std::string& node_id) {
  v1::Record r = Base("revocation:" + node_id, v1::KIND_REVOCATION, v1::VISIBILITY_NETWORK);
  r.mutable_revocation()->set_node_id(node_id);
  r.mutable_revocation()->set_revoked_us(kTimeUs);
  r.mutable_revocation()->set_reason("left the network");
  return r;
}

// The tombstone of `live` at a later version, for `visibility`.
v1::Record Tombstone(const v1::Record& live, v1::Visibility visibility, uint64_t version_offset) {
  v1::Record r = Base(live.id(), live.kind(), visibility, version_offset);
  r.set_deleted(true);
  return r;
}

// A well-formed node ID of nobody's key: the node a revocation names.
std::string OtherNodeId() { return Base32Encode(std::string(32, '\x5a')); }

std::string Seal(v1::Record r, const record::NodeKey& key) {
  r.set_origin(key.node_id());
  return record::SealRecord(r, key);
}

bool Opens(const std::string& bytes) {
  return record::OpenSignedRecord(bytes, record::RecordLimits()).ok();
}

// Variants that must not verify or open.
std::string FlipSignatureBit(const std::string& sealed) {
  v1::SignedRecord envelope;
  LDGS_CHECK(envelope.ParseFromString(sealed));
  std::string signature = envelope.signature();
  signature[7] = static_cast<char>(signature[7] ^ 0x01);
  envelope.set_signature(signature);
  return envelope.SerializeAsString();
}
std::string ChangePayloadAfterSigning(const std::string& sealed) {
  v1::SignedRecord envelope;
  LDGS_CHECK(envelope.ParseFromString(sealed));
  v1::Record record;
  LDGS_CHECK(record.ParseFromString(envelope.payload()));
  record.mutable_story()->set_title("Changed on the way");
  envelope.set_payload(record.SerializeAsString());
  return envelope.SerializeAsString();
}
// The signature before the payload: parses to the same message, but is not its canonical
// encoding (protobuf merges concatenated messages).
std::string OutOfCanonicalOrder(const std::string& sealed) {
  v1::SignedRecord envelope;
  LDGS_CHECK(envelope.ParseFromString(sealed));
  v1::SignedRecord signature_only;
  signature_only.set_signature(envelope.signature());
  v1::SignedRecord payload_only;
  payload_only.set_payload(envelope.payload());
  return signature_only.SerializeAsString() + payload_only.SerializeAsString();
}

class Writer {
 public:
  explicit Writer(std::string root) : root_(std::move(root)) {}

  void Write(const std::string& target, const std::string& name, const std::string& bytes) {
    const std::filesystem::path dir = std::filesystem::path(root_) / target;
    std::filesystem::create_directories(dir);
    const std::filesystem::path path = dir / (name + ".pb");
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    out.close();
    LDGS_CHECK(out.good());
    std::printf("%s (%zu bytes)\n", path.c_str(), bytes.size());
    ++written_;
  }
  int written() const { return written_; }

 private:
  const std::string root_;
  int written_ = 0;
};

// A batch as batch_apply_fuzz reads it. Records of the peer go to even indices, unsigned (the
// harness signs them as the peer); anything else to odd indices, as bytes. Where an odd index
// is needed and the next one is even, a story of the peer fills it.
class BatchBuilder {
 public:
  BatchBuilder(v1::Relation relation, const record::NodeKey& peer) : peer_(peer) {
    batch_.set_head(HeadFor(relation));
  }

  // A record of the peer, at the next index (sealed by the peer when the index is odd: the
  // keys are fixed, so the bytes are those the harness would make).
  BatchBuilder& Peer(v1::Record r) {
    r.set_origin(peer_.node_id());
    batch_.add_records(batch_.records_size() % 2 == 0 ? r.SerializeAsString()
                                                      : record::SealRecord(r, peer_));
    return *this;
  }
  // SignedRecord bytes, at the next odd index.
  BatchBuilder& Bytes(const std::string& bytes) {
    if (batch_.records_size() % 2 == 0) {
      Peer(Story("filler-" + std::to_string(batch_.records_size()), "Filler",
                 v1::VISIBILITY_NETWORK));
    }
    batch_.add_records(bytes);
    return *this;
  }
  // `r` signed by `key`, at the next odd index; it must open (a valid signed record).
  BatchBuilder& Signed(const v1::Record& r, const record::NodeKey& key) {
    const std::string sealed = Seal(r, key);
    LDGS_CHECK(Opens(sealed));
    return Bytes(sealed);
  }
  // Bytes that parse as neither a Record nor a SignedRecord, at the next index (even or odd:
  // the harness leaves them as they are).
  BatchBuilder& Garbage(const std::string& bytes) {
    v1::Record as_record;
    v1::SignedRecord as_signed;
    LDGS_CHECK(!as_record.ParseFromString(bytes) && !as_signed.ParseFromString(bytes));
    batch_.add_records(bytes);
    return *this;
  }

  std::string Done(uint64_t up_to) {
    batch_.set_up_to(up_to);
    return batch_.SerializeAsString();
  }

 private:
  const record::NodeKey& peer_;
  v1::Batch batch_;
};

void WriteRecordSeeds(Writer& out, const record::NodeKey& key, const record::NodeKey& other) {
  struct Seed {
    const char* name;
    v1::Record record;
  };
  const v1::Record story =
      Story("story-seed1", "How we cut street count time in half", v1::VISIBILITY_NETWORK);
  const std::vector<Seed> seeds = {
      {"practice_network_adapted",
       Practice("practice-seed1", v1::VISIBILITY_NETWORK, other.node_id())},
      {"practice_private", Practice("practice-seed2", v1::VISIBILITY_PRIVATE, "")},
      {"metric_definition_public", Definition(v1::VISIBILITY_PUBLIC, 0, 100000)},
      {"observation_hub_month", Observation(kPeriod, 37, v1::VISIBILITY_HUB)},
      {"observation_network_week", Observation("2024-W09", 36.5, v1::VISIBILITY_NETWORK)},
      {"story_network", story},
      {"story_public", Story("story-seed2", "Landlord roundtable", v1::VISIBILITY_PUBLIC)},
      {"story_hub", Story("story-seed3", "Shelter intake changes", v1::VISIBILITY_HUB)},
      {"profile_public", Profile(v1::VISIBILITY_PUBLIC)},
      {"rollup_network", Rollup("network", false, v1::VISIBILITY_NETWORK)},
      {"rollup_region_withheld_public", Rollup("region:north", true, v1::VISIBILITY_PUBLIC)},
      {"contribution_hub", Contribution()},
      {"revocation_network", Revocation(OtherNodeId())},
      {"tombstone_story_network", Tombstone(story, v1::VISIBILITY_NETWORK, 1)},
      {"tombstone_observation_hub",
       Tombstone(Observation(kPeriod, 37, v1::VISIBILITY_HUB), v1::VISIBILITY_HUB, 2)},
  };
  for (const Seed& seed : seeds) {
    const std::string sealed = Seal(seed.record, key);
    LDGS_CHECK(Opens(sealed));  // a validly signed, valid record
    out.Write("record_fuzz", seed.name, sealed);
  }
  const std::string sealed = Seal(story, key);
  for (const auto& [name, bad] :
       {std::pair{"bad_signature_bit", FlipSignatureBit(sealed)},
        std::pair{"bad_payload_changed", ChangePayloadAfterSigning(sealed)},
        std::pair{"bad_envelope_order", OutOfCanonicalOrder(sealed)}}) {
    LDGS_CHECK(!Opens(bad));
    out.Write("record_fuzz", name, bad);
  }
}

void WriteBatchSeeds(Writer& out, const record::NodeKey& peer, const record::NodeKey& relayed,
                     const record::NodeKey& self) {
  const std::string batch = "batch_apply_fuzz";
  const v1::Record story = Story("story-b1", "Winter shelter opened early", v1::VISIBILITY_PUBLIC);

  // A member chapter sends its own records, one of each kind it makes, and a retraction; the
  // private one is refused.
  out.Write(batch, "member_own_records",
            BatchBuilder(v1::RELATION_MEMBER, peer)
                .Peer(Practice("practice-b1", v1::VISIBILITY_NETWORK, relayed.node_id()))
                .Peer(story)
                .Peer(Definition(v1::VISIBILITY_NETWORK, 0, 1000000))
                .Peer(Observation(kPeriod, 41, v1::VISIBILITY_HUB))
                .Peer(Profile(v1::VISIBILITY_PUBLIC))
                .Peer(Tombstone(story, v1::VISIBILITY_PUBLIC, 5))
                .Peer(Story("story-b2", "Notes to self", v1::VISIBILITY_PRIVATE))
                .Peer(Observation("2024-W10", 40, v1::VISIBILITY_NETWORK))
                .Done(8));

  // Several versions of one record in one batch, a stale one, and a fork (same version,
  // other bytes).
  out.Write(batch, "member_versions_stale_fork",
            BatchBuilder(v1::RELATION_MEMBER, peer)
                .Peer(Story("story-v", "First", v1::VISIBILITY_NETWORK, 1))
                .Peer(Story("story-v", "Second", v1::VISIBILITY_NETWORK, 2))
                .Peer(Story("story-v", "Third", v1::VISIBILITY_NETWORK, 3))
                .Peer(Story("story-v", "Second", v1::VISIBILITY_NETWORK, 2))
                .Peer(Story("story-v", "Third, forked", v1::VISIBILITY_NETWORK, 3))
                .Done(5));

  // A narrowed record: a live version for the hub and a tombstone of the same version for
  // the network that had it (companions, not a fork).
  out.Write(
      batch, "member_hub_narrowed_companions",
      BatchBuilder(v1::RELATION_MEMBER_HUB, peer)
          .Peer(Story("story-n", "Shared widely", v1::VISIBILITY_NETWORK, 1))
          .Peer(Story("story-n", "Now for the hub only", v1::VISIBILITY_HUB, 2))
          .Peer(Tombstone(Story("story-n", "", v1::VISIBILITY_NETWORK), v1::VISIBILITY_NETWORK, 2))
          .Done(3));

  // A member hub relays its subtree's network and public records up and sends its own
  // contribution; it may not relay a hub record.
  out.Write(
      batch, "member_hub_relays_up",
      BatchBuilder(v1::RELATION_MEMBER_HUB, peer)
          .Peer(Contribution())
          .Signed(Story("story-r1", "Relayed from a chapter", v1::VISIBILITY_NETWORK), relayed)
          .Peer(Observation(kPeriod, 12, v1::VISIBILITY_HUB))
          .Signed(Practice("practice-r1", v1::VISIBILITY_PUBLIC, ""), relayed)
          .Signed(Story("story-r2", "For its own hub only", v1::VISIBILITY_HUB), relayed)
          .Signed(Observation(kPeriod, 20, v1::VISIBILITY_NETWORK), relayed)
          .Done(6));

  // This node's hub sends rollups and a revocation down, its own and its hub chain's, and
  // relays other nodes' network records; a hub record may not come down.
  out.Write(batch, "hub_sends_down",
            BatchBuilder(v1::RELATION_HUB, peer)
                .Peer(Rollup("network", false, v1::VISIBILITY_NETWORK))
                .Signed(Rollup("region:north", false, v1::VISIBILITY_PUBLIC), relayed)
                .Peer(Revocation(OtherNodeId()))
                .Signed(Rollup("network", true, v1::VISIBILITY_NETWORK), relayed)
                .Peer(Rollup("region:south", true, v1::VISIBILITY_HUB))
                .Signed(Story("story-d1", "Relayed down", v1::VISIBILITY_NETWORK), relayed)
                .Peer(Story("story-d2", "Hub notes", v1::VISIBILITY_HUB))
                .Signed(Definition(v1::VISIBILITY_NETWORK, 0, 500), relayed)
                .Done(8));

  // A sister exchanges only its own records: no relays, no rollups.
  out.Write(batch, "sister_exchange",
            BatchBuilder(v1::RELATION_SISTER, peer)
                .Peer(Story("story-s1", "From a sister", v1::VISIBILITY_NETWORK))
                .Signed(Story("story-s2", "Not the sister's", v1::VISIBILITY_NETWORK), relayed)
                .Peer(Rollup("network", false, v1::VISIBILITY_NETWORK))
                .Signed(Practice("practice-s1", v1::VISIBILITY_PUBLIC, ""), relayed)
                .Peer(Story("story-s3", "Sister to its hub", v1::VISIBILITY_HUB))
                .Done(5));

  // A peer of no known relation: everything is refused, the checkpoint still moves.
  out.Write(batch, "unknown_relation",
            BatchBuilder(v1::RELATION_UNSPECIFIED, peer)
                .Peer(Story("story-u1", "Who am I", v1::VISIBILITY_NETWORK))
                .Signed(Story("story-u2", "Relayed", v1::VISIBILITY_NETWORK), relayed)
                .Done(2));

  // This node's own records handed back (recovery after a restore), but never a private one.
  out.Write(batch, "own_records_back",
            BatchBuilder(v1::RELATION_MEMBER, peer)
                .Signed(Story("story-o1", "Ours, back again", v1::VISIBILITY_NETWORK), self)
                .Signed(Observation(kPeriod, 8, v1::VISIBILITY_HUB), self)
                .Signed(Rollup("network", false, v1::VISIBILITY_NETWORK), self)
                .Bytes(Seal(Story("story-o2", "Ours, private", v1::VISIBILITY_PRIVATE), self))
                .Done(4));

  // This node's definition bounds observations: the second time this seed (or a mutation of
  // it) runs, the peer's out-of-range observation is refused.
  out.Write(batch, "bounds_from_own_definition",
            BatchBuilder(v1::RELATION_MEMBER, peer)
                .Peer(Observation("2024-04", 5000, v1::VISIBILITY_NETWORK))
                .Signed(Definition(v1::VISIBILITY_NETWORK, 0, 100), self)
                .Peer(Observation("2024-05", 50, v1::VISIBILITY_NETWORK))
                .Done(3));

  // Bytes that do not verify or are not canonical, among valid ones.
  const std::string relayed_story =
      Seal(Story("story-x1", "Relayed, then tampered with", v1::VISIBILITY_NETWORK), relayed);
  const std::string peer_story =
      Seal(Story("story-x2", "Peer's, then tampered with", v1::VISIBILITY_NETWORK), peer);
  out.Write(batch, "bad_signatures",
            BatchBuilder(v1::RELATION_MEMBER_HUB, peer)
                .Peer(Story("story-x0", "Valid", v1::VISIBILITY_NETWORK))
                .Bytes(FlipSignatureBit(relayed_story))
                .Peer(Story("story-x3", "Valid too", v1::VISIBILITY_NETWORK))
                .Bytes(ChangePayloadAfterSigning(peer_story))
                .Bytes(OutOfCanonicalOrder(relayed_story))
                .Bytes(relayed_story)
                .Done(6));

  // Over the record limit (500): refused whole, nothing written, the checkpoint stays.
  BatchBuilder over(v1::RELATION_MEMBER, peer);
  over.Peer(Story("story-l1", "Never written", v1::VISIBILITY_NETWORK))
      .Signed(Story("story-l2", "Never written either", v1::VISIBILITY_NETWORK), relayed);
  const std::string garbage(1, '\xff');  // a truncated tag
  for (int i = 0; i < 500; ++i) over.Garbage(garbage);
  out.Write(batch, "over_record_limit", over.Done(1000));
}

}  // namespace
}  // namespace ldgs::fuzzing

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s CORPUS_DIR  (e.g. tests/fuzz/corpus)\n", argv[0]);
    return 2;
  }
  using ldgs::fuzzing::FuzzKey;
  char dir[] = "/tmp/ldgs-corpus-XXXXXX";
  LDGS_CHECK(mkdtemp(dir) != nullptr);
  const std::string key_file = std::string(dir) + "/fuzz.key";  // written, loaded, removed
  const ldgs::record::NodeKey peer = ldgs::fuzzing::LoadFuzzKey(FuzzKey::kPeer, key_file);
  const ldgs::record::NodeKey relayed = ldgs::fuzzing::LoadFuzzKey(FuzzKey::kRelayed, key_file);
  const ldgs::record::NodeKey self = ldgs::fuzzing::LoadFuzzKey(FuzzKey::kSelf, key_file);
  rmdir(dir);
  ldgs::fuzzing::Writer out(argv[1]);
  ldgs::fuzzing::WriteRecordSeeds(out, peer, relayed);
  ldgs::fuzzing::WriteBatchSeeds(out, peer, relayed, self);
  std::printf("%d seed files written under %s\n", out.written(), argv[1]);
  return 0;
}
