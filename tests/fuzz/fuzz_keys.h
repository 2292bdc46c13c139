#pragma once

// The fixed node keys of batch_apply_fuzz, shared with the corpus generator
// (tests/fuzz/make_corpus.cc): with them a seed can carry records validly signed by the peer
// that sends the batch, by a node the peer relays, or by the receiving node itself. They are
// the RFC 8032 (section 7.1) test keys: public on purpose, and fixed so that a crashing input
// replays exactly (a key generated per run would re-sign it differently).
#include <fcntl.h>
#include <unistd.h>

#include <string>
#include <string_view>
#include <utility>

#include "common/status_macros.h"
#include "record/node_key.h"

namespace ldgs::fuzzing {

enum class FuzzKey {
  kPeer,     // sends the batch (RFC 8032 TEST 1)
  kRelayed,  // another node, relayed by the peer; in this node's hub chain when the peer is
             // its hub (TEST 2)
  kSelf,     // the node that receives the batch (TEST 3)
};

// libsodium's 64-byte secret key, hex: the 32-byte seed, then the public key.
inline const char* SecretKeyHex(FuzzKey key) {
  switch (key) {
    case FuzzKey::kPeer:
      return "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"
             "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
    case FuzzKey::kRelayed:
      return "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb"
             "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c";
    case FuzzKey::kSelf:
      return "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7"
             "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025";
  }
  return "";
}

inline std::string HexToBytes(std::string_view hex) {
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  LDGS_CHECK(hex.size() % 2 == 0);
  std::string bytes;
  for (size_t i = 0; i < hex.size(); i += 2) {
    const int high = nibble(hex[i]);
    const int low = nibble(hex[i + 1]);
    LDGS_CHECK(high >= 0 && low >= 0);
    bytes.push_back(static_cast<char>(high * 16 + low));
  }
  return bytes;
}

// The fixed key `key`. A NodeKey is only ever generated or loaded from a key file, so this
// writes the secret key to a new file `path` (mode 0600, which must not exist), loads it and
// removes the file. NodeKey::Load checks that the public half matches the seed.
inline record::NodeKey LoadFuzzKey(FuzzKey key, const std::string& path) {
  const std::string secret = HexToBytes(SecretKeyHex(key));
  LDGS_CHECK(secret.size() == 64);
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  LDGS_CHECK(fd >= 0);
  LDGS_CHECK(write(fd, secret.data(), secret.size()) == static_cast<ssize_t>(secret.size()));
  LDGS_CHECK(close(fd) == 0);
  absl::StatusOr<record::NodeKey> loaded = record::NodeKey::Load(path);
  unlink(path.c_str());
  LDGS_CHECK(loaded.ok());
  return std::move(*loaded);
}

}  // namespace ldgs::fuzzing
