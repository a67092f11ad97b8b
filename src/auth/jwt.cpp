#include "auth/jwt.hpp"

#include "auth/base64url.hpp"

#include <array>
#include <climits>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <utility>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>

namespace deltacast::auth {
namespace {

using nlohmann::json;

constexpr std::size_t max_token_bytes = 8192; // 8 KiB
constexpr int min_rsa_bits = 2048;            // RFC 7518 §3.3

struct PkeyDeleter {
    void operator()(EVP_PKEY* key) const noexcept { EVP_PKEY_free(key); }
};
struct BioDeleter {
    void operator()(BIO* bio) const noexcept { BIO_free(bio); }
};
struct MdCtxDeleter {
    void operator()(EVP_MD_CTX* ctx) const noexcept { EVP_MD_CTX_free(ctx); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyDeleter>;

enum class Alg { Hs256, Rs256 };

struct Segments {
    std::string_view header;
    std::string_view payload;
    std::string_view signature;
    std::string_view signing_input; // "header.payload", exactly as received
};

const unsigned char* bytes_of(std::string_view s) {
    return reinterpret_cast<const unsigned char*>(s.data());
}

std::optional<Segments> split_compact(std::string_view token) {
    const auto d1 = token.find('.');
    if (d1 == std::string_view::npos)
        return std::nullopt;
    const auto d2 = token.find('.', d1 + 1);
    if (d2 == std::string_view::npos || token.find('.', d2 + 1) != std::string_view::npos) {
        return std::nullopt;
    }
    return Segments{token.substr(0, d1), token.substr(d1 + 1, d2 - d1 - 1), token.substr(d2 + 1),
                    token.substr(0, d2)};
}

std::optional<json> parse_object(const std::string& text) {
    json value = json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (value.is_discarded() || !value.is_object())
        return std::nullopt;
    return value;
}

std::optional<std::array<unsigned char, 32>> hmac_sha256(std::string_view key,
                                                         std::string_view data) {
    static constexpr unsigned char empty_key[1] = {0};
    if (key.size() > static_cast<std::size_t>(INT_MAX))
        return std::nullopt;
    std::array<unsigned char, 32> mac{};
    unsigned int mac_len = 0;
    const void* key_ptr = key.empty() ? static_cast<const void*>(empty_key) : key.data();
    if (HMAC(EVP_sha256(), key_ptr, static_cast<int>(key.size()), bytes_of(data), data.size(),
             mac.data(), &mac_len) == nullptr ||
        mac_len != mac.size()) {
        ERR_clear_error();
        return std::nullopt;
    }
    return mac;
}

bool rs256_signature_ok(EVP_PKEY* key, std::string_view input, std::string_view signature) {
    std::unique_ptr<EVP_MD_CTX, MdCtxDeleter> ctx(EVP_MD_CTX_new());
    const bool ok = ctx &&
                    EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key) == 1 &&
                    EVP_DigestVerify(ctx.get(), bytes_of(signature), signature.size(),
                                     bytes_of(input), input.size()) == 1;
    // The error queue is per thread; leave it clean for whoever uses OpenSSL next.
    if (!ok)
        ERR_clear_error();
    return ok;
}

PkeyPtr load_rsa_public_key(const std::string& pem) {
    if (pem.size() > static_cast<std::size_t>(INT_MAX)) {
        throw std::runtime_error("auth: RS256 public key is too large");
    }
    std::unique_ptr<BIO, BioDeleter> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    // A refusing passphrase callback: never prompt on the terminal.
    pem_password_cb* no_prompt = [](char*, int, int, void*) { return 0; };
    PkeyPtr key(bio ? PEM_read_bio_PUBKEY(bio.get(), nullptr, no_prompt, nullptr) : nullptr);
    ERR_clear_error();
    if (!key) {
        throw std::runtime_error(
            "auth: cannot parse the RS256 public key (expected a \"BEGIN PUBLIC KEY\" PEM)");
    }
    if (EVP_PKEY_get_base_id(key.get()) != EVP_PKEY_RSA) {
        throw std::runtime_error("auth: the RS256 public key is not an RSA key");
    }
    if (EVP_PKEY_get_bits(key.get()) < min_rsa_bits) {
        throw std::runtime_error("auth: the RS256 public key is shorter than 2048 bits");
    }
    return key;
}

// NumericDate (RFC 7519 §2): any JSON number; fractions are floored, huge values saturate.
std::optional<std::int64_t> numeric_date(const json& value) {
    constexpr auto max = std::numeric_limits<std::int64_t>::max();
    constexpr auto min = std::numeric_limits<std::int64_t>::min();
    if (value.is_number_unsigned()) {
        const auto u = value.get<std::uint64_t>();
        return u > static_cast<std::uint64_t>(max) ? max : static_cast<std::int64_t>(u);
    }
    if (value.is_number_integer())
        return value.get<std::int64_t>();
    if (!value.is_number_float())
        return std::nullopt;
    const double d = std::floor(value.get<double>());
    if (std::isnan(d))
        return std::nullopt;
    if (d >= 0x1p63)
        return max;
    if (d < -0x1p63)
        return min;
    return static_cast<std::int64_t>(d);
}

std::string subject_of(const json& claims) {
    const auto it = claims.find("sub");
    if (it == claims.end())
        return {};
    if (it->is_string())
        return it->get<std::string>();
    if (it->is_number_unsigned())
        return std::to_string(it->get<std::uint64_t>());
    if (it->is_number_integer())
        return std::to_string(it->get<std::int64_t>());
    return {};
}

std::variant<VerifiedToken, JwtError> check_claims(json claims, std::int64_t now,
                                                   std::int64_t leeway) {
    VerifiedToken out;
    if (const auto it = claims.find("exp"); it != claims.end()) {
        const auto exp = numeric_date(*it);
        if (!exp)
            return JwtError::Malformed;
        if (*exp <= now - leeway)
            return JwtError::Expired;
        out.expires_at = exp;
    }
    if (const auto it = claims.find("nbf"); it != claims.end()) {
        const auto nbf = numeric_date(*it);
        if (!nbf)
            return JwtError::Malformed;
        if (*nbf > now + leeway)
            return JwtError::NotYetValid;
    }
    out.subject = subject_of(claims);
    if (out.subject.empty())
        return JwtError::NoSubject;
    out.claims = std::move(claims);
    return out;
}

} // namespace

std::string_view to_string(JwtError e) {
    switch (e) {
    case JwtError::Malformed:
        return "malformed";
    case JwtError::UnsupportedAlg:
        return "unsupported-alg";
    case JwtError::BadSignature:
        return "bad-signature";
    case JwtError::Expired:
        return "expired";
    case JwtError::NotYetValid:
        return "not-yet-valid";
    case JwtError::NoSubject:
        return "no-subject";
    }
    return "unknown";
}

struct JwtVerifier::Impl {
    std::string hs256_secret;
    PkeyPtr rs256_key;
    std::int64_t leeway_s;

