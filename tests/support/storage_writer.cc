// Test helper: applies batches of signed records to a store, one synced WriteBatch each with
// the batch number as a checkpoint, and prints "ack N" after each batch is acknowledged.
// The crash test kills it with SIGKILL and checks that every acknowledged batch survived.
// Usage: storage_writer DIR RECORDS_PER_BATCH
#include <cstdio>
#include <cstdlib>
#include <string>

#include "record/node_key.h"
#include "record/signed_record.h"
#include "storage/storage.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: storage_writer DIR RECORDS_PER_BATCH\n");
    return 2;
  }
  auto storage = ldgs::storage::Storage::Open(argv[1]);
  if (!storage.ok()) {
    std::fprintf(stderr, "storage_writer: %s\n", std::string(storage.status().message()).c_str());
    return 1;
  }
  const int per_batch = std::atoi(argv[2]);
  ldgs::record::NodeKey key = ldgs::record::NodeKey::Generate();
  std::printf("origin %s\n", key.node_id().c_str());
  std::fflush(stdout);
  // Bounded: the test kills it long before, and it stops by itself if the test does not.
  for (uint64_t batch = 1; batch <= 100000; ++batch) {
    std::vector<ldgs::storage::IncomingRecord> records;
    for (int i = 0; i < per_batch; ++i) {
      ldgs::v1::Record r;
      r.set_origin(key.node_id());
      r.set_id("b" + std::to_string(batch) + "-r" + std::to_string(i));
      r.set_version(batch);
      r.set_kind(ldgs::v1::KIND_STORY);
      r.set_visibility(ldgs::v1::VISIBILITY_NETWORK);
      r.mutable_story()->set_title("story " + r.id());
      ldgs::storage::IncomingRecord in;
      in.record = r;
      in.signed_bytes = ldgs::record::SealRecord(r, key);
      records.push_back(std::move(in));
    }
    auto applied = (*storage)->records().Apply(
        records, ldgs::storage::StateChange().SetCheckpoint(
                     "writer", ldgs::storage::PeerDirection::kInbound,
                     ldgs::storage::FeedPosition{"writer-epoch", batch}));
    if (!applied.ok()) {
      std::fprintf(stderr, "storage_writer: %s\n", std::string(applied.status().message()).c_str());
      return 1;
    }
    std::printf("ack %llu\n", static_cast<unsigned long long>(batch));
    std::fflush(stdout);
  }
  return 0;
}
