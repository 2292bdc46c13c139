#include "record/signed_record.h"

#include "common/status_macros.h"
#include "record/record_validation.h"

namespace ldgs::record {
namespace {

absl::StatusOr<v1::SignedRecord> ParseSigned(std::string_view signed_bytes) {
  v1::SignedRecord signed_record;
  if (!signed_record.ParseFromArray(signed_bytes.data(), static_cast<int>(signed_bytes.size()))) {
    return absl::InvalidArgumentError("signed record does not parse");
  }
  return signed_record;
}

}  // namespace

std::string SealRecord(const v1::Record& record, const NodeKey& key) {
  LDGS_CHECK(record.origin() == key.node_id());
  v1::SignedRecord signed_record;
  signed_record.set_payload(record.SerializeAsString());
  signed_record.set_signature(key.Sign(signed_record.payload()));
  return signed_record.SerializeAsString();
}

absl::StatusOr<v1::Record> DecodeSignedRecord(std::string_view signed_bytes) {
  LDGS_ASSIGN_OR_RETURN(v1::SignedRecord signed_record, ParseSigned(signed_bytes));
  v1::Record record;
  if (!record.ParseFromString(signed_record.payload())) {
    return absl::InvalidArgumentError("record payload does not parse");
  }
  return record;
}

absl::StatusOr<OpenedRecord> OpenSignedRecord(std::string_view signed_bytes,
                                              const RecordLimits& limits) {
  if (signed_bytes.size() > limits.max_record_bytes) {
    return absl::InvalidArgumentError("signed record is " + std::to_string(signed_bytes.size()) +
                                      " bytes, more than the limit of " +
                                      std::to_string(limits.max_record_bytes));
  }
  LDGS_ASSIGN_OR_RETURN(v1::SignedRecord signed_record, ParseSigned(signed_bytes));
  // The envelope is unsigned: only its canonical form is taken, so no relay can pad a
  // record or make an honest copy look like a fork.
  if (signed_record.SerializeAsString() != signed_bytes) {
    return absl::InvalidArgumentError("signed record envelope is not in canonical form");
  }
  OpenedRecord opened;
  if (!opened.record.ParseFromString(signed_record.payload())) {
    return absl::InvalidArgumentError("record payload does not parse");
  }
  LDGS_RETURN_IF_ERROR(ValidateRecord(opened.record, limits));
  if (!VerifySignature(opened.record.origin(), signed_record.payload(),
                       signed_record.signature())) {
    return absl::InvalidArgumentError("signature of record " + opened.record.id() +
                                      " does not verify against its origin " +
                                      opened.record.origin());
  }
  opened.signed_bytes.assign(signed_bytes);
  return opened;
}

}  // namespace ldgs::record
