#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace ldgs {

// `text` with control characters (C0, DEL and UTF-8 C1) written as \xNN or \u00NN: for
// terminal output and logs of text that came from peers, so that none of it is taken as a
// control sequence.
std::string EscapeForTerminal(std::string_view text);

// The longest prefix of `text` of at most `max_bytes` that does not end inside a UTF-8
// sequence: a bounded copy of a peer's text must stay valid UTF-8 (proto3 strings are).
std::string_view TruncateUtf8(std::string_view text, size_t max_bytes);

// Lower-case hex of `bytes`, and back (nullopt for anything that is not even-length hex).
std::string HexEncode(std::string_view bytes);
std::optional<std::string> HexDecode(std::string_view hex);

}  // namespace ldgs
