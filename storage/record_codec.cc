#include "storage/record_codec.h"

namespace ldgs::storage {

absl::StatusOr<v1::Record> DecodeSignedRecord(std::string_view signed_bytes) {
  v1::SignedRecord signed_record;
  if (!signed_record.ParseFromArray(signed_bytes.data(), static_cast<int>(signed_bytes.size()))) {
    return absl::InvalidArgumentError("signed record does not parse");
  }
  v1::Record record;
  if (!record.ParseFromString(signed_record.payload())) {
    return absl::InvalidArgumentError("record payload does not parse");
  }
  return record;
}

}  // namespace ldgs::storage
