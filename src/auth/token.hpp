#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace deltacast::auth {

// Picks the caller's token: "Authorization: Bearer <t>" (scheme case-insensitive) first, then
// the first non-empty cookie named `cookie_name` in the Cookie header (RFC 6265: "a=1; b=2",
// names case-sensitive, the value may be double-quoted), then the `access_token` query
// parameter value (already percent-decoded by the caller). A header that yields nothing (another
// scheme, an empty value) falls through to the next source. Returns "" when none is present.
std::string extract_token(std::string_view authorization_header, std::string_view cookie_header,
                          std::string_view cookie_name, std::string_view access_token_param);

// "claim:<name>" access rule: true when the token's claim equals topic_id. A claim may be a
// string, an integer (compared by decimal text, so 7 matches "7" but not "007"), or an array
// of those (any element matches). Other types, a missing claim or an empty topic_id -> false.
bool claim_allows(const nlohmann::json& claims, std::string_view claim_name,
                  std::string_view topic_id);

} // namespace deltacast::auth
