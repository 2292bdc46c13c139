// Record decoding and verification on arbitrary bytes: never crashes, and whatever is
// accepted has a verifying signature and a valid record.
#include <cstddef>
#include <cstdint>
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
  if (opened.ok()) {
    ldgs::v1::SignedRecord signed_record;
    LDGS_CHECK(signed_record.ParseFromArray(data, static_cast<int>(size)));
    LDGS_CHECK(ldgs::record::VerifySignature(opened->record.origin(), signed_record.payload(),
                                             signed_record.signature()));
    LDGS_CHECK(ldgs::record::ValidateRecord(opened->record, limits).ok());
  }
  return 0;
}
