#include "auth/base64url.hpp"

#include <string>

#include <gtest/gtest.h>

namespace deltacast::auth {
namespace {

// Invariant: base64url round-trips every length and has exactly one accepted encoding.
TEST(Base64Url, StrictRoundTrip) {
    const std::string bytes = std::string("\x00\xff\xfe", 3) + "any carnal pleas";
    for (std::size_t n = 0; n <= bytes.size(); ++n) {
        const auto encoded = base64url_encode(bytes.substr(0, n));
        EXPECT_EQ(encoded.find_first_of("=+/"), std::string::npos);
        EXPECT_EQ(base64url_decode(encoded), bytes.substr(0, n)) << n;
    }
    EXPECT_EQ(base64url_decode("QQ"), "A");
    EXPECT_EQ(base64url_decode("QR"), std::nullopt); // non-zero trailing bits
    EXPECT_EQ(base64url_decode("QQ=="), std::nullopt);
    EXPECT_EQ(base64url_decode("QUJDR"), std::nullopt); // impossible length
}

// Invariant: characters outside the base64url alphabet (including standard base64's) are refused.
TEST(Base64Url, RejectsForeignCharacters) {
    EXPECT_EQ(base64url_decode("ab+/"), std::nullopt);
    EXPECT_EQ(base64url_decode("ab c"), std::nullopt);
    EXPECT_EQ(base64url_decode(std::string("ab\0c", 4)), std::nullopt);
    EXPECT_EQ(base64url_decode("ab-_"), std::string("\x69\xbf\xbf"));
}

} // namespace
} // namespace deltacast::auth
