#include "delta/pg_row_fetcher.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace deltacast::delta {
namespace {

// Bigint ids go into the array literal unquoted.
TEST(PgRowFetcherArrayLiteral, BigintUnquoted) {
    EXPECT_EQ(PgRowFetcher::array_literal({"1", "-2", "9223372036854775807"}, IdType::Bigint),
              "{1,-2,9223372036854775807}");
    EXPECT_EQ(PgRowFetcher::array_literal({"42"}, IdType::Bigint), "{42}");
}

// No ids is the empty array.
TEST(PgRowFetcherArrayLiteral, Empty) {
    EXPECT_EQ(PgRowFetcher::array_literal({}, IdType::Bigint), "{}");
    EXPECT_EQ(PgRowFetcher::array_literal({}, IdType::Text), "{}");
}

// Text and uuid ids are double-quoted, so commas, braces, spaces and NULL stay data.
TEST(PgRowFetcherArrayLiteral, TextQuoted) {
    EXPECT_EQ(PgRowFetcher::array_literal({"a", "b.c@d"}, IdType::Text), R"({"a","b.c@d"})");
    EXPECT_EQ(PgRowFetcher::array_literal({"123e4567-e89b-12d3-a456-426614174000"}, IdType::Uuid),
              R"({"123e4567-e89b-12d3-a456-426614174000"})");
    EXPECT_EQ(PgRowFetcher::array_literal({"NULL", "a,b", "{x}", " s "}, IdType::Text),
              R"({"NULL","a,b","{x}"," s "})");
    EXPECT_EQ(PgRowFetcher::array_literal({""}, IdType::Text), R"({""})");
}

// Inside quotes, `"` and `\` are backslash-escaped (the only two Postgres requires).
TEST(PgRowFetcherArrayLiteral, QuoteAndBackslashEscaped) {
    EXPECT_EQ(PgRowFetcher::array_literal({R"(a"b)", R"(c\d)", R"(\")"}, IdType::Text),
              R"({"a\"b","c\\d","\\\""})");
}

}  // namespace
}  // namespace deltacast::delta
