// The metrics table renders as valid Prometheus text: one HELP/TYPE/sample triple per metric,
// unique names, counters named *_total, and every field's value read from its own member.

#include "util/metrics.hpp"

#include <gtest/gtest.h>

#include <map>
#include <sstream>
#include <string>

namespace deltacast {
namespace {

// Invariant: each metric of the table appears exactly once, typed, with its current value.
TEST(Metrics, EveryTableEntryRendersOnceWithItsValue) {
    Metrics m;
    std::uint64_t next = 1;
#define DELTACAST_SET_METRIC(kind, member, name, help) m.member.store(next++);
    DELTACAST_METRICS(DELTACAST_SET_METRIC)
#undef DELTACAST_SET_METRIC
    const std::string text = render_prometheus(m);
    std::map<std::string, std::string> types;
    std::map<std::string, std::string> values;
    std::istringstream lines(text);
    std::string line;
    while (std::getline(lines, line)) {
        if (line.rfind("# TYPE ", 0) == 0) {
            const auto rest = line.substr(7);
            const auto space = rest.find(' ');
            EXPECT_TRUE(types.emplace(rest.substr(0, space), rest.substr(space + 1)).second)
                << "declared twice: " << line;
        } else if (!line.empty() && line[0] != '#') {
            const auto space = line.find(' ');
            values[line.substr(0, space)] = line.substr(space + 1);
        }
    }
    std::uint64_t expected = 1;
#define DELTACAST_CHECK_METRIC(kind, member, name, help)                                          \
    EXPECT_EQ(types[name], std::string(#kind) == "Gauge" ? "gauge" : "counter") << name;          \
    EXPECT_EQ(values[name], std::to_string(expected++)) << name;                                  \
    EXPECT_EQ(std::string(name).rfind("deltacast_", 0), 0U) << name;                              \
    if (std::string(#kind) == "Counter") {                                                        \
        EXPECT_TRUE(std::string(name).ends_with("_total")) << name;                               \
    }
    DELTACAST_METRICS(DELTACAST_CHECK_METRIC)
#undef DELTACAST_CHECK_METRIC
    EXPECT_EQ(types["deltacast_query_seconds"], "summary");
    EXPECT_EQ(values.count("deltacast_query_seconds_count"), 1U);
}

}  // namespace
}  // namespace deltacast
