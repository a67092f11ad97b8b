#pragma once
// Metrics: the process's counters and gauges, plain relaxed atomics so any thread (session
// strands, the core strand) can bump them without locks. Rendered as Prometheus text by
// render_prometheus(). One instance per process, owned by App, passed by reference.

#include <atomic>
#include <cstdint>
#include <string>

namespace deltacast {

struct Metrics {
    using Counter = std::atomic<std::uint64_t>;
    using Gauge = std::atomic<std::int64_t>;

    // HTTP / SSE
    Gauge connections{0};             // open SSE streams
    Counter connections_total{0};     // streams opened since start
    Counter requests_rejected{0};     // 4xx/5xx answers to stream requests
    Counter rejected_subject_limit{0}; // 429: the subject holds server.max_connections_per_subject
    Counter rejected_process_limit{0}; // 503: the process holds server.max_connections
    Counter streams_drained{0};       // streams ended by a graceful shutdown
    Counter token_expiry_closes{0};   // streams closed because their token expired
    Counter frames_delivered{0};      // frames handed to a connection (one per subscriber)
    Counter bytes_uncompressed{0};    // SSE bytes before compression, all connections
    Counter bytes_wire{0};            // bytes written to sockets (after compression)
    Gauge queued_bytes{0};            // frame bytes queued for sockets, all connections
    Counter slow_consumer_resyncs{0}; // queues dropped and replaced by `resync`
    Counter slow_consumer_closes{0};  // connections closed because a write was stuck
    Counter heartbeats{0};
    Counter encoders_released{0};     // compressor encoders freed on idle connections
    Counter handler_exceptions{0};    // exceptions that escaped a handler (bugs; logged)

    // Postgres listener
    Gauge listener_connected{0};
    Gauge listen_channels{0};         // channels LISTENed on the server right now
    Counter listener_reconnects{0};
    Counter listen_commands{0};       // LISTEN/UNLISTEN statements sent

    // Topics and windows
    Gauge topics{0};                  // topics with subscribers or lingering
    Counter signals{0};               // notifications received
    Counter signals_malformed{0};
    Counter signals_ignored{0};       // for topics nobody watches any more
    Counter windows{0};               // windows flushed

    // Delta queries and frames
    Counter queries{0};
    Counter query_errors{0};
    Counter query_micros{0};          // total query time, for a _seconds_sum
    Counter frames{0};                // frames built (once per window per topic)
    Counter resyncs{0};               // resync frames built (any reason)
    Counter snapshots{0};
    Counter replayed_frames{0};       // frames re-sent to resuming clients

    // Access
    Counter access_checks_sql{0};
    Counter access_cache_hits{0};
    Counter access_rechecks{0};       // periodic re-checks of open streams
    Counter streams_revoked{0};       // streams ended with `event: revoked`
};

/// The metrics as Prometheus text exposition format (version 0.0.4).
std::string render_prometheus(const Metrics& m);

}  // namespace deltacast
