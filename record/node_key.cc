#include "record/node_key.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <iterator>

#include "common/base32.h"
#include "common/status_macros.h"

namespace ldgs::record {
namespace {

void EnsureSodium() {
  static const bool ready = sodium_init() >= 0;
  LDGS_CHECK(ready);
}

std::string PublicKeyOf(const std::string& secret_key) {
  return secret_key.substr(crypto_sign_SEEDBYTES, crypto_sign_PUBLICKEYBYTES);
}

}  // namespace

NodeKey::NodeKey(std::string secret_key)
    : secret_key_(std::move(secret_key)), node_id_(Base32Encode(PublicKeyOf(secret_key_))) {}

NodeKey::~NodeKey() {
  if (!secret_key_.empty()) sodium_memzero(secret_key_.data(), secret_key_.size());
}

NodeKey NodeKey::Generate() {
  EnsureSodium();
  std::string public_key(crypto_sign_PUBLICKEYBYTES, '\0');
  std::string secret_key(crypto_sign_SECRETKEYBYTES, '\0');
  crypto_sign_keypair(reinterpret_cast<unsigned char*>(public_key.data()),
                      reinterpret_cast<unsigned char*>(secret_key.data()));
  return NodeKey(std::move(secret_key));
}

absl::StatusOr<NodeKey> NodeKey::Load(const std::string& path) {
  EnsureSodium();
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return absl::NotFoundError("no node key at " + path);
  if ((st.st_mode & 077) != 0) {
    return absl::FailedPreconditionError("node key " + path +
                                         " is readable by others; chmod 600 it");
  }
  std::ifstream in(path, std::ios::binary);
  std::string secret_key((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (secret_key.size() != crypto_sign_SECRETKEYBYTES) {
    return absl::FailedPreconditionError("node key " + path + " is not an Ed25519 key");
  }
  // The stored public half must match the seed, or the file was damaged.
  std::string public_key(crypto_sign_PUBLICKEYBYTES, '\0');
  crypto_sign_ed25519_sk_to_pk(reinterpret_cast<unsigned char*>(public_key.data()),
                               reinterpret_cast<const unsigned char*>(secret_key.data()));
  if (public_key != PublicKeyOf(secret_key)) {
    return absl::FailedPreconditionError("node key " + path + " is damaged");
  }
  return NodeKey(std::move(secret_key));
}

absl::Status NodeKey::Save(const std::string& path) const {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (errno == EEXIST) return absl::AlreadyExistsError("node key exists at " + path);
    return absl::InternalError("cannot create " + path);
  }
  ssize_t written = write(fd, secret_key_.data(), secret_key_.size());
  bool ok = written == static_cast<ssize_t>(secret_key_.size()) && fsync(fd) == 0;
  close(fd);
  if (!ok) return absl::InternalError("cannot write node key " + path);
  return absl::OkStatus();
}

std::string NodeKey::Sign(std::string_view message) const {
  std::string signature(crypto_sign_BYTES, '\0');
  crypto_sign_detached(reinterpret_cast<unsigned char*>(signature.data()), nullptr,
                       reinterpret_cast<const unsigned char*>(message.data()), message.size(),
                       reinterpret_cast<const unsigned char*>(secret_key_.data()));
  return signature;
}

bool VerifySignature(std::string_view node_id, std::string_view message,
                     std::string_view signature) {
  EnsureSodium();
  std::optional<std::string> public_key = Base32Decode(node_id);
  if (!public_key || public_key->size() != crypto_sign_PUBLICKEYBYTES) return false;
  if (signature.size() != crypto_sign_BYTES) return false;
  return crypto_sign_verify_detached(
             reinterpret_cast<const unsigned char*>(signature.data()),
             reinterpret_cast<const unsigned char*>(message.data()), message.size(),
             reinterpret_cast<const unsigned char*>(public_key->data())) == 0;
}

bool IsNodeId(std::string_view text) {
  std::optional<std::string> bytes = Base32Decode(text);
  return bytes && bytes->size() == crypto_sign_PUBLICKEYBYTES;
}

std::string RandomBytes(size_t count) {
  EnsureSodium();
  std::string bytes(count, '\0');
  randombytes_buf(bytes.data(), bytes.size());
  return bytes;
}

}  // namespace ldgs::record

namespace ldgs::record {
bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}
}  // namespace ldgs::record

namespace ldgs::record {
std::string HashSecret(std::string_view secret) {
  EnsureSodium();
  std::string hash(32, '\0');
  crypto_generichash(reinterpret_cast<unsigned char*>(hash.data()), hash.size(),
                     reinterpret_cast<const unsigned char*>(secret.data()), secret.size(), nullptr,
                     0);
  return hash;
}
}  // namespace ldgs::record
