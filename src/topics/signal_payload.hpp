#pragma once
// Signal payloads: `{"contentIds":[101,102]}` -> the ids per entity of a topic kind. Pure.
// Payloads come from writers (trusted, but buggy): anything unexpected is an error the caller
// counts, logs (rate-limited) and answers with `resync`, never a crash.

#include "config/config.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace deltacast::topics {

/// Ids of one signal, indexed like `TopicKindConfig::entities`; canonical text per id_type.
using EntityIds = std::vector<std::vector<std::string>>;

/// Parses the payload of a signal for an entity-mode kind. The payload must be a JSON object;
/// each entity's `ids_key`, when present, must be an array of ids valid for the entity's
/// id_type (integers or decimal strings for bigint, strings otherwise; uuids are lower-cased).
/// Unknown keys are ignored; a payload naming none of the kind's keys is an error.
std::optional<EntityIds> parse_signal_payload(const TopicKindConfig& kind, std::string_view payload,
                                              std::string* error);

} // namespace deltacast::topics
