#include "auth/token.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace deltacast::auth {
namespace {

using nlohmann::json;

// Invariant: the Bearer header wins over the cookie and the query parameter.
TEST(ExtractToken, BearerFirst) {
    EXPECT_EQ(extract_token("Bearer hdr", "session=ck", "session", "qp"), "hdr");
}

// Invariant: the scheme is case-insensitive and surrounding whitespace is not part of the token.
TEST(ExtractToken, BearerSchemeCaseAndSpaces) {
    EXPECT_EQ(extract_token("bearer abc", "", "session", ""), "abc");
    EXPECT_EQ(extract_token("BEARER   abc  ", "", "session", ""), "abc");
    EXPECT_EQ(extract_token(" Bearer\tabc", "", "session", ""), "abc");
}

// Invariant: another scheme, a bare "Bearer" or a scheme prefix does not count as a token.
TEST(ExtractToken, NonBearerHeaderFallsThrough) {
    EXPECT_EQ(extract_token("Basic dXNlcjpwdw==", "session=ck", "session", "qp"), "ck");
    EXPECT_EQ(extract_token("Bearer", "", "session", "qp"), "qp");
    EXPECT_EQ(extract_token("Bearer    ", "", "session", "qp"), "qp");
    EXPECT_EQ(extract_token("Bearerabc", "", "session", "qp"), "qp");
}

// Invariant: the cookie comes before the access_token query parameter.
TEST(ExtractToken, CookieBeforeQuery) {
    EXPECT_EQ(extract_token("", "session=ck", "session", "qp"), "ck");
}

// Invariant: the query parameter is the last resort, and nothing at all yields "".
TEST(ExtractToken, QueryThenNothing) {
    EXPECT_EQ(extract_token("", "", "session", "qp"), "qp");
    EXPECT_EQ(extract_token("", "other=1", "session", ""), "");
}

// Invariant: the named cookie is found among others, with or without spaces after ';'.
TEST(CookieParsing, FindsNamedCookieAmongOthers) {
    EXPECT_EQ(extract_token("", "a=1; session=tok; b=2", "session", ""), "tok");
    EXPECT_EQ(extract_token("", "a=1;session=tok;b=2", "session", ""), "tok");
    EXPECT_EQ(extract_token("", "a=1; session=tok", "session", ""), "tok");
}

// Invariant: names match exactly: no prefix, suffix or case-insensitive matches.
TEST(CookieParsing, NameMatchesExactly) {
    EXPECT_EQ(extract_token("", "xsession=a; session_old=b; Session=c", "session", ""), "");
    EXPECT_EQ(extract_token("", "xsession=a; session=ok", "session", ""), "ok");
}

// Invariant: a double-quoted value is unquoted; '=' inside a value is kept.
TEST(CookieParsing, QuotedValuesAndEquals) {
    EXPECT_EQ(extract_token("", "session=\"a.b.c\"", "session", ""), "a.b.c");
    EXPECT_EQ(extract_token("", "session=a=b", "session", ""), "a=b");
}

// Invariant: empty or valueless cookies are skipped; the first non-empty one wins.
TEST(CookieParsing, EmptyAndMalformedPairs) {
    EXPECT_EQ(extract_token("", "session=; session=second", "session", ""), "second");
    EXPECT_EQ(extract_token("", "session; ;=x; session=ok", "session", ""), "ok");
    EXPECT_EQ(extract_token("", "session=\"\"", "session", "qp"), "qp");
    EXPECT_EQ(extract_token("", "session=first; session=second", "session", ""), "first");
    EXPECT_EQ(extract_token("", ";;;", "session", ""), "");
}

// Invariant: an empty cookie name never matches a cookie with an empty name.
TEST(CookieParsing, EmptyCookieNameDisablesCookies) {
    EXPECT_EQ(extract_token("", "=tok", "", "qp"), "qp");
}

// Invariant: a string claim matches only the identical topic id.
TEST(ClaimAllows, StringClaim) {
    const json claims = {{"org", "7"}, {"sub", "u1"}};
    EXPECT_TRUE(claim_allows(claims, "org", "7"));
    EXPECT_FALSE(claim_allows(claims, "org", "8"));
    EXPECT_FALSE(claim_allows(claims, "org", "07"));
    EXPECT_TRUE(claim_allows(claims, "sub", "u1"));
    EXPECT_FALSE(claim_allows(claims, "sub", "U1"));
}

// Invariant: an integer claim is compared by its decimal text.
TEST(ClaimAllows, NumericClaim) {
    const json claims = {{"org", 7}, {"big", 18446744073709551615ULL}, {"neg", -3}};
    EXPECT_TRUE(claim_allows(claims, "org", "7"));
    EXPECT_FALSE(claim_allows(claims, "org", "007"));
    EXPECT_FALSE(claim_allows(claims, "org", "8"));
    EXPECT_TRUE(claim_allows(claims, "big", "18446744073709551615"));
    EXPECT_TRUE(claim_allows(claims, "neg", "-3"));
}

// Invariant: an array claim allows any of its string or integer elements, and nothing else.
TEST(ClaimAllows, ArrayClaim) {
    const json claims = {{"orgs", json::array({"a", 7, json::array({"nested"}), nullptr})}};
    EXPECT_TRUE(claim_allows(claims, "orgs", "a"));
    EXPECT_TRUE(claim_allows(claims, "orgs", "7"));
    EXPECT_FALSE(claim_allows(claims, "orgs", "nested"));
    EXPECT_FALSE(claim_allows(claims, "orgs", "b"));
    EXPECT_FALSE(claim_allows({{"orgs", json::array()}}, "orgs", "a"));
}

// Invariant: a missing claim, other claim types or an empty topic id never allow access.
TEST(ClaimAllows, MissingAndOtherTypesDeny) {
    const json claims = {
        {"org", "7"}, {"flag", true}, {"f", 7.0}, {"obj", {{"7", 7}}}, {"empty", ""}};
    EXPECT_FALSE(claim_allows(claims, "missing", "7"));
    EXPECT_FALSE(claim_allows(claims, "flag", "true"));
    EXPECT_FALSE(claim_allows(claims, "f", "7"));
    EXPECT_FALSE(claim_allows(claims, "obj", "7"));
    EXPECT_FALSE(claim_allows(claims, "empty", ""));
    EXPECT_FALSE(claim_allows(json::array({"org"}), "org", "7"));
}

} // namespace
} // namespace deltacast::auth
