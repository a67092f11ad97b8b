#include "auth/jwt.hpp"

#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "jwt_test_util.hpp"

namespace deltacast::auth {
namespace {

using nlohmann::json;
using test::compact;
using test::now;
using test::outcome;

const std::string secret = "s3cret-for-tests-only";
const json hs256_header = {{"alg", "HS256"}, {"typ", "JWT"}};

JwtVerifier hs256_verifier(std::int64_t leeway_s = 30) {
    return JwtVerifier(JwtKeys{secret, ""}, leeway_s);
}

// Replaces one of the three segments of a compact token.
std::string with_segment(const std::string &token, int index, const std::string &segment) {
    const auto d1 = token.find('.');
    const auto d2 = token.find('.', d1 + 1);
    std::string parts[3] = {token.substr(0, d1), token.substr(d1 + 1, d2 - d1 - 1),
                            token.substr(d2 + 1)};
    parts[index] = segment;
    return parts[0] + '.' + parts[1] + '.' + parts[2];
}

// Invariant: a token signed by sign_hs256 verifies and exposes its claims, subject and exp.
TEST(JwtHs256, RoundTrip) {
    const auto token = sign_hs256({{"sub", "u1"}, {"org", 7}, {"exp", now + 60}}, secret);
    const auto result = hs256_verifier().verify(token, now);
    ASSERT_EQ(outcome(result), "ok");
    const auto &verified = std::get<VerifiedToken>(result);
    EXPECT_EQ(verified.subject, "u1");
    EXPECT_EQ(verified.claims.at("org"), 7);
    EXPECT_EQ(verified.expires_at, now + 60);
}

// Invariant: a token without exp is accepted and reports no expiry.
TEST(JwtHs256, NoExpIsAllowed) {
    const auto result = hs256_verifier().verify(sign_hs256({{"sub", "u1"}}, secret), now);
    ASSERT_EQ(outcome(result), "ok");
    EXPECT_FALSE(std::get<VerifiedToken>(result).expires_at.has_value());
}

// Invariant: an HMAC made with another secret is rejected.
TEST(JwtHs256, WrongSecretIsBadSignature) {
    const auto token = sign_hs256({{"sub", "u1"}}, "another-secret");
    EXPECT_EQ(outcome(hs256_verifier().verify(token, now)), "bad-signature");
}

// Invariant: changing the payload after signing breaks the signature (no privilege escalation).
TEST(JwtHs256, TamperedPayloadIsBadSignature) {
    const auto token = sign_hs256({{"sub", "u1"}, {"org", 7}}, secret);
    const auto forged = with_segment(token, 1, base64url_encode(R"({"sub":"u1","org":8})"));
    EXPECT_EQ(outcome(hs256_verifier().verify(forged, now)), "bad-signature");
}

// Invariant: a truncated signature is rejected, not compared on a prefix.
TEST(JwtHs256, TruncatedSignatureIsBadSignature) {
    const auto token = sign_hs256({{"sub", "u1"}}, secret);
    const auto mac = base64url_decode(token.substr(token.rfind('.') + 1)).value();
    const auto truncated = with_segment(token, 2, base64url_encode(mac.substr(0, 16)));
    EXPECT_EQ(outcome(hs256_verifier().verify(truncated, now)), "bad-signature");
}

// Invariant: alg "none" is never accepted, with or without a signature segment.
TEST(JwtAlg, NoneIsUnsupported) {
    const json header = {{"alg", "none"}, {"typ", "JWT"}};
    const json payload = {{"sub", "admin"}};
    const auto verifier = hs256_verifier();
    EXPECT_EQ(outcome(verifier.verify(compact(header, payload, ""), now)), "unsupported-alg");
    const auto signed_part = sign_hs256(payload, secret);
    const auto mac = signed_part.substr(signed_part.rfind('.') + 1);
    const auto token =
        base64url_encode(header.dump()) + '.' + base64url_encode(payload.dump()) + '.' + mac;
    EXPECT_EQ(outcome(verifier.verify(token, now)), "unsupported-alg");
}

// Invariant: the alg name must match exactly; other HMAC variants and case changes are refused.
TEST(JwtAlg, OtherAlgorithmsAreUnsupported) {
    const json payload = {{"sub", "u1"}};
    const auto verifier = hs256_verifier();
    for (const char *alg : {"HS512", "HS384", "hs256", "ES256", "PS256"}) {
        EXPECT_EQ(outcome(verifier.verify(compact({{"alg", alg}}, payload, "sig"), now)),
                  "unsupported-alg")
            << alg;
    }
}

// Invariant: RS256 is refused when no public key is configured, whatever its signature.
TEST(JwtAlg, Rs256WithoutKeyIsUnsupported) {
    const auto token = compact({{"alg", "RS256"}}, {{"sub", "u1"}}, std::string(256, 'x'));
    EXPECT_EQ(outcome(hs256_verifier().verify(token, now)), "unsupported-alg");
}

// Invariant: a verifier without any key accepts nothing.
TEST(JwtAlg, NoKeysAcceptsNothing) {
    const JwtVerifier verifier(JwtKeys{}, 30);
    EXPECT_EQ(outcome(verifier.verify(sign_hs256({{"sub", "u1"}}, ""), now)), "unsupported-alg");
}

// Invariant: a header without a string alg, or with "crit" extensions, is malformed.
TEST(JwtAlg, MissingAlgOrCritIsMalformed) {
    const json payload = {{"sub", "u1"}};
    const auto verifier = hs256_verifier();
    EXPECT_EQ(outcome(verifier.verify(compact({{"typ", "JWT"}}, payload, "x"), now)), "malformed");
    EXPECT_EQ(outcome(verifier.verify(compact({{"alg", 1}}, payload, "x"), now)), "malformed");
    const json crit = {{"alg", "HS256"}, {"crit", {"exp"}}, {"exp", 1}};
    EXPECT_EQ(outcome(verifier.verify(compact(crit, payload, "x"), now)), "malformed");
}

// Invariant: exp beyond the leeway is expired; exactly at the leeway edge too (exp > now-leeway).
TEST(JwtTime, ExpiredBeyondLeeway) {
    const auto verifier = hs256_verifier(30);
    EXPECT_EQ(outcome(verifier.verify(sign_hs256({{"sub", "u"}, {"exp", now - 31}}, secret), now)),
              "expired");
    EXPECT_EQ(outcome(verifier.verify(sign_hs256({{"sub", "u"}, {"exp", now - 30}}, secret), now)),
              "expired");
}

// Invariant: a token that expired less than leeway seconds ago still verifies (clock skew).
TEST(JwtTime, ExpiredWithinLeewayIsAccepted) {
    const auto verifier = hs256_verifier(30);
    EXPECT_EQ(outcome(verifier.verify(sign_hs256({{"sub", "u"}, {"exp", now - 29}}, secret), now)),
              "ok");
    EXPECT_EQ(outcome(verifier.verify(sign_hs256({{"sub", "u"}, {"exp", now - 1.5}}, secret), now)),
              "ok");
}

// Invariant: with zero leeway, exp == now is already expired.
TEST(JwtTime, ZeroLeeway) {
    const auto verifier = hs256_verifier(0);
    EXPECT_EQ(outcome(verifier.verify(sign_hs256({{"sub", "u"}, {"exp", now}}, secret), now)),
              "expired");
    EXPECT_EQ(outcome(verifier.verify(sign_hs256({{"sub", "u"}, {"exp", now + 1}}, secret), now)),
              "ok");
}

// Invariant: nbf later than now + leeway is not yet valid; within the leeway it is accepted.
TEST(JwtTime, NotBefore) {
    const auto verifier = hs256_verifier(30);
    EXPECT_EQ(outcome(verifier.verify(sign_hs256({{"sub", "u"}, {"nbf", now + 31}}, secret), now)),
              "not-yet-valid");
    EXPECT_EQ(outcome(verifier.verify(sign_hs256({{"sub", "u"}, {"nbf", now + 30}}, secret), now)),
              "ok");
}

// Invariant: exp or nbf that are not numbers make the token malformed, not eternal.
TEST(JwtTime, NonNumericTimesAreMalformed) {
    const auto verifier = hs256_verifier();
    for (const json &bad : {json("1700000000"), json(nullptr), json(true), json::array()}) {
        EXPECT_EQ(outcome(verifier.verify(sign_hs256({{"sub", "u"}, {"exp", bad}}, secret), now)),
                  "malformed")
            << bad.dump();
        EXPECT_EQ(outcome(verifier.verify(sign_hs256({{"sub", "u"}, {"nbf", bad}}, secret), now)),
                  "malformed")
            << bad.dump();
    }
}

// Invariant: only exactly three segments are a compact JWS.
TEST(JwtShape, SegmentCount) {
    const auto verifier = hs256_verifier();
    const auto token = sign_hs256({{"sub", "u1"}}, secret);
    EXPECT_EQ(outcome(verifier.verify(token.substr(0, token.rfind('.')), now)), "malformed");
    EXPECT_EQ(outcome(verifier.verify(token + ".e30", now)), "malformed");
    EXPECT_EQ(outcome(verifier.verify("", now)), "malformed");
    EXPECT_EQ(outcome(verifier.verify("..", now)), "malformed");
}

// Invariant: characters outside unpadded base64url make the token malformed.
TEST(JwtShape, BadBase64IsMalformed) {
    const auto verifier = hs256_verifier();
    const auto token = sign_hs256({{"sub", "u1"}}, secret);
    const auto payload = token.substr(token.find('.') + 1, token.rfind('.') - token.find('.') - 1);
    const std::string bad_segments[] = {payload + "=", payload + "+", "e30/", "e3 0", "!!!!"};
    for (const auto &bad : bad_segments) {
        EXPECT_EQ(outcome(verifier.verify(with_segment(token, 1, bad), now)), "malformed") << bad;
    }
    EXPECT_EQ(outcome(verifier.verify(with_segment(token, 2, "a+b/"), now)), "malformed");
}

// Invariant: a correctly signed payload that is not a JSON object is malformed.
TEST(JwtShape, PayloadNotAnObjectIsMalformed) {
    const auto verifier = hs256_verifier();
    EXPECT_EQ(outcome(verifier.verify(sign_hs256(json::array({"sub", "u1"}), secret), now)),
              "malformed");
    EXPECT_EQ(outcome(verifier.verify(sign_hs256("u1", secret), now)), "malformed");
}

// Invariant: tokens over 8 KiB are refused before any decoding.
TEST(JwtShape, OversizedTokenIsMalformed) {
    const auto verifier = hs256_verifier();
    const auto big = sign_hs256({{"sub", "u1"}, {"pad", std::string(9000, 'a')}}, secret);
    EXPECT_EQ(outcome(verifier.verify(big, now)), "malformed");
    const auto fits = sign_hs256({{"sub", "u1"}, {"pad", std::string(5000, 'a')}}, secret);
    EXPECT_EQ(outcome(verifier.verify(fits, now)), "ok");
}

// Invariant: a token without a usable subject is refused (access rules need one).
TEST(JwtSubject, MissingOrEmptyIsNoSubject) {
    const auto verifier = hs256_verifier();
    for (const json &claims : {json{{"org", 7}}, json{{"sub", ""}}, json{{"sub", nullptr}},
                               json{{"sub", json::array({"u1"})}}}) {
        EXPECT_EQ(outcome(verifier.verify(sign_hs256(claims, secret), now)), "no-subject")
            << claims.dump();
    }
}

// Invariant: a numeric subject becomes its decimal text, so SQL access checks get "42".
TEST(JwtSubject, NumericSubjectIsDecimalText) {
    const auto result = hs256_verifier().verify(sign_hs256({{"sub", 42}}, secret), now);
    ASSERT_EQ(outcome(result), "ok");
    EXPECT_EQ(std::get<VerifiedToken>(result).subject, "42");
}

// Invariant: every error has its documented wire name.
TEST(JwtErrorNames, MatchTheDocumentedNames) {
    EXPECT_EQ(to_string(JwtError::Malformed), "malformed");
    EXPECT_EQ(to_string(JwtError::UnsupportedAlg), "unsupported-alg");
    EXPECT_EQ(to_string(JwtError::BadSignature), "bad-signature");
    EXPECT_EQ(to_string(JwtError::Expired), "expired");
    EXPECT_EQ(to_string(JwtError::NotYetValid), "not-yet-valid");
    EXPECT_EQ(to_string(JwtError::NoSubject), "no-subject");
}

} // namespace
} // namespace deltacast::auth
