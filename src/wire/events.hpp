#pragma once
// The events of the wire format (SPEC §3), one builder each: pure functions that take ids,
// topics and row JSON and append complete SSE events (data always one line of JSON) through
// wire/sse_format.hpp. Every event deltacast sends is built here.

#include "config/config.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace deltacast::wire {

/// JSON string literal for `s` (quoted, escaped).
std::string json_quote(std::string_view s);

/// `entity-upsert` with rows spliced in as Postgres rendered them (each a JSON object).
void append_upsert(std::string& out, std::string_view id, std::string_view topic,
                   std::string_view entity, const std::vector<std::string_view>& rows,
                   bool snapshot);
/// `entity-delete` for ids the window signalled but the query no longer finds; bigint ids are
/// JSON numbers, other id types strings.
void append_delete(std::string& out, std::string_view id, std::string_view topic,
                   std::string_view entity, const std::vector<std::string>& ids, IdType id_type);
void append_poke(std::string& out, std::string_view id, std::string_view topic);
void append_resync(std::string& out, const std::vector<std::string>& topics,
                   std::string_view reason);
/// `event: revoked`: the caller lost access to these topics; the stream ends after it.
void append_revoked(std::string& out, const std::vector<std::string>& topics,
                    std::string_view reason);
void append_ready(std::string& out, std::string_view epoch, const std::vector<std::string>& topics);

}  // namespace deltacast::wire
