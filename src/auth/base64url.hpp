#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace deltacast::auth {

// Unpadded base64url (RFC 4648 §5), as used by JWS.
std::string base64url_encode(std::string_view bytes);
// Strict decoder: rejects '=', characters outside the alphabet, impossible lengths and
// non-zero trailing bits (so every token has exactly one encoding).
std::optional<std::string> base64url_decode(std::string_view text);

} // namespace deltacast::auth
