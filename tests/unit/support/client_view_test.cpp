#include "support/client_view.hpp"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

namespace deltacast::testing {
namespace {

using nlohmann::json;

json row(long long id, int version, const std::string& body = "b") {
    return {{"id", id}, {"chat_id", 42}, {"version", version}, {"body", body}};
}

SseEvent event(const std::string& type, const json& data) {
    return {type, data.dump(), "e1-1", {}};
}

SseEvent upsert(const std::vector<json>& rows, const std::string& topic = "chat:42") {
    return event("entity-upsert", {{"topic", topic}, {"entity", "M"}, {"rows", rows}});
}

SseEvent remove(const std::vector<long long>& ids) {
    return event("entity-delete", {{"topic", "chat:42"}, {"entity", "M"}, {"ids", ids}});
}

/// The database of these tests: rows by topic, changed by the test.
class ClientViewTest : public ::testing::Test {
protected:
    RowSource source() {
        return [this](const std::string& topic) { return db_[topic]; };
    }
    std::vector<std::string> compare() const {
        return view_.compare([this](const std::string& t) { return db_.at(t); });
    }
    /// Writes rows 1 (v1), 2 (v1), 3 (v1) and the client sees them all.
    void seed() {
        db_["chat:42"] = {row(1, 1), row(2, 1), row(3, 1)};
        view_.apply(upsert({row(1, 1), row(2, 1)}), source());
        view_.apply(upsert({row(3, 1)}), source());
    }
    /// Database and client diverge in all three ways the checker must catch.
    void diverge() {
        seed();
        db_["chat:42"] = {row(1, 2, "new"), row(2, 1), row(4, 1)}; // 1 updated, 3 deleted, 4 new
        view_.apply(upsert({row(2, 1)}), source()); // the updates of 1, 3 and 4 were lost
    }

    std::map<std::string, std::vector<json>> db_{{"chat:42", {}}, {"chat:7", {}}};
    ClientView view_{"c1", {"chat:42", "chat:7"}};
};

// Invariant: a view that saw every upsert and delete equals the database (the check can pass).
TEST_F(ClientViewTest, CompleteStreamIsConsistent) {
    seed();
    db_["chat:42"] = {row(1, 2, "new"), row(2, 1)};
    view_.apply(upsert({row(1, 2, "new")}), source());
    view_.apply(remove({3}), source());
    EXPECT_TRUE(compare().empty()) << ::testing::PrintToString(compare());
    EXPECT_EQ(view_.stats().upsert_rows, 4);
    EXPECT_EQ(view_.stats().deleted_ids, 1);
}

// Invariant: a dropped upsert of a new row is reported as a missing row.
TEST_F(ClientViewTest, CatchesDroppedUpsert) {
    seed();
    db_["chat:42"].push_back(row(4, 1));
    const auto lines = compare();
    ASSERT_EQ(lines.size(), 1U);
    EXPECT_NE(lines[0].find("c1 chat:42: missing row id=4"), std::string::npos) << lines[0];
}

// Invariant: a lost update leaves a stale row, reported with both versions.
TEST_F(ClientViewTest, CatchesStaleRow) {
    seed();
    db_["chat:42"][1] = row(2, 2, "newer");
    const auto lines = compare();
    ASSERT_EQ(lines.size(), 1U);
    EXPECT_NE(lines[0].find("stale row id=2"), std::string::npos) << lines[0];
    EXPECT_NE(lines[0].find("\"version\":1"), std::string::npos) << lines[0];
    EXPECT_NE(lines[0].find("\"version\":2"), std::string::npos) << lines[0];
}

// Invariant: a missed delete leaves a row the database no longer has, and it is reported.
TEST_F(ClientViewTest, CatchesMissedDelete) {
    seed();
    db_["chat:42"].pop_back();
    const auto lines = compare();
    ASSERT_EQ(lines.size(), 1U);
    EXPECT_NE(lines[0].find("row id=3 is gone from the db"), std::string::npos) << lines[0];
}

// Invariant: every kind of divergence is reported at once, each on its own line.
TEST_F(ClientViewTest, ReportsEveryDiscrepancy) {
    diverge();
    EXPECT_EQ(compare().size(), 3U) << ::testing::PrintToString(compare());
}

// Invariant: a resync for the topic refetches it and heals every divergence; the other topic is
// untouched and the reason is counted.
TEST_F(ClientViewTest, ResyncHealsEverything) {
    diverge();
    db_["chat:7"] = {row(70, 1)}; // no resync for chat:7: its loss must still show
    view_.apply(event("resync", {{"topics", {"chat:42"}}, {"reason", "listener-reconnected"}}),
                source());
    const auto lines = compare();
    ASSERT_EQ(lines.size(), 1U) << ::testing::PrintToString(lines);
    EXPECT_NE(lines[0].find("c1 chat:7: missing row id=70"), std::string::npos) << lines[0];
    EXPECT_EQ(view_.stats().resyncs.at("listener-reconnected"), 1);
    EXPECT_EQ(view_.rows("chat:42").size(), 3U);
}

// Invariant: snapshot rows replace by id like any upsert, and a later upsert replaces them.
TEST_F(ClientViewTest, SnapshotRowsReplaceById) {
    db_["chat:42"] = {row(1, 3)};
    auto snapshot = upsert({row(1, 1)});
    snapshot.data = json{{"topic", "chat:42"}, {"rows", {row(1, 1)}}, {"snapshot", true}}.dump();
    view_.apply(snapshot, source());
    view_.apply(upsert({row(1, 3)}), source());
    EXPECT_TRUE(compare().empty()) << ::testing::PrintToString(compare());
}

// Invariant: frames for topics the client never asked for, and unparsable data, are errors.
TEST_F(ClientViewTest, ForeignTopicAndGarbageAreErrors) {
    view_.apply(upsert({row(9, 1)}, "chat:999"), source());
    view_.apply({"entity-delete", "{not json", "", {}}, source());
    const auto lines = compare();
    ASSERT_EQ(lines.size(), 2U) << ::testing::PrintToString(lines);
    EXPECT_NE(lines[0].find("chat:999"), std::string::npos) << lines[0];
    EXPECT_NE(lines[1].find("unparsable"), std::string::npos) << lines[1];
}

} // namespace
} // namespace deltacast::testing
