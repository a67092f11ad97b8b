#pragma once
// PgAccessQuery: AccessQuery on the QueryPool. A `sql:` rule allows the topic when its query
// returns a row; `$1` is the topic id, `$2` the token's subject, both parameters.
//
// Threading: core strand only.

#include "topics/access_checker.hpp"

namespace deltacast::pg {
class QueryPool;
}

namespace deltacast::topics {

class PgAccessQuery final : public AccessQuery {
public:
    explicit PgAccessQuery(pg::QueryPool& pool) : pool_(pool) {}

    /// done(true/false), or done(nullopt) when the query failed (the caller then answers 503).
    void allowed(const std::string& sql, const std::string& topic_id, const std::string& subject,
                 std::function<void(std::optional<bool>)> done) override;

private:
    pg::QueryPool& pool_;
};

} // namespace deltacast::topics
