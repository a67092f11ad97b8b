#include "rooms/room_api.hpp"

#include "config/config.hpp"
#include "pg/query_pool.hpp"
#include "topics/access_checker.hpp"
#include "util/metrics.hpp"
#include "wire/room_message.hpp"

#include <boost/asio/post.hpp>

namespace deltacast::rooms {
namespace asio = boost::asio;
namespace http = boost::beast::http;

namespace {

// Distinct subjects of live replicas, each with one of its metas.
constexpr const char* kPresence = R"(
SELECT p.sub, (array_agg(p.meta::text ORDER BY p.replica))[1]
FROM deltacast_presence p JOIN deltacast_replicas r ON r.replica = p.replica
WHERE p.topic = $1 AND r.heartbeat_at > now() - make_interval(secs => $2::int)
GROUP BY p.sub ORDER BY p.sub)";

sse::Answer unavailable(const char* reason) {
    return {http::status::service_unavailable, {{"error", "unavailable"}, {"reason", reason}}, 2};
}

} // namespace

RoomApi::RoomApi(asio::any_io_executor core, const Config& config, pg::QueryPool& pool,
                 topics::AccessChecker* access, Metrics& metrics)
    : core_(std::move(core)), config_(config), pool_(pool), access_(access), metrics_(metrics) {}

void RoomApi::check(const sse::Identity& who, const topics::Topic& topic,
                    std::function<void(sse::Answer)> done, std::function<void()> allowed) {
    if (access_ == nullptr) {
        allowed();
        return;
    }
    access_->check(
        {topic}, who.subject, who.claims,
        [done = std::move(done), allowed = std::move(allowed)](topics::AccessResult result) {
            if (result.failed) {
                done(unavailable("access check failed"));
            } else if (!result.denied.empty()) {
                done(
                    {http::status::forbidden, {{"error", "forbidden"}, {"topics", result.denied}}});
            } else {
                allowed();
            }
        });
}

void RoomApi::broadcast(sse::Identity who, sse::BroadcastRequest request,
                        std::function<void(sse::Answer)> done) {
    asio::post(core_, [this, who = std::move(who), request = std::move(request),
                       done = std::move(done)]() mutable {
        check(who, request.topic, done, [this, who, request, done] {
            const int wait =
                limiter_.take(who.subject, request.topic.key,
                              request.topic.kind->broadcast_rate_per_s, RateLimiter::Clock::now());
            if (wait > 0) {
                metrics_.broadcasts_rate_limited.fetch_add(1, std::memory_order_relaxed);
                done({http::status::too_many_requests,
                      {{"error", "too many broadcasts"},
                       {"rate_per_s", request.topic.kind->broadcast_rate_per_s}},
                      wait});
                return;
            }
            send(who, request, done);
        });
    });
}

void RoomApi::send(const sse::Identity& who, const sse::BroadcastRequest& request,
                   std::function<void(sse::Answer)> done) {
    pool_.run(
        "SELECT pg_notify($1, $2)",
        {request.topic.channel, wire::broadcast_message(request.name, who.subject, request.data)},
        [this, done = std::move(done)](pg::QueryOutcome outcome) {
            if (!outcome.ok()) {
                done(unavailable("database unavailable"));
                return;
            }
            metrics_.broadcasts_accepted.fetch_add(1, std::memory_order_relaxed);
            done({http::status::accepted, {{"delivered", "queued"}}});
        });
}

void RoomApi::presence(sse::Identity who, topics::Topic topic,
                       std::function<void(sse::Answer)> done) {
    asio::post(core_, [this, who = std::move(who), topic = std::move(topic),
                       done = std::move(done)]() mutable {
        check(who, topic, done, [this, topic, done] {
            pool_.run(
                kPresence, {topic.key, std::to_string(config_.presence.expiry_s)},
                [topic, done](pg::QueryOutcome outcome) {
                    if (!outcome.ok() || outcome.results.empty()) {
                        done(unavailable("database unavailable"));
                        return;
                    }
                    PGresult* r = outcome.results.back().get();
                    const auto n = static_cast<std::size_t>(PQntuples(r));
                    nlohmann::json body{{"topic", topic.key}};
                    if (n > static_cast<std::size_t>(topic.kind->presence_max_members)) {
                        body["count"] = n;
                    } else {
                        auto& state = body["state"] = nlohmann::json::array();
                        for (int i = 0; i < PQntuples(r); ++i) {
                            auto meta = nlohmann::json::parse(PQgetvalue(r, i, 1), nullptr, false);
                            state.push_back(
                                {{"sub", PQgetvalue(r, i, 0)},
                                 {"meta", meta.is_object() ? meta : nlohmann::json::object()}});
                        }
                    }
                    done({http::status::ok, std::move(body)});
                });
        });
    });
}

} // namespace deltacast::rooms
