#include "auth/jwt.hpp"

#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "jwt_test_util.hpp"

namespace deltacast::auth {
namespace {

using nlohmann::json;
using test::compact;
using test::now;
using test::outcome;

struct PkeyFree {
    void operator()(EVP_PKEY *key) const { EVP_PKEY_free(key); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;

std::string public_pem(EVP_PKEY *key) {
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), &BIO_free);
    if (!bio || PEM_write_bio_PUBKEY(bio.get(), key) != 1)
        throw std::runtime_error("pem");
    char *data = nullptr;
    const long size = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(size));
}

std::string rs256_signature(EVP_PKEY *key, std::string_view input) {
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
    const auto *data = reinterpret_cast<const unsigned char *>(input.data());
    std::size_t size = 0;
    if (EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key) != 1 ||
        EVP_DigestSign(ctx.get(), nullptr, &size, data, input.size()) != 1) {
        throw std::runtime_error("sign");
    }
    std::string signature(size, '\0');
    if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char *>(signature.data()), &size, data,
                       input.size()) != 1) {
        throw std::runtime_error("sign");
    }
    signature.resize(size);
    return signature;
}

std::string rs256_token(EVP_PKEY *key, const json &claims) {
    const auto input =
        base64url_encode(R"({"alg":"RS256","typ":"JWT"})") + '.' + base64url_encode(claims.dump());
    return input + '.' + base64url_encode(rs256_signature(key, input));
}

// RSA key generation is slow, so the suite shares two 2048-bit key pairs.
class JwtRs256 : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        key_.reset(EVP_RSA_gen(2048));
        other_key_.reset(EVP_RSA_gen(2048));
        ASSERT_TRUE(key_ && other_key_);
    }
    static void TearDownTestSuite() {
        key_.reset();
        other_key_.reset();
    }
    static JwtVerifier rs256_verifier() { return JwtVerifier(JwtKeys{"", public_pem(key_.get())}); }

    static inline Pkey key_;
    static inline Pkey other_key_;
};

// Invariant: a token signed with the configured key pair verifies and yields its subject.
TEST_F(JwtRs256, ValidSignatureVerifies) {
    const auto token = rs256_token(key_.get(), {{"sub", "u1"}, {"exp", now + 60}});
    const auto result = rs256_verifier().verify(token, now);
    ASSERT_EQ(outcome(result), "ok");
    EXPECT_EQ(std::get<VerifiedToken>(result).subject, "u1");
}

// Invariant: a token signed by another private key is rejected.
TEST_F(JwtRs256, WrongKeyIsBadSignature) {
    const auto token = rs256_token(other_key_.get(), {{"sub", "u1"}});
    EXPECT_EQ(outcome(rs256_verifier().verify(token, now)), "bad-signature");
}

// Invariant: RS256 signatures cover the payload; changing it breaks verification.
TEST_F(JwtRs256, TamperedPayloadIsBadSignature) {
    const auto token = rs256_token(key_.get(), {{"sub", "u1"}});
    const auto d1 = token.find('.');
    const auto d2 = token.rfind('.');
    const auto forged =
        token.substr(0, d1 + 1) + base64url_encode(R"({"sub":"admin"})") + token.substr(d2);
    EXPECT_EQ(outcome(rs256_verifier().verify(forged, now)), "bad-signature");
}

// Invariant: garbage in the signature segment is a bad signature, never a crash.
TEST_F(JwtRs256, GarbageSignatureIsBadSignature) {
    const auto verifier = rs256_verifier();
    const json header = {{"alg", "RS256"}};
    const json claims = {{"sub", "u1"}};
    EXPECT_EQ(outcome(verifier.verify(compact(header, claims, ""), now)), "bad-signature");
    EXPECT_EQ(outcome(verifier.verify(compact(header, claims, std::string(256, '\x01')), now)),
              "bad-signature");
}

// Invariant: algorithm confusion: HS256 keyed with the public PEM is refused when only RS256
// is configured (the public key never becomes an HMAC secret).
TEST_F(JwtRs256, HmacWithPublicKeyIsRefused) {
    const auto token = sign_hs256({{"sub", "admin"}}, public_pem(key_.get()));
    EXPECT_EQ(outcome(rs256_verifier().verify(token, now)), "unsupported-alg");
}

// Invariant: with both keys configured, each algorithm uses only its own key.
TEST_F(JwtRs256, BothAlgorithmsConfigured) {
    const JwtVerifier verifier(JwtKeys{"hs-secret", public_pem(key_.get())});
    EXPECT_EQ(outcome(verifier.verify(sign_hs256({{"sub", "a"}}, "hs-secret"), now)), "ok");
    EXPECT_EQ(outcome(verifier.verify(rs256_token(key_.get(), {{"sub", "b"}}), now)), "ok");
    const auto confused = sign_hs256({{"sub", "c"}}, public_pem(key_.get()));
    EXPECT_EQ(outcome(verifier.verify(confused, now)), "bad-signature");
}

// Invariant: an unusable key is a start-up error, reported by the constructor.
TEST_F(JwtRs256, BadKeysThrowAtConstruction) {
    EXPECT_THROW(JwtVerifier(JwtKeys{"", "not a pem"}), std::runtime_error);
    const Pkey small(EVP_RSA_gen(1024));
    EXPECT_THROW(JwtVerifier(JwtKeys{"", public_pem(small.get())}), std::runtime_error);
    const Pkey ec(EVP_EC_gen("P-256"));
    EXPECT_THROW(JwtVerifier(JwtKeys{"", public_pem(ec.get())}), std::runtime_error);
}

// Invariant: verify() is const and thread-safe: concurrent callers all get correct answers.
TEST_F(JwtRs256, ConcurrentVerify) {
    const JwtVerifier verifier(JwtKeys{"hs-secret", public_pem(key_.get())});
    const auto good_rs = rs256_token(key_.get(), {{"sub", "u1"}});
    const auto bad_rs = rs256_token(other_key_.get(), {{"sub", "u1"}});
    const auto good_hs = sign_hs256({{"sub", "u2"}}, "hs-secret");
    std::vector<int> failures(4, 0);
    std::vector<std::thread> threads;
    for (std::size_t t = 0; t < failures.size(); ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < 50; ++i) {
                failures[t] += outcome(verifier.verify(good_rs, now)) != "ok";
                failures[t] += outcome(verifier.verify(bad_rs, now)) != "bad-signature";
                failures[t] += outcome(verifier.verify(good_hs, now)) != "ok";
            }
        });
    }
    for (auto &thread : threads)
        thread.join();
    EXPECT_EQ(failures, std::vector<int>(4, 0));
}

} // namespace
} // namespace deltacast::auth