    // The key decides which algorithms exist: "none", HS512, or HS256 without a secret are
    // all refused here, before any signature work (no algorithm confusion).
    std::variant<Alg, JwtError> select_alg(const json& header) const {
        if (header.contains("crit"))
            return JwtError::Malformed; // we understand no extension
        const auto it = header.find("alg");
        if (it == header.end() || !it->is_string())
            return JwtError::Malformed;
        const auto& alg = it->get_ref<const std::string&>();
        if (alg == "HS256" && !hs256_secret.empty())
            return Alg::Hs256;
        if (alg == "RS256" && rs256_key)
            return Alg::Rs256;
        return JwtError::UnsupportedAlg;
    }

    bool signature_ok(Alg alg, std::string_view input, std::string_view signature) const {
        if (alg == Alg::Rs256)
            return rs256_signature_ok(rs256_key.get(), input, signature);
        const auto mac = hmac_sha256(hs256_secret, input);
        return mac && signature.size() == mac->size() &&
               CRYPTO_memcmp(mac->data(), signature.data(), mac->size()) == 0;
    }
};

JwtVerifier::JwtVerifier(JwtKeys keys, std::int64_t leeway_s) {
    auto impl = std::make_unique<Impl>();
    impl->hs256_secret = std::move(keys.hs256_secret);
    if (!keys.rs256_public_key_pem.empty()) {
        impl->rs256_key = load_rsa_public_key(keys.rs256_public_key_pem);
    }
    impl->leeway_s = leeway_s < 0 ? 0 : leeway_s;
    impl_ = std::move(impl);
}

JwtVerifier::~JwtVerifier() = default;
JwtVerifier::JwtVerifier(JwtVerifier&&) noexcept = default;
JwtVerifier& JwtVerifier::operator=(JwtVerifier&&) noexcept = default;

std::variant<VerifiedToken, JwtError> JwtVerifier::verify(std::string_view token,
                                                          std::int64_t now_unix) const {
    if (token.size() > max_token_bytes)
        return JwtError::Malformed;
    const auto parts = split_compact(token);
    if (!parts)
        return JwtError::Malformed;
    const auto header_text = base64url_decode(parts->header);
    const auto payload_text = base64url_decode(parts->payload);
    const auto signature = base64url_decode(parts->signature);
    if (!header_text || !payload_text || !signature)
        return JwtError::Malformed;
    const auto header = parse_object(*header_text);
    if (!header)
        return JwtError::Malformed;

    const auto alg = impl_->select_alg(*header);
    if (const auto* error = std::get_if<JwtError>(&alg))
        return *error;
    // The payload is parsed only once its signature holds.
    if (!impl_->signature_ok(std::get<Alg>(alg), parts->signing_input, *signature)) {
        return JwtError::BadSignature;
    }
    auto claims = parse_object(*payload_text);
    if (!claims)
        return JwtError::Malformed;
    return check_claims(std::move(*claims), now_unix, impl_->leeway_s);
}

std::string sign_hs256(const nlohmann::json& claims, std::string_view secret) {
    static const std::string header = base64url_encode(R"({"alg":"HS256","typ":"JWT"})");
    std::string token = header + '.' + base64url_encode(claims.dump());
    const auto mac = hmac_sha256(secret, token);
    if (!mac)
        throw std::runtime_error("auth: HMAC-SHA256 failed");
    token += '.';
    token +=
        base64url_encode(std::string_view(reinterpret_cast<const char*>(mac->data()), mac->size()));
    return token;
}

} // namespace deltacast::auth
