#include "topics/access_checker.hpp"

#include "auth/token.hpp"
#include "util/metrics.hpp"

#include <memory>

namespace deltacast::topics {
namespace {
constexpr std::string_view kClaimPrefix = "claim:";
constexpr std::string_view kSqlPrefix = "sql:";
} // namespace

AccessChecker::AccessChecker(const Config& config, AccessQuery& query, Scheduler& scheduler,
                             Metrics& metrics)
    : config_(config), query_(query), scheduler_(scheduler), metrics_(metrics) {}

void AccessChecker::check(const std::vector<Topic>& topics, const std::string& subject,
                          const nlohmann::json& claims, std::function<void(AccessResult)> done) {
    struct Pending {
        AccessResult result;
        std::size_t remaining = 1; // released after the loop, so done runs once, at the end
        std::function<void(AccessResult)> done;
        void release() {
            if (--remaining == 0) {
                done(std::move(result));
            }
        }
    };
    auto pending = std::make_shared<Pending>();
    pending->done = std::move(done);
    for (const Topic& topic : topics) {
        const std::string& rule = topic.kind->access;
        if (rule.rfind(kClaimPrefix, 0) == 0) {
            if (!auth::claim_allows(claims, rule.substr(kClaimPrefix.size()), topic.id)) {
                pending->result.denied.push_back(topic.key);
            }
        } else if (rule.rfind(kSqlPrefix, 0) == 0) {
            const std::string cache_key = subject + '\n' + topic.key;
            if (const auto hit = cached(cache_key)) {
                metrics_.access_cache_hits.fetch_add(1, std::memory_order_relaxed);
                if (!*hit) {
                    pending->result.denied.push_back(topic.key);
                }
                continue;
            }
            ++pending->remaining;
            metrics_.access_checks_sql.fetch_add(1, std::memory_order_relaxed);
            query_.allowed(rule.substr(kSqlPrefix.size()), topic.id, subject,
                           [this, pending, cache_key, key = topic.key](std::optional<bool> ok) {
                               if (!ok) {
                                   pending->result.failed = true;
                               } else {
                                   remember(cache_key, *ok);
                                   if (!*ok) {
                                       pending->result.denied.push_back(key);
                                   }
                               }
                               pending->release();
                           });
        }
    }
    pending->release();
}

std::optional<bool> AccessChecker::cached(const std::string& key) {
    const auto it = cache_.find(key);
    if (it == cache_.end()) {
        return std::nullopt;
    }
    if (it->second->expires <= scheduler_.now()) {
        lru_.erase(it->second);
        cache_.erase(it);
        return std::nullopt;
    }
    lru_.splice(lru_.begin(), lru_, it->second);
    return it->second->allowed;
}

void AccessChecker::remember(const std::string& key, bool allowed) {
    const auto expires = scheduler_.now() + std::chrono::seconds(config_.auth.access_cache_ttl_s);
    if (const auto it = cache_.find(key); it != cache_.end()) {
        it->second->allowed = allowed;
        it->second->expires = expires;
        lru_.splice(lru_.begin(), lru_, it->second);
        return;
    }
    lru_.push_front(Entry{key, allowed, expires});
    cache_.emplace(key, lru_.begin());
    while (cache_.size() > config_.auth.access_cache_max_entries && !lru_.empty()) {
        cache_.erase(lru_.back().key);
        lru_.pop_back();
    }
}

} // namespace deltacast::topics
