#include "rooms/pg_presence_store.hpp"

#include "config/config.hpp"
#include "delta/pg_row_fetcher.hpp"
#include "pg/query_pool.hpp"
#include "util/log.hpp"
#include "util/metrics.hpp"

namespace deltacast::rooms {
namespace {

// One implicit transaction (a multi-statement simple query): the advisory lock keeps two
// replicas starting together from racing on CREATE ... IF NOT EXISTS.
constexpr std::string_view kTables = R"(
CREATE UNLOGGED TABLE IF NOT EXISTS deltacast_replicas (
    replica text PRIMARY KEY,
    heartbeat_at timestamptz NOT NULL DEFAULT now());
CREATE UNLOGGED TABLE IF NOT EXISTS deltacast_presence (
    topic text NOT NULL,
    sub text NOT NULL,
    replica text NOT NULL,
    meta jsonb NOT NULL DEFAULT '{}',
    PRIMARY KEY (topic, sub, replica));
CREATE INDEX IF NOT EXISTS deltacast_presence_replica ON deltacast_presence (replica);
)";

constexpr const char* kRegister = "INSERT INTO deltacast_replicas (replica) VALUES ($1) "
                                  "ON CONFLICT (replica) DO UPDATE SET heartbeat_at = now()";

// $1 replica; upserts $2 topics, $3 subs, $4 metas; deletes $5 topics, $6 subs; NOTIFYs $7
// channels with $8 payloads. Data-modifying CTEs run whether or not they are referenced.
constexpr const char* kAnnounce = R"(
WITH up AS (
    INSERT INTO deltacast_presence (replica, topic, sub, meta)
    SELECT $1, u.t, u.s, u.m::jsonb FROM unnest($2::text[], $3::text[], $4::text[]) AS u(t, s, m)
    ON CONFLICT (topic, sub, replica) DO UPDATE SET meta = excluded.meta),
del AS (
    DELETE FROM deltacast_presence p USING unnest($5::text[], $6::text[]) AS d(t, s)
    WHERE p.replica = $1 AND p.topic = d.t AND p.sub = d.s)
SELECT count(pg_notify(n.c, n.m)) FROM unnest($7::text[], $8::text[]) AS n(c, m))";

constexpr const char* kLoad = R"(
SELECT p.replica, p.sub, p.meta::text
FROM deltacast_presence p JOIN deltacast_replicas r ON r.replica = p.replica
WHERE p.topic = $1 AND r.heartbeat_at > now() - make_interval(secs => $2::int))";

// Heartbeat (reporting whether the row had to be created: this replica had been swept), then
// the sweep: replicas silent past the expiry, and rows of replicas no longer registered.
constexpr const char* kRefresh = R"(
WITH beat AS (
    INSERT INTO deltacast_replicas (replica) VALUES ($1)
    ON CONFLICT (replica) DO UPDATE SET heartbeat_at = now()
    RETURNING (xmax = 0) AS created),
dead AS (
    DELETE FROM deltacast_replicas
    WHERE replica <> $1 AND heartbeat_at < now() - make_interval(secs => $2::int)
    RETURNING replica),
gone AS (
    DELETE FROM deltacast_presence p
    WHERE p.replica IN (SELECT replica FROM dead)
       OR (p.replica <> $1 AND NOT EXISTS (
               SELECT 1 FROM deltacast_replicas r WHERE r.replica = p.replica))
    RETURNING p.replica, p.topic, p.sub)
SELECT (SELECT created FROM beat)::text, g.replica, g.topic, g.sub
FROM (SELECT 1) AS one LEFT JOIN gone g ON true)";

constexpr const char* kNotify =
    "SELECT count(pg_notify(n.c, n.m)) FROM unnest($1::text[], $2::text[]) AS n(c, m)";

std::string text_array(const std::vector<std::string>& values) {
    return delta::PgRowFetcher::array_literal(values, IdType::Text);
}

} // namespace

PgPresenceStore::PgPresenceStore(const Config& config, pg::QueryPool& pool, std::string replica,
                                 Metrics& metrics)
    : config_(config), pool_(pool), replica_(std::move(replica)), metrics_(metrics) {}

void PgPresenceStore::start() {
    enqueue(Job{nullptr, [this](std::function<void()> next) {
                    static const std::string schema =
                        "SELECT pg_advisory_xact_lock(74740211);" + std::string(kTables);
                    pool_.run(schema, {}, [this, next](pg::QueryOutcome outcome) {
                        if (!outcome.ok()) {
                            log::get("rooms")->error(
                                "presence tables missing and not creatable error=\"{}\"",
                                outcome.error);
                        }
                        pool_.run(kRegister, {replica_}, [next](pg::QueryOutcome) { next(); });
                    });
                }});
}

std::string_view PgPresenceStore::table_ddl() {
    return kTables;
}

void PgPresenceStore::announce(const std::string& topic, const std::string& channel,
                               const std::vector<wire::PresenceMember>& joins,
                               const std::vector<std::string>& leaves) {
    if (queue_.empty() || !queue_.back().batch) { // queued jobs have not started yet
        queue_.push_back(Job{std::make_unique<Batch>(), nullptr});
    }
    Batch& batch = *queue_.back().batch;
    batch.channels[topic] = channel;
    for (const auto& m : joins) {
        batch.ops[{topic, m.sub}] = m.meta;
    }
    for (const auto& sub : leaves) {
        batch.ops[{topic, sub}] = std::nullopt;
    }
    pump();
}

