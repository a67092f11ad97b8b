// docs/configuration.md's key reference is generated from the key table: it cannot drift.

#include "config/config.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

namespace deltacast {
namespace {

// Invariant: the block between the GENERATED markers equals `deltacast --config-markdown`.
TEST(ConfigDoc, KeyReferenceMatchesTheKeyTable) {
    const std::string path = std::string(DELTACAST_SOURCE_DIR) + "/docs/configuration.md";
    std::ifstream in(path);
    ASSERT_TRUE(in) << "cannot read " << path;
    std::ostringstream text;
    text << in.rdbuf();
    const std::string doc = text.str();
    const std::string begin = "<!-- BEGIN GENERATED: deltacast --config-markdown -->\n";
    const std::string end = "<!-- END GENERATED -->";
    const auto from = doc.find(begin);
    const auto to = doc.find(end);
    ASSERT_NE(from, std::string::npos);
    ASSERT_NE(to, std::string::npos);
    const std::string generated = doc.substr(from + begin.size(), to - from - begin.size());
    EXPECT_EQ(generated, config_markdown())
        << "docs/configuration.md is stale: regenerate the block with "
           "`build/release/deltacast --config-markdown`";
}

}  // namespace
}  // namespace deltacast
