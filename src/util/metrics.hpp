#pragma once
// Metrics: the process's counters and gauges, plain relaxed atomics so any thread (session
// strands, the core strand) can bump them without locks. DELTACAST_METRICS is the one table:
// it declares each field and drives render_prometheus(), so a metric cannot be declared and
// forgotten (or rendered under two names). One instance per process, owned by App, passed by
// reference.

#include <atomic>
#include <cstdint>
#include <string>

// X(kind, member, Prometheus name, help): kind Gauge or Counter (a counter's name ends in _total).
// clang-format off
#define DELTACAST_METRICS(X) \
    X(Gauge, connections, "deltacast_connections", "Open SSE streams.") \
    X(Counter, connections_total, "deltacast_connections_total", "SSE streams opened.") \
    X(Counter, requests_rejected, "deltacast_stream_requests_rejected_total", \
      "Stream requests answered with an error status.") \
    X(Counter, rejected_subject_limit, "deltacast_stream_rejected_subject_limit_total", \
      "Stream requests answered 429: too many streams for one subject.") \
    X(Counter, rejected_process_limit, "deltacast_stream_rejected_process_limit_total", \
      "Stream requests answered 503: server.max_connections reached.") \
    X(Counter, streams_drained, "deltacast_streams_drained_total", \
      "Streams ended by a graceful shutdown (SIGTERM).") \
    X(Counter, token_expiry_closes, "deltacast_token_expiry_closes_total", \
      "Streams closed because their token expired.") \
    X(Counter, handler_exceptions, "deltacast_handler_exceptions_total", \
      "Exceptions that escaped an I/O handler (logged; the process goes on).") \
    X(Gauge, topics, "deltacast_topics", "Topics with subscribers or lingering.") \
    X(Gauge, listen_channels, "deltacast_listen_channels", "Channels LISTENed on Postgres.") \
    X(Gauge, listener_connected, "deltacast_listener_connected", \
      "1 while the LISTEN connection is up.") \
    X(Counter, listener_reconnects, "deltacast_listener_reconnects_total", \
      "Listener reconnections.") \
    X(Counter, listen_commands, "deltacast_listen_commands_total", \
      "LISTEN/UNLISTEN statements sent.") \
    X(Counter, signals, "deltacast_signals_total", "Notifications received.") \
    X(Counter, signals_malformed, "deltacast_signals_malformed_total", "Malformed notifications.") \
    X(Counter, signals_ignored, "deltacast_signals_ignored_total", \
      "Notifications for topics already UNLISTENed.") \
    X(Counter, room_messages, "deltacast_room_messages_total", \
      "Presence and broadcast messages received on topic channels (all replicas').") \
    X(Counter, windows, "deltacast_windows_total", "Coalescing windows flushed.") \
    X(Counter, windows_unwatched, "deltacast_windows_unwatched_total", \
      "Windows flushed for a lingering topic (no subscriber; kept for replay).") \
    X(Counter, queries, "deltacast_queries_total", "Delta and snapshot queries run.") \
    X(Counter, query_errors, "deltacast_query_errors_total", "Queries that failed.") \
    X(Counter, frames, "deltacast_frames_total", "Frames built (once per topic per window).") \
    X(Counter, frames_delivered, "deltacast_frames_delivered_total", \
      "Frames handed to connections.") \
    X(Counter, bytes_uncompressed, "deltacast_bytes_uncompressed_total", \
      "SSE bytes before compression.") \
    X(Counter, bytes_wire, "deltacast_bytes_wire_total", "Bytes written to sockets.") \
    X(Counter, resyncs, "deltacast_resyncs_total", "resync frames built.") \
    X(Counter, snapshots, "deltacast_snapshots_total", "Snapshot frames sent.") \
    X(Counter, replayed_frames, "deltacast_replayed_frames_total", \
      "Frames replayed to clients resuming with Last-Event-ID.") \
    X(Gauge, queued_bytes, "deltacast_queued_bytes", \
      "Frame bytes queued for sockets, all connections (each bounded by max_queued_bytes).") \
    X(Counter, slow_consumer_resyncs, "deltacast_slow_consumer_resyncs_total", \
      "Connection queues dropped and replaced by resync.") \
    X(Counter, slow_consumer_closes, "deltacast_slow_consumer_closes_total", \
      "Connections closed because a write was stuck.") \
    X(Counter, heartbeats, "deltacast_heartbeats_total", "Heartbeat comments sent.") \
    X(Counter, encoders_released, "deltacast_encoders_released_total",                  \
      "Compressor encoders freed on connections idle for a heartbeat interval.")          \
    X(Counter, compressions, "deltacast_compressions_total",                            \
      "Encoder calls; with shared encoders (zstd, gzip) one per chain of streams and frame, " \
      "not one per connection.")                                                         \
    X(Counter, access_checks_sql, "deltacast_access_checks_sql_total", "SQL access checks run.") \
    X(Counter, access_cache_hits, "deltacast_access_cache_hits_total", \
      "Access checks served from cache.") \
    X(Counter, access_rechecks, "deltacast_access_rechecks_total", \
      "Periodic access re-checks of open streams.") \
    X(Counter, streams_revoked, "deltacast_streams_revoked_total", \
      "Streams ended with event: revoked.") \
    X(Gauge, presence_members, "deltacast_presence_members", \
      "Subjects present on this replica's presence topics (local streams, grace included).") \
    X(Counter, presence_events, "deltacast_presence_events_total", \
      "presence events built (state, diff or count; once per topic, shared by its streams).") \
    X(Counter, presence_writes, "deltacast_presence_writes_total", \
      "Presence statements sent to Postgres (batched joins/leaves, heartbeats, sweeps).") \
    X(Counter, presence_notifies, "deltacast_presence_notifies_total", \
      "NOTIFYs this replica sent for presence.") \
    X(Counter, presence_dead_replica_leaves, "deltacast_presence_dead_replica_leaves_total", \
      "Members removed because their replica stopped refreshing its heartbeat.") \
    X(Counter, broadcasts_accepted, "deltacast_broadcasts_accepted_total", \
      "POST /api/sse/broadcast answered 202.") \
    X(Counter, broadcasts_rejected, "deltacast_broadcasts_rejected_total", \
      "POST /api/sse/broadcast answered 4xx/5xx.") \
    X(Counter, broadcasts_rate_limited, "deltacast_broadcasts_rate_limited_total", \
      "POST /api/sse/broadcast answered 429.") \
    X(Counter, broadcast_events, "deltacast_broadcast_events_total", \
      "broadcast events built (once per message per replica, shared by the topic's streams).")
// clang-format on

namespace deltacast {

struct Metrics {
    using Counter = std::atomic<std::uint64_t>;
    using Gauge = std::atomic<std::int64_t>;

#define DELTACAST_METRIC_FIELD(kind, member, name, help) kind member{0};
    DELTACAST_METRICS(DELTACAST_METRIC_FIELD)
#undef DELTACAST_METRIC_FIELD

    /// Total query time in microseconds: with `queries`, the deltacast_query_seconds summary.
    Counter query_micros{0};
};

/// The metrics as Prometheus text exposition format (version 0.0.4).
std::string render_prometheus(const Metrics& m);

} // namespace deltacast
