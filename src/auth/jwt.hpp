#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include <nlohmann/json.hpp>

#include "auth/base64url.hpp"

namespace deltacast::auth {

struct JwtKeys {
    std::string hs256_secret;         // empty = HS256 not accepted
    std::string rs256_public_key_pem; // empty = RS256 not accepted
};

enum class JwtError { Malformed, UnsupportedAlg, BadSignature, Expired, NotYetValid, NoSubject };

// "malformed", "unsupported-alg", "bad-signature", "expired", "not-yet-valid", "no-subject".
std::string_view to_string(JwtError e);

struct VerifiedToken {
    nlohmann::json claims;                  // the payload object
    std::string subject;                    // "sub"; an integer is converted to its decimal text
    std::optional<std::int64_t> expires_at; // "exp" if present (a fractional value is floored)
};

// Verifies compact JWS tokens (HS256 and RS256 only) and their time claims.
// Immutable after construction: verify() is const and safe to call from many threads at once.
// The constructor throws std::runtime_error when the RS256 PEM key cannot be loaded (not a
// "BEGIN PUBLIC KEY" PEM, not RSA, or under 2048 bits); nothing else throws. Never logs.
// A moved-from verifier may only be destroyed or assigned to.
class JwtVerifier {
public:
    explicit JwtVerifier(JwtKeys keys, std::int64_t leeway_s = 30);
    ~JwtVerifier();
    JwtVerifier(JwtVerifier&&) noexcept;
    JwtVerifier& operator=(JwtVerifier&&) noexcept;
    JwtVerifier(const JwtVerifier&) = delete;
    JwtVerifier& operator=(const JwtVerifier&) = delete;

    std::variant<VerifiedToken, JwtError> verify(std::string_view token,
                                                 std::int64_t now_unix) const;

private:
    struct Impl;
    std::unique_ptr<const Impl> impl_;
};

// Signs an HS256 token (tests, tools, the demo). Header {"alg":"HS256","typ":"JWT"}.
// Throws nlohmann::json::type_error if a claim string is not valid UTF-8.
std::string sign_hs256(const nlohmann::json& claims, std::string_view secret);

} // namespace deltacast::auth
