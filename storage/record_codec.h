#pragma once

#include <string_view>

#include "absl/status/statusor.h"
#include "ldgs/v1/record.pb.h"

namespace ldgs::storage {

// Parses SignedRecord bytes and the Record in its payload. Does not check the signature
// (record/signed_record.h does); returns INVALID_ARGUMENT on bytes that do not parse.
absl::StatusOr<v1::Record> DecodeSignedRecord(std::string_view signed_bytes);

}  // namespace ldgs::storage
