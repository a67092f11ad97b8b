#pragma once
// AccessChecker: may this subject see these topics? Per kind: no rule (any authenticated
// caller), `claim:<name>` (the token's claim equals the topic id), or `sql:<query>` ($1 = topic
// id, $2 = subject; allowed when it returns a row). SQL answers are cached per
// (subject, topic) for auth.access_cache_ttl_s in a bounded LRU, so a tab that reconnects does
// not cost a query.
//
// Threading: core strand only; `done` runs there (inline when no query is needed).

#include "topics/scheduler.hpp"
#include "topics/topic.hpp"

#include <nlohmann/json.hpp>

#include <functional>
#include <list>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace deltacast {
struct Metrics;
}

namespace deltacast::topics {

/// Runs one SQL access rule: `done(true/false)`, or nullopt when the query failed.
class AccessQuery {
public:
    virtual ~AccessQuery() = default;
    virtual void allowed(const std::string& sql, const std::string& topic_id,
                         const std::string& subject,
                         std::function<void(std::optional<bool>)> done) = 0;
};

struct AccessResult {
    std::vector<std::string> denied; // topic keys
    bool failed = false;             // a rule could not be evaluated (database trouble)
};

class AccessChecker {
public:
    AccessChecker(const Config& config, AccessQuery& query, Scheduler& scheduler, Metrics& metrics);

    void check(const std::vector<Topic>& topics, const std::string& subject,
               const nlohmann::json& claims, std::function<void(AccessResult)> done);

    std::size_t cache_size() const { return cache_.size(); }

private:
    struct Entry {
        std::string key;
        bool allowed;
        Clock::time_point expires;
    };
    std::optional<bool> cached(const std::string& key);
    void remember(const std::string& key, bool allowed);

    const Config& config_;
    AccessQuery& query_;
    Scheduler& scheduler_;
    Metrics& metrics_;
    std::list<Entry> lru_; // most recently used first
    std::unordered_map<std::string, std::list<Entry>::iterator> cache_;
};

} // namespace deltacast::topics
