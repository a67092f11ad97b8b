#include "util/metrics.hpp"

#include <fmt/format.h>

namespace deltacast {
namespace {

constexpr const char* type_name(const Metrics::Gauge&) {
    return "gauge";
}
constexpr const char* type_name(const Metrics::Counter&) {
    return "counter";
}

} // namespace

std::string render_prometheus(const Metrics& m) {
    std::string out;
    out.reserve(8192);
    auto out_it = std::back_inserter(out);
#define DELTACAST_METRIC_RENDER(kind, member, name, help)                                          \
    fmt::format_to(out_it, "# HELP {0} {1}\n# TYPE {0} {2}\n{0} {3}\n", name, help,                \
                   type_name(m.member), m.member.load(std::memory_order_relaxed));
    DELTACAST_METRICS(DELTACAST_METRIC_RENDER)
#undef DELTACAST_METRIC_RENDER
    fmt::format_to(out_it,
                   "# HELP deltacast_query_seconds Time spent in queries.\n"
                   "# TYPE deltacast_query_seconds summary\n"
                   "deltacast_query_seconds_sum {:.6f}\ndeltacast_query_seconds_count {}\n",
                   static_cast<double>(m.query_micros.load(std::memory_order_relaxed)) / 1e6,
                   m.queries.load(std::memory_order_relaxed));
    return out;
}

} // namespace deltacast
