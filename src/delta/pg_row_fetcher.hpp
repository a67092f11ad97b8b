#pragma once
// PgRowFetcher: RowFetcher on the QueryPool. The configured query is wrapped once, at
// construction, as `SELECT q.j::text, q.j ->> $3 FROM (<query>) AS q(j)` (`$2` when the query
// does not use the topic id) so Postgres renders
// each row's JSON and extracts its id; all values are parameters (no SQL is built from data).
//
// Threading: core strand only.

#include "delta/row_fetcher.hpp"

#include <unordered_map>

namespace deltacast::pg {
class QueryPool;
}

namespace deltacast::delta {

class PgRowFetcher final : public RowFetcher {
public:
    PgRowFetcher(const Config& config, pg::QueryPool& pool);

    void fetch(const EntityConfig& entity, const std::string& topic_id,
               const std::vector<std::string>& ids, RowsDone done) override;
    void snapshot(const EntityConfig& entity, const std::string& topic_id, RowsDone done) override;

    /// `{1,2}` / `{"a","b"}`: a Postgres array literal for ids (quoted unless bigint).
    static std::string array_literal(const std::vector<std::string>& ids, IdType type);

private:
    struct Statements {
        std::string fetch;
        std::string snapshot;
        bool uses_topic_id = false;
    };
    pg::QueryPool& pool_;
    std::unordered_map<const EntityConfig*, Statements> sql_;
};

} // namespace deltacast::delta
