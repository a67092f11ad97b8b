#pragma once
// ClientView: the rows one client holds per topic, kept the way a real client keeps them, and
// compared with the source of truth. It is the socket-free half of the end-to-end consistency
// checker (SPEC §3: every update is delivered or covered by a `resync`): `entity-upsert` rows
// (snapshot or not) replace by id, `entity-delete` removes, `resync` reloads the named topics
// from the truth, and compare() lists every row where the view and the truth differ. Rows are
// keyed by their "id" alone, so a topic kind is assumed to carry one entity. Not thread-safe:
// one owner applies events and compares.

#include "support/sse_parser.hpp"

#include <nlohmann/json.hpp>

#include <functional>
#include <map>
#include <string>
#include <vector>

namespace deltacast::testing {

/// The current rows of a topic ("chat:42") according to the source of truth.
using RowSource = std::function<std::vector<nlohmann::json>(const std::string& topic)>;

class ClientView {
public:
    /// Rows of one topic by id (the row's "id" as compact JSON: `101`, `"u1"`).
    using RowMap = std::map<std::string, nlohmann::json>;

    struct Stats {
        int events = 0;
        int upsert_rows = 0;
        int deleted_ids = 0;
        std::map<std::string, int> resyncs; // reason -> count
    };

    ClientView(std::string name, std::vector<std::string> topics);

    /// Replaces the view of `topic` with `rows` (initial fetch, or a resync's refetch).
    void load(const std::string& topic, const std::vector<nlohmann::json>& rows);
    /// Applies one event as a client would; a `resync` reloads its topics from `source`.
    /// Events it cannot make sense of are kept as errors and reported by compare().
    void apply(const SseEvent& event, const RowSource& source);

    /// Every difference between the view of `topic` and `truth`, one readable line each.
    std::vector<std::string> diff(const std::string& topic,
                                  const std::vector<nlohmann::json>& truth) const;
    /// Protocol errors and the diff of every topic against `source`; empty when consistent.
    std::vector<std::string> compare(const RowSource& source) const;

    const std::string& name() const { return name_; }
    const std::vector<std::string>& topics() const { return topics_; }
    const RowMap& rows(const std::string& topic) const;
    const Stats& stats() const { return stats_; }
    const std::vector<std::string>& errors() const { return errors_; }

private:
    void apply_upsert(const nlohmann::json& data);
    void apply_delete(const nlohmann::json& data);
    void apply_resync(const nlohmann::json& data, const RowSource& source);
    RowMap* topic_rows(const nlohmann::json& data, const std::string& event);

    std::string name_;
    std::vector<std::string> topics_;
    std::map<std::string, RowMap> views_;
    Stats stats_;
    std::vector<std::string> errors_;
};

/// The key ClientView files `row` under: its "id" as compact JSON.
std::string row_key(const nlohmann::json& row);

} // namespace deltacast::testing
