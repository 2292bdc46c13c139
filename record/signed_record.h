#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "ldgs/v1/record.pb.h"
#include "record/limits.h"
#include "record/node_key.h"
#include "storage/store.h"

namespace ldgs::record {

// Serializes `record` and signs the bytes with `key`; returns the SignedRecord bytes.
// The record's origin must be key's node ID (checked).
std::string SealRecord(const v1::Record& record, const NodeKey& key);

// Parses SignedRecord bytes, verifies the signature over the exact payload bytes against
// the payload's origin, and validates the record. Never re-serializes. Returns
// INVALID_ARGUMENT for bytes that do not parse, a record out of bounds or a signature that
// does not verify (the message says which).
absl::StatusOr<storage::IncomingRecord> OpenSignedRecord(std::string_view signed_bytes,
                                                         const RecordLimits& limits);

}  // namespace ldgs::record
