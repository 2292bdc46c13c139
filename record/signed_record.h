#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "ldgs/v1/record.pb.h"
#include "record/limits.h"
#include "record/node_key.h"

// The one SignedRecord codec: sealing a record, decoding stored bytes, and opening (decoding,
// validating and verifying) bytes that came from outside.
namespace ldgs::record {

// A record decoded from SignedRecord bytes whose signature verified.
struct OpenedRecord {
  v1::Record record;
  std::string signed_bytes;  // exactly as received: relays forward these, never re-encode
};

// Serializes `record` and signs the bytes with `key`; returns the SignedRecord bytes.
// The record's origin must be key's node ID (checked).
std::string SealRecord(const v1::Record& record, const NodeKey& key);

// Parses SignedRecord bytes and the Record in its payload without checking the signature:
// for bytes this node verified before storing them. INVALID_ARGUMENT when they do not parse.
absl::StatusOr<v1::Record> DecodeSignedRecord(std::string_view signed_bytes);

// Parses SignedRecord bytes, verifies the signature over the exact payload bytes against
// the payload's origin, and validates the record. Never re-serializes. Returns
// INVALID_ARGUMENT for bytes that do not parse, a record out of bounds or a signature that
// does not verify (the message says which).
absl::StatusOr<OpenedRecord> OpenSignedRecord(std::string_view signed_bytes,
                                              const RecordLimits& limits);

}  // namespace ldgs::record
