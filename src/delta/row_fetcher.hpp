#pragma once
// RowFetcher: the seam between DeltaEngine and Postgres. PgRowFetcher runs the entity's
// configured query on the QueryPool; unit tests use a fake that answers from a map.
//
// Threading: core strand only; `done` runs there, never inline.

#include "config/config.hpp"

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace deltacast::delta {

struct Row {
    std::string id;   // the row's id field, as text (matches canonical signal ids)
    std::string json; // the row as Postgres rendered it (to_jsonb(...)::text)
};
using RowsDone = std::function<void(std::optional<std::vector<Row>>)>; // nullopt = failed

class RowFetcher {
public:
    virtual ~RowFetcher() = default;
    /// Runs entity.query with $1 = ids, $2 = topic id.
    virtual void fetch(const EntityConfig& entity, const std::string& topic_id,
                       const std::vector<std::string>& ids, RowsDone done) = 0;
    /// Runs entity.snapshot with $1 = topic id.
    virtual void snapshot(const EntityConfig& entity, const std::string& topic_id,
                          RowsDone done) = 0;
};

} // namespace deltacast::delta
