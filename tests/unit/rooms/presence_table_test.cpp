// PresenceTable: members are subjects held by any replica; diffs say exactly what changed
// since the last announcement.

#include "rooms/presence_table.hpp"

#include <gtest/gtest.h>

namespace deltacast::rooms {
namespace {

std::vector<std::string> subs(const std::vector<wire::MemberView>& members) {
    std::vector<std::string> out;
    for (const auto& m : members) {
        out.emplace_back(m.sub);
    }
    return out;
}

using Subs = std::vector<std::string>;

// Invariant: a subject stays a member while any replica holds it.
TEST(PresenceTable, MemberWhileAnyReplicaHoldsIt) {
    PresenceTable table;
    table.add("r1", "u1", {{"name", "Ada"}});
    table.add("r2", "u1", {{"name", "Ada"}});
    table.add("r2", "u2", nlohmann::json::object());
    EXPECT_EQ(table.size(), 2U);
    table.remove("r1", "u1");
    EXPECT_EQ(subs(table.state()), (Subs{"u1", "u2"}));
    table.remove("r2", "u1");
    table.remove("r9", "u2");  // a replica that never held it: no-op
    EXPECT_EQ(subs(table.state()), Subs{"u2"});
    EXPECT_EQ(table.state()[0].meta, "{}");
}

// Invariant: diffs are relative to the last announcement; a leave-and-return in between is no
// diff; a meta change is a join.
TEST(PresenceTable, DiffSinceLastAnnouncement) {
    PresenceTable table;
    table.add("r1", "u1", {});
    table.mark_announced();
    table.add("r1", "u2", {});
    table.remove("r1", "u1");
    table.add("r2", "u1", {});  // u1 back through another replica
    auto diff = table.take_diff();
    EXPECT_EQ(subs(diff.joins), Subs{"u2"});
    EXPECT_TRUE(diff.leaves.empty());
    EXPECT_TRUE(table.take_diff().empty());
    table.remove("r1", "u2");
    table.add("r2", "u1", {{"name", "Bo"}});
    diff = table.take_diff();
    EXPECT_EQ(subs(diff.joins), Subs{"u1"});
    EXPECT_EQ(diff.joins[0].meta, R"({"name":"Bo"})");
    EXPECT_EQ(diff.leaves, Subs{"u2"});
}

// Invariant: a reload replaces other replicas' entries and keeps this replica's own.
TEST(PresenceTable, ReplaceOthersKeepsSelf) {
    PresenceTable table;
    table.add("me", "u1", {});
    table.add("r2", "u2", {});
    table.add("r2", "u1", {});
    table.replace_others("me", {{"r3", {"u3", {}}}, {"me", {"stale", {}}}});
    EXPECT_EQ(subs(table.state()), (Subs{"u1", "u3"}));
}

}  // namespace
}  // namespace deltacast::rooms
