// The presence tables are created in two places: by deltacast at start (PgPresenceStore) and by
// sql/deltacast.sql for installs that create schema ahead of time. They must not drift.

#include "rooms/pg_presence_store.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

namespace deltacast::rooms {
namespace {

// Every run of whitespace becomes one space; leading and trailing whitespace goes.
std::string squeeze(std::string_view text) {
    std::string out;
    for (const char c : text) {
        if (c == ' ' || c == '\n' || c == '\t' || c == '\r') {
            if (!out.empty() && out.back() != ' ') {
                out += ' ';
            }
        } else {
            out += c;
        }
    }
    while (!out.empty() && out.back() == ' ') {
        out.pop_back();
    }
    return out;
}

TEST(PresenceSchema, SqlFileCreatesTheTablesDeltacastCreates) {
    std::ifstream file(std::string(DELTACAST_SOURCE_DIR) + "/sql/deltacast.sql");
    ASSERT_TRUE(file) << "sql/deltacast.sql not found";
    std::stringstream sql;
    sql << file.rdbuf();
    const std::string ddl = squeeze(PgPresenceStore::table_ddl());
    ASSERT_NE(ddl.find("CREATE UNLOGGED TABLE IF NOT EXISTS deltacast_presence"), std::string::npos);
    EXPECT_NE(squeeze(sql.str()).find(ddl), std::string::npos)
        << "sql/deltacast.sql does not carry PgPresenceStore's DDL:\n"
        << PgPresenceStore::table_ddl();
}

} // namespace
} // namespace deltacast::rooms
