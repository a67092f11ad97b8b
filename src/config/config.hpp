#pragma once
// Config: the whole configuration of one deltacast process, parsed once at start-up
// (defaults < TOML file < DELTACAST_* environment < CLI flags), validated, then passed by
// const& everywhere. Every limit is a field here. Not thread-affine: immutable after load.

#include <chrono>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace deltacast {

/// Thrown by load_config for any invalid or unknown setting; `key()` names the offending key
/// (e.g. "fanout.window_ms" or "topics.chat.entities[0].query").
class ConfigError : public std::runtime_error {
public:
    ConfigError(std::string key, const std::string& message)
        : std::runtime_error(key + ": " + message), key_(std::move(key)) {}
    const std::string& key() const { return key_; }

private:
    std::string key_;
};

enum class IdType { Bigint, Uuid, Text };

/// The largest `broadcast_max_bytes`: a broadcast crosses replicas as one NOTIFY, whose payload
/// Postgres caps below 8000 bytes, and its envelope (topic, name, from) needs the rest.
inline constexpr int kMaxBroadcastBytes = 7000;
enum class TopicMode { Entity, Poke };
enum class AuthMode { Jwt, None };

struct EntityConfig {
    std::string name;                // "ChatMessageContent"
    std::string ids_key;             // "contentIds"
    IdType id_type = IdType::Bigint; // type of the ids in the payload; default bigint
    std::string id_field = "id";     // field of the row JSON that holds its id
    std::string query;               // $1 = id array, $2 = topic id; one jsonb column
    std::string snapshot;            // optional; $1 = topic id; one jsonb column
};

struct TopicKindConfig {
    std::string kind;                   // "chat" (the table key)
    TopicMode mode = TopicMode::Entity; // "entity" (default) | "poke"
    IdType id_type = IdType::Text;      // default text
    std::string access;                 // "" | "claim:<name>" | "sql:<query>"
    std::vector<EntityConfig> entities; // required (>= 1) for entity mode, empty for poke

    // Live rooms (SPEC §8), both off by default.
    bool presence = false;                         // members of <kind>:<id> are announced
    std::vector<std::string> presence_meta_claims; // token claims copied into a member's meta
    int presence_max_members = 100;                // above it, presence events carry count only
    std::optional<int> presence_grace_ms;          // leave after this; unset = presence.grace_ms
    bool broadcast = false;                        // subscribers may POST ephemeral events
    int broadcast_max_bytes = 2048;                // `data` once serialized
    int broadcast_rate_per_s = 10;                 // per subject per topic; burst = the same
};

struct ServerConfig {
    std::string listen = "127.0.0.1:8080"; // host:port; port 0 = any free port
    int threads = 0;                       // 0 = one per core
    int heartbeat_s = 15;
    int retry_ms = 2000; // the SSE `retry:` field
    int max_connections = 100000;
    int max_connections_per_subject = 100; // streams of one token subject; 0 = no limit
    int shutdown_spread_ms = 10000;        // SIGTERM ends streams at random within this
    int max_topics_per_connection = 64;
    std::vector<std::string> cors_origins;
    std::size_t max_request_line = 8192;    // bytes; longer -> 414
    std::size_t max_header_bytes = 16384;   // bytes; more -> 431
    int header_timeout_ms = 10000;          // a request must finish its headers in this time
    std::size_t max_queued_bytes = 1 << 20; // per connection; over -> resync + queue dropped
    int write_timeout_s = 30;               // a write stuck this long closes the connection
    int subscribe_timeout_ms = 5000;        // LISTEN confirmation
    bool debug_endpoints = false;           // /debug/listening (tests, operators)
};

struct PostgresConfig {
    std::string conninfo; // "" = DATABASE_URL, else libpq's PG* variables
    int query_connections = 4;
    int query_timeout_ms = 5000;     // statement_timeout on query connections
    bool prepared_statements = true; // off behind a transaction-mode pooler (PgBouncer < 1.21)
    int pipeline_depth = 16;         // queries on the wire per query connection (libpq pipeline)
    std::string channel_prefix = "signal:";
    int unlisten_linger_ms = 2000; // UNLISTEN after the last subscriber left this long ago
    int reconnect_min_ms = 100;
    int reconnect_max_ms = 10000;
};

