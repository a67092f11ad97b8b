#include "delta/pg_row_fetcher.hpp"

#include "pg/query_pool.hpp"

namespace deltacast::delta {
namespace {

void collect(pg::QueryOutcome outcome, const RowsDone& done) {
    if (!outcome.ok() || outcome.results.empty()) {
        done(std::nullopt);
        return;
    }
    PGresult* r = outcome.results.back().get();
    if (PQresultStatus(r) != PGRES_TUPLES_OK || PQnfields(r) != 2) {
        done(std::nullopt);
        return;
    }
    std::vector<Row> rows;
    rows.reserve(static_cast<std::size_t>(PQntuples(r)));
    for (int i = 0; i < PQntuples(r); ++i) {
        if (PQgetisnull(r, i, 0)) {
            continue;
        }
        rows.push_back(Row{PQgetvalue(r, i, 1), PQgetvalue(r, i, 0)});
    }
    done(std::move(rows));
}

} // namespace

PgRowFetcher::PgRowFetcher(const Config& config, pg::QueryPool& pool) : pool_(pool) {
    for (const auto& [kind, topic] : config.topics) {
        for (const EntityConfig& entity : topic.entities) {
            // Postgres cannot type a parameter the query never uses, so $2 (the topic id) is
            // only passed to queries that mention it.
            Statements s;
            s.uses_topic_id = entity.query.find("$2") != std::string::npos;
            s.fetch = std::string("SELECT q.j::text, q.j ->> ") + (s.uses_topic_id ? "$3" : "$2") +
                      "::text FROM (" + entity.query + ") AS q(j)";
            if (!entity.snapshot.empty()) {
                s.snapshot =
                    "SELECT q.j::text, q.j ->> $2::text FROM (" + entity.snapshot + ") AS q(j)";
            }
            sql_.emplace(&entity, std::move(s));
        }
    }
}

std::string PgRowFetcher::array_literal(const std::vector<std::string>& ids, IdType type) {
    std::string out = "{";
    for (std::size_t i = 0; i < ids.size(); ++i) {
        if (i) {
            out += ',';
        }
        if (type == IdType::Bigint) {
            out += ids[i];
            continue;
        }
        out += '"';
        for (const char c : ids[i]) {
            if (c == '"' || c == '\\') {
                out += '\\';
            }
            out += c;
        }
        out += '"';
    }
    return out + "}";
}

void PgRowFetcher::fetch(const EntityConfig& entity, const std::string& topic_id,
                         const std::vector<std::string>& ids, RowsDone done) {
    const Statements& s = sql_.at(&entity);
    pg::Params params{array_literal(ids, entity.id_type)};
    if (s.uses_topic_id) {
        params.emplace_back(topic_id);
    }
    params.emplace_back(entity.id_field);
    pool_.run(s.fetch, std::move(params), [done = std::move(done)](pg::QueryOutcome outcome) {
        collect(std::move(outcome), done);
    });
}

void PgRowFetcher::snapshot(const EntityConfig& entity, const std::string& topic_id,
                            RowsDone done) {
    pool_.run(
        sql_.at(&entity).snapshot, {topic_id, entity.id_field},
        [done = std::move(done)](pg::QueryOutcome outcome) { collect(std::move(outcome), done); });
}

} // namespace deltacast::delta
