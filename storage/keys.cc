#include "storage/keys.h"

namespace ldgs::storage {
namespace {

// Built with append rather than operator+: GCC 12 at -O3 reports a false -Wrestrict inside
// libstdc++'s operator+ on strings (TOOLCHAIN.md, 13).
std::string Prefixed(char tag, std::string_view rest) {
  std::string key(1, tag);
  key.append(rest);
  return key;
}

}  // namespace

std::string RecordKey(std::string_view origin, std::string_view id) {
  std::string key(origin);
  key.push_back('\0');
  key.append(id);
  return key;
}

// The kind follows the key after a byte no record key holds (ids and node IDs are printable).
constexpr char kKindMark = '\x01';

std::string EncodeFeedValue(std::string_view record_key, v1::Kind kind) {
  std::string value(record_key);
  value.push_back(kKindMark);
  value.push_back(static_cast<char>(kind));
  return value;
}

FeedValue DecodeFeedValue(std::string_view value) {
  FeedValue feed;
  feed.key = value;
  if (value.size() >= 2 && value[value.size() - 2] == kKindMark) {
    const int kind = static_cast<unsigned char>(value.back());
    feed.key = value.substr(0, value.size() - 2);
    if (v1::Kind_IsValid(kind)) feed.kind = static_cast<v1::Kind>(kind);
  }
  return feed;
}

bool SplitRecordKey(std::string_view key, std::string* origin, std::string* id) {
  size_t sep = key.find('\0');
  if (sep == std::string_view::npos) return false;
  origin->assign(key.substr(0, sep));
  id->assign(key.substr(sep + 1));
  return true;
}

std::string OriginPrefix(std::string_view origin) { return RecordKey(origin, ""); }

std::string EncodeU64(uint64_t value) {
  std::string out(8, '\0');
  for (int i = 7; i >= 0; --i) {
    out[i] = static_cast<char>(value & 0xff);
    value >>= 8;
  }
  return out;
}

bool DecodeU64(std::string_view bytes, uint64_t* value) {
  if (bytes.size() != 8) return false;
  uint64_t v = 0;
  for (unsigned char c : bytes) v = (v << 8) | c;
  *value = v;
  return true;
}

std::string CheckpointKey(std::string_view peer, PeerDirection direction) {
  std::string key = Prefixed('c', peer);
  key.push_back('\0');
  key.push_back(static_cast<char>(direction));
  return key;
}

std::string EnrollmentKey(std::string_view node_id) { return Prefixed('e', node_id); }
std::string InviteKey(std::string_view secret_hash) { return Prefixed('v', secret_hash); }
std::string MarkerKey(std::string_view name) { return Prefixed('m', name); }

}  // namespace ldgs::storage
