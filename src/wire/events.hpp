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

/// One member of a live room as clients see it: {"sub":…,"meta":{…}} (`meta` is JSON text).
struct MemberView {
    std::string_view sub;
    std::string_view meta;
};
/// `event: presence` with the full member list (no id: presence is never replayed).
void append_presence_state(std::string& out, std::string_view topic,
                           const std::vector<MemberView>& members);
/// `event: presence` with the members that joined and the subjects that left; either may be
/// empty (its key is then left out).
void append_presence_diff(std::string& out, std::string_view topic,
                          const std::vector<MemberView>& joins,
                          const std::vector<std::string_view>& leaves);
/// `event: presence` with the member count only (above presence_max_members).
void append_presence_count(std::string& out, std::string_view topic, std::size_t count);
/// `event: broadcast` (no id); `data` is JSON text.
void append_broadcast(std::string& out, std::string_view topic, std::string_view name,
                      std::string_view from, std::string_view data);

} // namespace deltacast::wire