void PgPresenceStore::load(const std::string& topic,
                           std::function<void(std::optional<Rows>)> done) {
    enqueue(Job{nullptr, [this, topic, done = std::move(done)](std::function<void()> next) {
                    pool_.run(kLoad, {topic, std::to_string(config_.presence.expiry_s)},
                              [done, next](pg::QueryOutcome outcome) {
                                  if (!outcome.ok() || outcome.results.empty()) {
                                      done(std::nullopt);
                                      next();
                                      return;
                                  }
                                  PGresult* r = outcome.results.back().get();
                                  Rows rows;
                                  for (int i = 0; i < PQntuples(r); ++i) {
                                      auto meta = nlohmann::json::parse(PQgetvalue(r, i, 2),
                                                                        nullptr, false);
                                      rows.push_back(
                                          {PQgetvalue(r, i, 0),
                                           {PQgetvalue(r, i, 1),
                                            meta.is_object() ? meta : nlohmann::json::object()}});
                                  }
                                  done(std::move(rows));
                                  next();
                              });
                }});
}

void PgPresenceStore::refresh(std::function<void(bool recreated)> done) {
    enqueue(Job{
        nullptr, [this, done = std::move(done)](std::function<void()> next) {
            metrics_.presence_writes.fetch_add(1, std::memory_order_relaxed);
            pool_.run(
                kRefresh, {replica_, std::to_string(config_.presence.expiry_s)},
                [this, done, next](pg::QueryOutcome outcome) {
                    if (!outcome.ok() || outcome.results.empty()) {
                        log::get("rooms")->warn("presence refresh failed error=\"{}\"",
                                                outcome.error);
                        next();
                        return;
                    }
                    PGresult* r = outcome.results.back().get();
                    bool recreated = false;
                    std::map<std::pair<std::string, std::string>, std::vector<std::string>> gone;
                    for (int i = 0; i < PQntuples(r); ++i) {
                        recreated = recreated || std::string_view(PQgetvalue(r, i, 0)) == "true";
                        if (!PQgetisnull(r, i, 1)) {
                            gone[{PQgetvalue(r, i, 1), PQgetvalue(r, i, 2)}].emplace_back(
                                PQgetvalue(r, i, 3));
                        }
                    }
                    notify_leaves(gone);
                    done(recreated);
                    next();
                });
        }});
}

void PgPresenceStore::notify_leaves(
    const std::map<std::pair<std::string, std::string>, std::vector<std::string>>& gone) {
    std::vector<std::string> channels;
    std::vector<std::string> payloads;
    for (const auto& [where, subs] : gone) {
        const auto& [replica, topic] = where;
        metrics_.presence_dead_replica_leaves.fetch_add(subs.size(), std::memory_order_relaxed);
        for (auto& msg : wire::presence_messages(replica, {}, subs)) {
            channels.push_back(config_.postgres.channel_prefix + topic);
            payloads.push_back(std::move(msg));
        }
    }
    if (channels.empty()) {
        return;
    }
    log::get("rooms")->info("dead replicas swept members={}", payloads.size());
    metrics_.presence_notifies.fetch_add(channels.size(), std::memory_order_relaxed);
    pool_.run(kNotify, {text_array(channels), text_array(payloads)}, [](pg::QueryOutcome) {});
}

void PgPresenceStore::enqueue(Job job) {
    queue_.push_back(std::move(job));
    pump();
}

void PgPresenceStore::pump() {
    if (busy_ || queue_.empty()) {
        return;
    }
    busy_ = true;
    // Off the queue before it runs: later announces merge into a batch that has not started,
    // and `job` outlives a completion that might run inline.
    auto job = std::make_shared<Job>(std::move(queue_.front()));
    queue_.pop_front();
    auto next = [this, job] {
        busy_ = false;
        pump();
    };
    if (job->batch) {
        run_batch(*job->batch, next);
    } else {
        job->run(next);
    }
}

void PgPresenceStore::run_batch(const Batch& batch, std::function<void()> next) {
    std::vector<std::string> up_topics, up_subs, up_metas, del_topics, del_subs;
    std::map<std::string, std::pair<std::vector<wire::PresenceMember>, std::vector<std::string>>>
        by_topic;
    for (const auto& [key, meta] : batch.ops) {
        const auto& [topic, sub] = key;
        if (meta) {
            up_topics.push_back(topic);
            up_subs.push_back(sub);
            up_metas.push_back(meta->dump());
            by_topic[topic].first.push_back({sub, *meta});
        } else {
            del_topics.push_back(topic);
            del_subs.push_back(sub);
            by_topic[topic].second.push_back(sub);
        }
    }
    std::vector<std::string> channels;
    std::vector<std::string> payloads;
    for (const auto& [topic, changes] : by_topic) {
        for (auto& msg : wire::presence_messages(replica_, changes.first, changes.second)) {
            channels.push_back(batch.channels.at(topic));
            payloads.push_back(std::move(msg));
        }
    }
    metrics_.presence_writes.fetch_add(1, std::memory_order_relaxed);
    metrics_.presence_notifies.fetch_add(channels.size(), std::memory_order_relaxed);
    pool_.run(
        kAnnounce,
        {replica_, text_array(up_topics), text_array(up_subs), text_array(up_metas),
         text_array(del_topics), text_array(del_subs), text_array(channels), text_array(payloads)},
        [next = std::move(next)](pg::QueryOutcome outcome) {
            if (!outcome.ok()) {
                log::get("rooms")->warn("presence announce failed error=\"{}\"", outcome.error);
            }
            next();
        });
}

} // namespace deltacast::rooms
