#include "storage/keys.h"

namespace ldgs::storage {

std::string RecordKey(std::string_view origin, std::string_view id) {
  std::string key(origin);
  key.push_back('\0');
  key.append(id);
  return key;
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
  std::string key = "c";
  key.append(peer);
  key.push_back('\0');
  key.push_back(static_cast<char>(direction));
  return key;
}

std::string EnrollmentKey(std::string_view node_id) { return "e" + std::string(node_id); }

}  // namespace ldgs::storage
