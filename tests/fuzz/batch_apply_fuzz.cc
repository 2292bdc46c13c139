// A replication batch from a peer, arbitrary bytes: parsed, verified, checked and applied to
// a real store. Never crashes; a refused batch writes nothing. Half of each input's records
// are re-signed with real keys so that the apply path itself is reached.
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "common/status_macros.h"
#include "daemon/replication/inbound_batch.h"
#include "google/protobuf/stubs/logging.h"
#include "record/signed_record.h"
#include "storage/storage.h"

namespace {
ldgs::storage::Storage* storage = nullptr;  // lives for the whole run
ldgs::storage::RecordStore* store = nullptr;
ldgs::record::NodeKey* peer_key = nullptr;
}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  google::protobuf::SetLogHandler(nullptr);
  char dir[] = "/tmp/ldgs-fuzz-XXXXXX";
  LDGS_CHECK(mkdtemp(dir) != nullptr);
  storage = std::move(*ldgs::storage::Storage::Open(dir)).release();
  store = &storage->records();
  peer_key = new ldgs::record::NodeKey(ldgs::record::NodeKey::Generate());
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ldgs::v1::Batch batch;
  if (!batch.ParseFromArray(data, static_cast<int>(size))) return 0;
  // Re-sign records that parse as Records, as the peer: reaches apply, not just verify.
  for (int i = 0; i < batch.records_size(); i += 2) {
    ldgs::v1::Record record;
    if (record.ParseFromString(batch.records(i))) {
      record.set_origin(peer_key->node_id());
      *batch.mutable_records(i) = ldgs::record::SealRecord(record, *peer_key);
    }
  }
  const ldgs::daemon::replication::SelfView self{"SELF", true, {}};
  const ldgs::daemon::replication::PeerView peer{
      peer_key->node_id(),
      (size & 1) != 0 ? ldgs::v1::RELATION_MEMBER_HUB : ldgs::v1::RELATION_MEMBER};
  static ldgs::daemon::replication::Revocations revocations;
  const uint64_t before = store->LastSequence();
  absl::StatusOr<ldgs::daemon::replication::InboundResult> result =
      ldgs::daemon::replication::ApplyInboundBatch(store, batch, self, peer, revocations,
                                                   ldgs::record::RecordLimits(),
                                                   ldgs::daemon::replication::BatchLimits());
  if (!result.ok()) {
    LDGS_CHECK(store->LastSequence() == before);  // a refused batch writes nothing
    return 0;
  }
  // Every record is accounted for once, and exactly the applied ones got a feed entry.
  const ldgs::storage::ApplyResult& a = result->applied;
  LDGS_CHECK(a.applied + a.unchanged + a.stale + a.forks + result->refused == batch.records_size());
  LDGS_CHECK(store->LastSequence() - before == static_cast<uint64_t>(a.applied));
  return 0;
}
