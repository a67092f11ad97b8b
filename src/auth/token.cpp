#include "auth/token.hpp"

#include <algorithm>
#include <cstdint>

namespace deltacast::auth {
namespace {

constexpr std::string_view ows = " \t";

std::string_view trim(std::string_view s) {
    const auto first = s.find_first_not_of(ows);
    if (first == std::string_view::npos)
        return {};
    return s.substr(first, s.find_last_not_of(ows) - first + 1);
}

char ascii_lower(char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return ascii_lower(x) == ascii_lower(y);
           });
}

std::string_view bearer_token(std::string_view header) {
    header = trim(header);
    const auto space = header.find_first_of(ows);
    if (space == std::string_view::npos || !iequals(header.substr(0, space), "bearer"))
        return {};
    return trim(header.substr(space));
}

std::string_view cookie_value(std::string_view header, std::string_view name) {
    if (name.empty())
        return {};
    while (!header.empty()) {
        const auto semi = header.find(';');
        const auto pair = trim(header.substr(0, semi));
        header = semi == std::string_view::npos ? std::string_view{} : header.substr(semi + 1);
        const auto eq = pair.find('=');
        if (eq == std::string_view::npos || trim(pair.substr(0, eq)) != name)
            continue;
        auto value = trim(pair.substr(eq + 1));
        if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
            value = value.substr(1, value.size() - 2);
        }
        if (!value.empty())
            return value;
    }
    return {};
}

bool claim_value_matches(const nlohmann::json& value, std::string_view topic_id) {
    if (value.is_string())
        return value.get_ref<const std::string&>() == topic_id;
    if (value.is_number_unsigned())
        return std::to_string(value.get<std::uint64_t>()) == topic_id;
    if (value.is_number_integer())
        return std::to_string(value.get<std::int64_t>()) == topic_id;
    return false;
}

} // namespace

std::string extract_token(std::string_view authorization_header, std::string_view cookie_header,
                          std::string_view cookie_name, std::string_view access_token_param) {
    if (const auto bearer = bearer_token(authorization_header); !bearer.empty()) {
        return std::string(bearer);
    }
    if (const auto cookie = cookie_value(cookie_header, cookie_name); !cookie.empty()) {
        return std::string(cookie);
    }
    return std::string(access_token_param);
}

bool claim_allows(const nlohmann::json& claims, std::string_view claim_name,
                  std::string_view topic_id) {
    if (topic_id.empty() || !claims.is_object())
        return false;
    const auto it = claims.find(std::string(claim_name));
    if (it == claims.end())
        return false;
    if (!it->is_array())
        return claim_value_matches(*it, topic_id);
    return std::any_of(it->begin(), it->end(), [topic_id](const nlohmann::json& element) {
        return claim_value_matches(element, topic_id);
    });
}

} // namespace deltacast::auth
