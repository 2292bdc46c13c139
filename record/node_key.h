#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace ldgs::record {

// A node's Ed25519 identity. The node ID is the base32 of the public key, so anyone can
// check a signature from the ID alone.
class NodeKey {
 public:
  static NodeKey Generate();
  // Loads a key written by Save. NOT_FOUND when absent, FAILED_PRECONDITION when the file
  // is readable by group or others or is not a key.
  static absl::StatusOr<NodeKey> Load(const std::string& path);
  // Writes the secret key to a new file with mode 0600; ALREADY_EXISTS if it exists.
  absl::Status Save(const std::string& path) const;

  NodeKey(NodeKey&& other) noexcept = default;
  NodeKey& operator=(NodeKey&& other) noexcept = default;
  ~NodeKey();

  const std::string& node_id() const { return node_id_; }
  // Detached Ed25519 signature (64 bytes) over `message`.
  std::string Sign(std::string_view message) const;

 private:
  explicit NodeKey(std::string secret_key);
  std::string secret_key_;  // libsodium's 64-byte form: seed followed by public key
  std::string node_id_;
};

// True when `signature` is `node_id`'s Ed25519 signature over `message`. False, never a
// crash, for a malformed node ID or signature.
bool VerifySignature(std::string_view node_id, std::string_view message,
                     std::string_view signature);

// True when `text` is a well-formed node ID (the base32 of a 32-byte key).
bool IsNodeId(std::string_view text);

// Random bytes from libsodium, e.g. for tokens and record IDs.
std::string RandomBytes(size_t count);

}  // namespace ldgs::record

namespace ldgs::record {
// A 32-byte BLAKE2b hash of a secret (invites are stored by it).
std::string HashSecret(std::string_view secret);

// Compares secrets (tokens) in time independent of where they differ.
bool ConstantTimeEquals(std::string_view a, std::string_view b);
}  // namespace ldgs::record
