#pragma once

#include <cstdint>
#include <string>
#include <string_view>

// Byte layouts of the keys in each column family. Integers are big-endian so that RocksDB's
// bytewise order is numeric order.
namespace ldgs::storage {

// records CF: origin '\0' id. Neither part may contain '\0' (validated at the edge).
std::string RecordKey(std::string_view origin, std::string_view id);
// Splits a key made by RecordKey; returns false when it has no separator.
bool SplitRecordKey(std::string_view key, std::string* origin, std::string* id);
// Prefix of every records-CF key of one origin.
std::string OriginPrefix(std::string_view origin);

std::string EncodeU64(uint64_t value);
// Returns false unless `bytes` holds exactly 8 bytes.
bool DecodeU64(std::string_view bytes, uint64_t* value);

enum class PeerDirection : char { kInbound = 'i', kOutbound = 'o' };
// peers CF: 'c' peer '\0' direction -> sequence.
std::string CheckpointKey(std::string_view peer, PeerDirection direction);
// peers CF: 'e' node_id -> Enrollment.
std::string EnrollmentKey(std::string_view node_id);
inline constexpr char kEnrollmentPrefix[] = "e";

}  // namespace ldgs::storage