struct FanoutConfig {
    int window_ms = 16;
    // Offered order of preference; see bench/RESULTS.md "zstd, and the default order".
    std::vector<std::string> compression = {"zstd", "gzip", "br"};
    int brotli_quality = 2;    // 0..11; 2: see bench/RESULTS.md (CPU and memory per stream)
    int brotli_lgwin = 16;     // 10..24; small: memory per connection, bench/RESULTS.md
    int gzip_level = 6;        // 1..9
    int gzip_window_bits = 10; // 9..15
    int gzip_mem_level = 4;    // 1..9
    int zstd_level = 1;        // -7..22
    int zstd_window_log = 10;  // 10..23 (Chromium refuses windows above 8 MiB); see RESULTS
    int zstd_hash_log = 8;     // 6..26
    int zstd_chain_log = 8;    // 6..24 (unused at levels 1-2)
    // zstd and gzip: one compression per frame for the connections whose streams carry the
    // same frames (sse/shared_encoder.hpp); false = one encoder per connection.
    bool share_encoders = true;
};

struct AuthConfig {
    AuthMode mode = AuthMode::Jwt;
    std::string jwt_secret_env = "DELTACAST_JWT_SECRET";
    std::string jwt_secret;          // resolved from the env var named above at load time
    std::string jwt_public_key_file; // RS256 PEM; optional
    std::string jwt_public_key_pem;  // file contents, read at load time
    std::string cookie = "session";
    int access_cache_ttl_s = 30;
    std::size_t access_cache_max_entries = 100000;
    int recheck_interval_s = 60; // re-check sql access of open streams; 0 = never
};

struct ReplayConfig {
    std::size_t max_frames = 256;       // per topic; 0 = no replay (resume always resyncs)
    std::size_t max_bytes = 256 * 1024; // per topic
    int max_age_s = 120;                // frames older than this are not replayed
};

/// Presence across replicas (SPEC §8): each replica keeps its members in a table of
/// deltacast's own and refreshes a heartbeat row; a replica silent for expiry_s is dead and
/// its members leave (within expiry_s + refresh_s of its death).
struct PresenceConfig {
    int grace_ms = 5000; // a subject leaves after holding no stream on the topic this long
    int refresh_s = 10;  // heartbeat and dead-replica sweep period
    int expiry_s = 30;   // a replica whose heartbeat is older is dead
};

struct LogConfig {
    std::string level = "info"; // trace|debug|info|warn|error|critical|off
};

struct Config {
    ServerConfig server;
    PostgresConfig postgres;
    FanoutConfig fanout;
    AuthConfig auth;
    ReplayConfig replay;
    PresenceConfig presence;
    LogConfig log;
    std::map<std::string, TopicKindConfig> topics; // by kind

    const TopicKindConfig* find_kind(const std::string& kind) const {
        auto it = topics.find(kind);
        return it == topics.end() ? nullptr : &it->second;
    }
};

/// Result of parsing the command line: either a config to run with, or a request to print
/// help / version and exit 0.
struct LoadResult {
    Config config;
    bool show_help = false;
    std::string help_text;
};

/// Loads the configuration: `--config FILE` (TOML), then DELTACAST_* variables from `env`,
/// then CLI flags (`--section.key=value` or `--section.key value`). Resolves conninfo from
/// DATABASE_URL when unset. Throws ConfigError naming the key on anything invalid.
/// `args` are the arguments WITHOUT the program name (argv[1..argc-1]).
/// `env` is injectable for tests; pass process_environment() in production.
LoadResult load_config(const std::vector<std::string>& args,
                       const std::map<std::string, std::string>& env);

/// The process environment (environ) as a map, for load_config.
std::map<std::string, std::string> process_environment();

/// Splits a validated `server.listen` value: "127.0.0.1:80" -> {"127.0.0.1", 80},
/// "[::1]:80" -> {"::1", 80}, "localhost:0" -> {"localhost", 0}. nullopt if malformed.
struct ListenAddress {
    std::string host; // IPv4 literal, IPv6 literal without brackets, or "localhost"
    unsigned short port = 0;
};
std::optional<ListenAddress> parse_listen_address(const std::string& listen);

/// Parses a TOML document (no env, no CLI) into a validated Config. Throws ConfigError.
Config parse_config_toml(const std::string& toml_text, const std::string& source_name,
                         const std::map<std::string, std::string>& env = {});

/// Parses "id_type" spellings: "bigint" | "uuid" | "text".
std::optional<IdType> parse_id_type(const std::string& s);
const char* to_string(IdType t);

/// The full --help text.
std::string help_text();

/// The key reference of docs/configuration.md, as Markdown tables (one per section), generated
/// from the key table (`deltacast --config-markdown`; a unit test keeps the doc equal to it).
std::string config_markdown();

} // namespace deltacast
