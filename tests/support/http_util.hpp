#pragma once
// One-shot HTTP requests (via cpp-httplib) for the plain endpoints (/healthz, /readyz, /metrics,
// the live-room endpoints) and a reader for Prometheus text. Thread-safe: nothing is shared between calls.

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace deltacast::testing {

struct HttpResult {
    int status = 0;   // 0 when no response arrived; `body` then holds the client error
    std::string body; // decoded if the server compressed it (httplib undoes br/gzip)
    std::multimap<std::string, std::string> headers; // names lower-cased
};

/// GET http://127.0.0.1:<port><target> with a 5 s connect/read timeout.
HttpResult http_get(int port, const std::string &target,
                    const std::vector<std::pair<std::string, std::string>> &headers = {});

/// POST (or OPTIONS, when `method` says so) http://127.0.0.1:<port><target> with `body` as
/// application/json, 5 s timeouts.
HttpResult http_send(int port, const std::string &method, const std::string &target,
                     const std::string &body,
                     const std::vector<std::pair<std::string, std::string>> &headers = {});

/// The value of one series in Prometheus text format. `name_with_labels` is matched exactly
/// against the series as written (`name` or `name{a="1",b="2"}`); spaces in it are ignored.
/// nullopt when the series is absent or its value does not parse.
std::optional<double> metric_value(const std::string &metrics_text,
                                   const std::string &name_with_labels);

} // namespace deltacast::testing
