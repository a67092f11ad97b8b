#include "support/http_util.hpp"

#include "support/http_head.hpp"

#include <httplib.h>

#include <cstdlib>
#include <string_view>

namespace deltacast::testing {

namespace {

constexpr auto io_timeout = std::chrono::seconds(5);

std::string without_spaces(std::string_view s) {
    std::string out;
    for (char c : s) {
        if (c != ' ' && c != '\t') {
            out.push_back(c);
        }
    }
    return out;
}

// Splits "name{labels} value [timestamp]" into the series and the value text; labels may hold
// spaces inside quoted values, so the series ends at the closing brace when there is one.
bool split_sample(std::string_view line, std::string_view &series, std::string_view &value) {
    std::size_t end = line.find_first_of(" \t{");
    if (end == std::string_view::npos) {
        return false;
    }
    if (line[end] == '{') {
        end = line.find('}', end);
        if (end == std::string_view::npos) {
            return false;
        }
        ++end;
    }
    series = line.substr(0, end);
    std::string_view rest = line.substr(end);
    const auto start = rest.find_first_not_of(" \t");
    if (start == std::string_view::npos) {
        return false;
    }
    rest.remove_prefix(start);
    value = rest.substr(0, rest.find_first_of(" \t"));
    return true;
}

} // namespace

namespace {

HttpResult send(int port, const std::string &method, const std::string &target,
                const std::string &body,
                const std::vector<std::pair<std::string, std::string>> &headers) {
    httplib::Client client("127.0.0.1", port);
    client.set_connection_timeout(io_timeout);
    client.set_read_timeout(io_timeout);
    httplib::Headers request_headers;
    for (const auto &[name, value] : headers) {
        request_headers.emplace(name, value);
    }
    HttpResult result;
    const httplib::Result response =
        method == "GET"       ? client.Get(target, request_headers)
        : method == "OPTIONS" ? client.Options(target, request_headers)
                              : client.Post(target, request_headers, body, "application/json");
    if (!response) {
        result.body = httplib::to_string(response.error());
        return result;
    }
    result.status = response->status;
    result.body = response->body;
    for (const auto &[name, value] : response->headers) {
        result.headers.emplace(to_lower(name), value);
    }
    return result;
}

} // namespace

HttpResult http_get(int port, const std::string &target,
                    const std::vector<std::pair<std::string, std::string>> &headers) {
    return send(port, "GET", target, "", headers);
}

HttpResult http_send(int port, const std::string &method, const std::string &target,
                     const std::string &body,
                     const std::vector<std::pair<std::string, std::string>> &headers) {
    return send(port, method, target, body, headers);
}

std::optional<double> metric_value(const std::string &metrics_text,
                                   const std::string &name_with_labels) {
    const std::string wanted = without_spaces(name_with_labels);
    std::string_view text = metrics_text;
    while (!text.empty()) {
        const auto eol = text.find('\n');
        std::string_view line = text.substr(0, eol);
        text.remove_prefix(eol == std::string_view::npos ? text.size() : eol + 1);
        std::string_view series;
        std::string_view value;
        if (line.empty() || line.front() == '#' || !split_sample(line, series, value) ||
            without_spaces(series) != wanted) {
            continue;
        }
        const std::string value_text(value);
        char *end = nullptr;
        const double parsed = std::strtod(value_text.c_str(), &end);
        if (end == value_text.c_str() || *end != '\0') {
            return std::nullopt;
        }
        return parsed;
    }
    return std::nullopt;
}

} // namespace deltacast::testing
