// Record decoding and verification on arbitrary bytes (a SignedRecord, serialized): never
// crashes, whatever is accepted has a verifying signature and a valid record, and whatever
// is in canonical form, verifies and is valid is accepted. Seeds with validly signed records
// of every kind are in tests/fuzz/corpus/record_fuzz (written by tests/fuzz/make_corpus.cc).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/status_macros.h"
#include "google/protobuf/stubs/logging.h"
#include "record/node_key.h"
#include "record/record_validation.h"
#include "record/signed_record.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  google::protobuf::SetLogHandler(nullptr);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  const ldgs::record::RecordLimits limits;
  absl::StatusOr<ldgs::record::OpenedRecord> opened = ldgs::record::OpenSignedRecord(bytes, limits);
  // Decided by hand: within the size limit, the envelope in canonical form, the payload a
  // valid Record, and the signature verifying over the exact payload bytes.
  ldgs::v1::SignedRecord signed_record;
  ldgs::v1::Record record;
  const bool acceptable = size <= limits.max_record_bytes &&
                          signed_record.ParseFromArray(data, static_cast<int>(size)) &&
                          signed_record.SerializeAsString() == bytes &&
                          record.ParseFromString(signed_record.payload()) &&
                          ldgs::record::ValidateRecord(record, limits).ok() &&
                          ldgs::record::VerifySignature(record.origin(), signed_record.payload(),
                                                        signed_record.signature());
  LDGS_CHECK(opened.ok() == acceptable);
  if (opened.ok()) {
    LDGS_CHECK(opened->signed_bytes == bytes);  // kept exactly as received
    LDGS_CHECK(opened->record.origin() == record.origin() && opened->record.id() == record.id() &&
               opened->record.version() == record.version());
  }
  return 0;
}
