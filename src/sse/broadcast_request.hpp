#pragma once
// The body of POST /api/sse/broadcast, parsed and checked before anything else happens:
// {"topic":"chat:42","name":"typing","data":{...}}. Pure; never throws (fuzzed).
//
// 400: not a JSON object, a missing or non-string topic or name, a missing `data`, any other
// key (`from` included: deltacast sets it from the token, never from the body), a malformed
// topic or unknown kind, a kind without `broadcast = true`, a name outside
// [A-Za-z0-9_.:-]{1,64}. 413: `data` longer than the kind's broadcast_max_bytes once
// serialized. Every error body is {"error": "...", ...} naming the offending field.

#include "sse/stream_request.hpp"
#include "topics/topic.hpp"

#include <string>
#include <string_view>
#include <variant>

namespace deltacast::sse {

struct BroadcastRequest {
    topics::Topic topic;
    std::string name;
    std::string data; // compact JSON text
};

/// The largest body worth reading for `config`: the largest broadcast_max_bytes plus room for
/// the envelope. A longer body is answered 413 before it is parsed.
std::size_t max_broadcast_body(const Config& config);

std::variant<BroadcastRequest, HttpError> parse_broadcast_request(const Config& config,
                                                                  std::string_view body);

/// True when `name` matches [A-Za-z0-9_.:-]{1,64}.
bool valid_broadcast_name(std::string_view name);

} // namespace deltacast::sse
