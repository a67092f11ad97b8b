#include "util/metrics.hpp"

#include <fmt/format.h>

namespace deltacast {
namespace {

template <typename Atomic>
void emit(std::string& out, const char* name, const char* type, const char* help, const Atomic& v) {
    fmt::format_to(std::back_inserter(out), "# HELP {0} {1}\n# TYPE {0} {2}\n{0} {3}\n", name,
                   help, type, v.load(std::memory_order_relaxed));
}

}  // namespace

std::string render_prometheus(const Metrics& m) {
    std::string out;
    out.reserve(4096);
    emit(out, "deltacast_connections", "gauge", "Open SSE streams.", m.connections);
    emit(out, "deltacast_connections_total", "counter", "SSE streams opened.", m.connections_total);
    emit(out, "deltacast_stream_requests_rejected_total", "counter",
         "Stream requests answered with an error status.", m.requests_rejected);
    emit(out, "deltacast_stream_rejected_subject_limit_total", "counter",
         "Stream requests answered 429: too many streams for one subject.",
         m.rejected_subject_limit);
    emit(out, "deltacast_stream_rejected_process_limit_total", "counter",
         "Stream requests answered 503: server.max_connections reached.",
         m.rejected_process_limit);
    emit(out, "deltacast_streams_drained_total", "counter",
         "Streams ended by a graceful shutdown (SIGTERM).", m.streams_drained);
    emit(out, "deltacast_token_expiry_closes_total", "counter",
         "Streams closed because their token expired.", m.token_expiry_closes);
    emit(out, "deltacast_handler_exceptions_total", "counter",
         "Exceptions that escaped an I/O handler (logged; the process goes on).",
         m.handler_exceptions);
    emit(out, "deltacast_topics", "gauge", "Topics with subscribers or lingering.", m.topics);
    emit(out, "deltacast_listen_channels", "gauge", "Channels LISTENed on Postgres.",
         m.listen_channels);
    emit(out, "deltacast_listener_connected", "gauge", "1 while the LISTEN connection is up.",
         m.listener_connected);
    emit(out, "deltacast_listener_reconnects_total", "counter", "Listener reconnections.",
         m.listener_reconnects);
    emit(out, "deltacast_listen_commands_total", "counter", "LISTEN/UNLISTEN statements sent.",
         m.listen_commands);
    emit(out, "deltacast_signals_total", "counter", "Notifications received.", m.signals);
    emit(out, "deltacast_signals_malformed_total", "counter", "Malformed notifications.",
         m.signals_malformed);
    emit(out, "deltacast_signals_ignored_total", "counter",
         "Notifications for topics without subscribers.", m.signals_ignored);
    emit(out, "deltacast_windows_total", "counter", "Coalescing windows flushed.", m.windows);
    emit(out, "deltacast_queries_total", "counter", "Delta and snapshot queries run.", m.queries);
    emit(out, "deltacast_query_errors_total", "counter", "Queries that failed.", m.query_errors);
    fmt::format_to(std::back_inserter(out),
                   "# HELP deltacast_query_seconds Time spent in queries.\n"
                   "# TYPE deltacast_query_seconds summary\n"
                   "deltacast_query_seconds_sum {:.6f}\ndeltacast_query_seconds_count {}\n",
                   static_cast<double>(m.query_micros.load(std::memory_order_relaxed)) / 1e6,
                   m.queries.load(std::memory_order_relaxed));
    emit(out, "deltacast_frames_total", "counter", "Frames built (once per topic per window).",
         m.frames);
    emit(out, "deltacast_frames_delivered_total", "counter", "Frames handed to connections.",
         m.frames_delivered);
    emit(out, "deltacast_bytes_uncompressed_total", "counter", "SSE bytes before compression.",
         m.bytes_uncompressed);
    emit(out, "deltacast_bytes_wire_total", "counter", "Bytes written to sockets.", m.bytes_wire);
    emit(out, "deltacast_resyncs_total", "counter", "resync frames built.", m.resyncs);
    emit(out, "deltacast_snapshots_total", "counter", "Snapshot frames sent.", m.snapshots);
    emit(out, "deltacast_replayed_frames_total", "counter",
         "Frames replayed to clients resuming with Last-Event-ID.", m.replayed_frames);
    emit(out, "deltacast_queued_bytes", "gauge",
         "Frame bytes queued for sockets, all connections (each bounded by max_queued_bytes).",
         m.queued_bytes);
    emit(out, "deltacast_slow_consumer_resyncs_total", "counter",
         "Connection queues dropped and replaced by resync.", m.slow_consumer_resyncs);
    emit(out, "deltacast_slow_consumer_closes_total", "counter",
         "Connections closed because a write was stuck.", m.slow_consumer_closes);
    emit(out, "deltacast_heartbeats_total", "counter", "Heartbeat comments sent.", m.heartbeats);
    emit(out, "deltacast_encoders_released_total", "counter",
         "Compressor encoders freed on connections idle for a heartbeat interval.",
         m.encoders_released);
    emit(out, "deltacast_access_checks_sql_total", "counter", "SQL access checks run.",
         m.access_checks_sql);
    emit(out, "deltacast_access_cache_hits_total", "counter", "Access checks served from cache.",
         m.access_cache_hits);
    emit(out, "deltacast_access_rechecks_total", "counter",
         "Periodic access re-checks of open streams.", m.access_rechecks);
    emit(out, "deltacast_streams_revoked_total", "counter",
         "Streams ended with event: revoked.", m.streams_revoked);
    return out;
}

}  // namespace deltacast
