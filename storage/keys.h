#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "ldgs/v1/record.pb.h"

// Byte layouts of the keys in each column family (storage/schema.h lists them). Integers are
// big-endian so that RocksDB's bytewise order is numeric order.
namespace ldgs::storage {

// records CF: origin '\0' id. Neither part may contain '\0' (validated at the edge).
std::string RecordKey(std::string_view origin, std::string_view id);
// A change feed entry's value: the record's key, and (since schema 3 stores write it) the
// record's kind, so that a feed reader can skip records it does not want unread.
struct FeedValue {
  std::string_view key;
  v1::Kind kind = v1::KIND_UNSPECIFIED;  // unknown: an entry written before kinds were kept
};
std::string EncodeFeedValue(std::string_view record_key, v1::Kind kind);
FeedValue DecodeFeedValue(std::string_view value);

// Splits a key made by RecordKey; returns false when it has no separator.
bool SplitRecordKey(std::string_view key, std::string* origin, std::string* id);
// Prefix of every records-CF key of one origin.
std::string OriginPrefix(std::string_view origin);

std::string EncodeU64(uint64_t value);
// Returns false unless `bytes` holds exactly 8 bytes.
bool DecodeU64(std::string_view bytes, uint64_t* value);

enum class PeerDirection : char { kInbound = 'i', kOutbound = 'o' };
// node_state CF keys.
std::string CheckpointKey(std::string_view peer, PeerDirection direction);  // 'c' peer '\0' dir
std::string EnrollmentKey(std::string_view node_id);                        // 'e' node_id
std::string InviteKey(std::string_view secret_hash);                        // 'v' hash
std::string MarkerKey(std::string_view name);                               // 'm' name
inline constexpr char kEnrollmentPrefix[] = "e";

// meta CF keys.
inline constexpr char kSchemaVersionKey[] = "schema_version";
inline constexpr char kLastSeqKey[] = "last_seq";
inline constexpr char kLastPurgeKey[] = "last_purge_us";  // when retracted bytes were purged
// Present from a retraction until the purge after it: a node stopped in between purges at
// its next start.
inline constexpr char kPurgePendingKey[] = "purge_pending";

}  // namespace ldgs::storage
