#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include <nlohmann/json.hpp>

#include "auth/jwt.hpp"

namespace deltacast::auth::test {

inline constexpr std::int64_t now = 1'700'000'000;

// "ok" or the error's name, so assertions read as the expected outcome.
inline std::string outcome(const std::variant<VerifiedToken, JwtError> &result) {
    if (const auto *error = std::get_if<JwtError>(&result))
        return std::string(to_string(*error));
    return "ok";
}

// Assembles a compact token from raw parts, for tokens sign_hs256 cannot produce.
inline std::string compact(const nlohmann::json &header, const nlohmann::json &payload,
                           std::string_view signature_bytes) {
    return base64url_encode(header.dump()) + '.' + base64url_encode(payload.dump()) + '.' +
           base64url_encode(signature_bytes);
}

} // namespace deltacast::auth::test
