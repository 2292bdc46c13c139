#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace ldgs {

// RFC 4648 base32, upper case, without padding. Node IDs are the base32 of the Ed25519
// public key (32 bytes -> 52 characters).
std::string Base32Encode(std::string_view bytes);

// Returns nullopt on a character outside the alphabet or a non-canonical length.
std::optional<std::string> Base32Decode(std::string_view text);

}  // namespace ldgs
