// ConnectionLimits: the process limit and the per-subject limit, and slots coming back.

#include "sse/connection_limits.hpp"

#include <gtest/gtest.h>

namespace deltacast::sse {
namespace {

using Verdict = ConnectionLimits::Verdict;

// One subject cannot hold more than its share; other subjects still get in.
TEST(ConnectionLimitsTest, PerSubjectLimit) {
    ConnectionLimits limits(10, 2);
    EXPECT_EQ(limits.acquire("a"), Verdict::Admitted);
    EXPECT_EQ(limits.acquire("a"), Verdict::Admitted);
    EXPECT_EQ(limits.acquire("a"), Verdict::SubjectFull);
    EXPECT_EQ(limits.acquire("b"), Verdict::Admitted);
    EXPECT_EQ(limits.open(), 3U);
    limits.release("a");
    EXPECT_EQ(limits.open_for("a"), 1U);
    EXPECT_EQ(limits.acquire("a"), Verdict::Admitted);
}

// The process limit applies across subjects; released slots are reusable, and a subject with
// no connection left is forgotten.
TEST(ConnectionLimitsTest, ProcessLimitAndRelease) {
    ConnectionLimits limits(2, 0);
    EXPECT_EQ(limits.acquire("a"), Verdict::Admitted);
    EXPECT_EQ(limits.acquire("a"), Verdict::Admitted);
    EXPECT_EQ(limits.acquire("b"), Verdict::ProcessFull);
    limits.release("a");
    limits.release("a");
    EXPECT_EQ(limits.open(), 0U);
    EXPECT_EQ(limits.open_for("a"), 0U);
    EXPECT_EQ(limits.acquire("b"), Verdict::Admitted);
}

}  // namespace
}  // namespace deltacast::sse
