#include "topics/pg_access_query.hpp"

#include "pg/query_pool.hpp"

namespace deltacast::topics {

void PgAccessQuery::allowed(const std::string& sql, const std::string& topic_id,
                            const std::string& subject,
                            std::function<void(std::optional<bool>)> done) {
    pool_.run(sql, {topic_id, subject}, [done = std::move(done)](pg::QueryOutcome outcome) {
        if (!outcome.ok() || outcome.results.empty()) {
            done(std::nullopt);
            return;
        }
        done(PQntuples(outcome.results.back().get()) > 0);
    });
}

} // namespace deltacast::topics
