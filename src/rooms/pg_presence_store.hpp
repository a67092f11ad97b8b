#pragma once
// PgPresenceStore: PresenceStore on the QueryPool (see presence_store.hpp for the tables, the
// order guarantee and the costs).
//
// Threading: core strand only.

#include "rooms/presence_store.hpp"

#include <deque>
#include <map>
#include <memory>
#include <string_view>

namespace deltacast {
struct Config;
struct Metrics;
} // namespace deltacast
namespace deltacast::pg {
class QueryPool;
}

namespace deltacast::rooms {

class PgPresenceStore final : public PresenceStore {
public:
    PgPresenceStore(const Config& config, pg::QueryPool& pool, std::string replica,
                    Metrics& metrics);

    /// Creates the tables if missing and registers this replica (queued first).
    void start();
    /// The tables' DDL start() runs (after an advisory lock); sql/deltacast.sql carries the
    /// same statements for installs that create schema ahead of time (a unit test compares).
    static std::string_view table_ddl();

    void announce(const std::string& topic, const std::string& channel,
                  const std::vector<wire::PresenceMember>& joins,
                  const std::vector<std::string>& leaves) override;
    void load(const std::string& topic, std::function<void(std::optional<Rows>)> done) override;
    void refresh(std::function<void(bool recreated)> done) override;

private:
    /// Merged announces: (topic, sub) -> the last word (meta for a join, nullopt for a leave).
    struct Batch {
        std::map<std::pair<std::string, std::string>, std::optional<nlohmann::json>> ops;
        std::map<std::string, std::string> channels; // topic -> channel
    };
    struct Job {
        std::unique_ptr<Batch> batch; // an announce batch, or:
        std::function<void(std::function<void()>)>
            run; // any other statement; calls its arg when done
    };
    void enqueue(Job job);
    void pump();
    void run_batch(const Batch& batch, std::function<void()> next);
    void notify_leaves(
        const std::map<std::pair<std::string, std::string>, std::vector<std::string>>& gone);

    const Config& config_;
    pg::QueryPool& pool_;
    const std::string replica_;
    Metrics& metrics_;
    std::deque<Job> queue_;
    bool busy_ = false;
};

} // namespace deltacast::rooms
