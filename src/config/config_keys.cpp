// The table of scalar and list keys: one line per key drives TOML, environment, CLI and --help.

#include "config/config_detail.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <limits>

namespace deltacast::config_detail {
namespace {

template <auto Section, auto Member> FieldRef ref(Config& c) {
    return &(c.*Section.*Member);
}

using C = Config;
using Srv = ServerConfig;
using Pg = PostgresConfig;
using Fan = FanoutConfig;
using Auth = AuthConfig;
using Log = LogConfig;
using Rep = ReplayConfig;
using Pres = PresenceConfig;

constexpr long long kInt = std::numeric_limits<int>::max();
constexpr long long kBytes = 1LL << 40; // a byte limit beyond 1 TiB can only be a typo

// clang-format off
const KeySpec kKeys[] = {
    {"server.listen", ref<&C::server, &Srv::listen>, 0, 0,
     "host:port (IPv4, localhost or [IPv6]); port 0 = any free port"},
    {"server.threads", ref<&C::server, &Srv::threads>, 0, 1024, "I/O threads; 0 = one per core"},
    {"server.heartbeat_s", ref<&C::server, &Srv::heartbeat_s>, 1, 3600,
     "heartbeat tick: a stream that sent nothing for a whole tick gets a comment (so at most "
     "2 x heartbeat_s of silence)"},
    {"server.retry_ms", ref<&C::server, &Srv::retry_ms>, 1, 3600000, "the SSE retry: field"},
    {"server.max_connections", ref<&C::server, &Srv::max_connections>, 1, kInt,
     "open streams; more -> 503"},
    {"server.max_connections_per_subject",
     ref<&C::server, &Srv::max_connections_per_subject>, 0, kInt,
     "open streams of one token subject; more -> 429; 0 = no limit"},
    {"server.shutdown_spread_ms", ref<&C::server, &Srv::shutdown_spread_ms>, 0, 3600000,
     "on SIGTERM, streams are ended at random moments within this window"},
    {"server.max_topics_per_connection", ref<&C::server, &Srv::max_topics_per_connection>, 1,
     kInt, "topics in one stream; more -> 400"},
    {"server.cors_origins", ref<&C::server, &Srv::cors_origins>, 0, 0,
     "origins (http[s]://host[:port]) allowed to open streams with credentials"},
    {"server.max_request_line", ref<&C::server, &Srv::max_request_line>, 1, kBytes,
     "bytes; a longer request line -> 414"},
    {"server.max_header_bytes", ref<&C::server, &Srv::max_header_bytes>, 1, kBytes,
     "bytes of request headers; more -> 431"},
    {"server.header_timeout_ms", ref<&C::server, &Srv::header_timeout_ms>, 1, kInt,
     "a request must finish its headers within this time"},
    {"server.max_queued_bytes", ref<&C::server, &Srv::max_queued_bytes>, 1, kBytes,
     "per-connection send queue; over it -> resync and the queue is dropped"},
    {"server.write_timeout_s", ref<&C::server, &Srv::write_timeout_s>, 1, kInt,
     "a write stuck this long closes the connection"},
    {"server.subscribe_timeout_ms", ref<&C::server, &Srv::subscribe_timeout_ms>, 1, kInt,
     "LISTEN confirmation must arrive within this time, else 503 (access checks are bounded "
     "by postgres.query_timeout_ms)"},
    {"server.debug_endpoints", ref<&C::server, &Srv::debug_endpoints>, 0, 0,
     "serve /debug/listening (tests, operators)"},
    {"postgres.conninfo", ref<&C::postgres, &Pg::conninfo>, 0, 0,
     "libpq conninfo or URL; empty = DATABASE_URL, else PGHOST, PGPORT, ..."},
    {"postgres.query_connections", ref<&C::postgres, &Pg::query_connections>, 1, 64,
     "connections in the query pool"},
    {"postgres.query_timeout_ms", ref<&C::postgres, &Pg::query_timeout_ms>, 1, kInt,
     "statement_timeout on query connections"},
    {"postgres.prepared_statements", ref<&C::postgres, &Pg::prepared_statements>, 0, 0,
     "prepare each query once per connection; false behind a transaction-mode pooler"},
    {"postgres.pipeline_depth", ref<&C::postgres, &Pg::pipeline_depth>, 1, 64,
     "queries on the wire at once per query connection (libpq pipeline mode); 1 with "
     "prepared_statements = false"},
    {"postgres.channel_prefix", ref<&C::postgres, &Pg::channel_prefix>, 0, 0,
     "NOTIFY channels are <prefix><kind>:<id>"},
    {"postgres.unlisten_linger_ms", ref<&C::postgres, &Pg::unlisten_linger_ms>, 0, kInt,
     "UNLISTEN this long after a topic's last subscriber left"},
    {"postgres.reconnect_min_ms", ref<&C::postgres, &Pg::reconnect_min_ms>, 1, kInt,
     "first reconnect delay"},
    {"postgres.reconnect_max_ms", ref<&C::postgres, &Pg::reconnect_max_ms>, 1, kInt,
     "reconnect delay cap (exponential backoff)"},
    {"fanout.window_ms", ref<&C::fanout, &Fan::window_ms>, 1, 1000,
     "signals of one topic within this window share one query"},
    {"fanout.compression", ref<&C::fanout, &Fan::compression>, 0, 0,
     "encodings offered (zstd, br, gzip), in order of preference; empty = identity only"},
    {"fanout.brotli_quality", ref<&C::fanout, &Fan::brotli_quality>, 0, 11, "brotli quality"},
    {"fanout.brotli_lgwin", ref<&C::fanout, &Fan::brotli_lgwin>, 10, 24,
     "brotli window bits; memory per stream grows with it"},
    {"fanout.gzip_level", ref<&C::fanout, &Fan::gzip_level>, 1, 9, "gzip level"},
    {"fanout.gzip_window_bits", ref<&C::fanout, &Fan::gzip_window_bits>, 9, 15,
     "gzip window bits; memory per stream grows with it"},
    {"fanout.gzip_mem_level", ref<&C::fanout, &Fan::gzip_mem_level>, 1, 9, "zlib memLevel"},
    {"fanout.zstd_level", ref<&C::fanout, &Fan::zstd_level>, -7, 22,
     "zstd level (negative: faster, larger)"},
    {"fanout.zstd_window_log", ref<&C::fanout, &Fan::zstd_window_log>, 10, 23,
     "zstd window bits; browsers refuse more than 23 (8 MiB)"},
    {"fanout.zstd_hash_log", ref<&C::fanout, &Fan::zstd_hash_log>, 6, 26,
     "zstd hash table bits; memory per stream grows with it"},
    {"fanout.zstd_chain_log", ref<&C::fanout, &Fan::zstd_chain_log>, 6, 24,
     "zstd chain table bits (levels >= 3); memory per stream grows with it"},
    {"fanout.share_encoders", ref<&C::fanout, &Fan::share_encoders>, 0, 0,
     "zstd and gzip: compress a frame once for all streams that carry the same frames; false "
     "= one encoder per stream"},
    {"replay.max_frames", ref<&C::replay, &Rep::max_frames>, 0, kBytes,
     "frames kept per topic for Last-Event-ID resume; 0 = no replay"},
    {"replay.max_bytes", ref<&C::replay, &Rep::max_bytes>, 0, kBytes,
     "bytes of frames kept per topic for resume"},
    {"replay.max_age_s", ref<&C::replay, &Rep::max_age_s>, 0, kInt,
     "frames older than this are not replayed"},
    {"auth.mode", ref<&C::auth, &Auth::mode>, 0, 0,
     "jwt, or none for local development (every topic open)"},
    {"auth.jwt_secret_env", ref<&C::auth, &Auth::jwt_secret_env>, 0, 0,
     "name of the environment variable holding the HS256 secret"},
    {"auth.jwt_public_key_file", ref<&C::auth, &Auth::jwt_public_key_file>, 0, 0,
     "RS256 public key (PEM) file; optional"},
    {"auth.cookie", ref<&C::auth, &Auth::cookie>, 0, 0,
     "cookie carrying the token (also: Authorization: Bearer, ?access_token=)"},
    {"auth.access_cache_ttl_s", ref<&C::auth, &Auth::access_cache_ttl_s>, 1, 86400,
     "seconds an access-check result stays cached"},
    {"auth.access_cache_max_entries", ref<&C::auth, &Auth::access_cache_max_entries>, 1, kBytes,
     "cached access-check results"},
    {"auth.recheck_interval_s", ref<&C::auth, &Auth::recheck_interval_s>, 0, 86400,
     "re-check sql access of open streams this often (revoked -> closed); 0 = never"},
    {"presence.grace_ms", ref<&C::presence, &Pres::grace_ms>, 0, 3600000,
     "a subject leaves a topic after holding no stream on it this long (any replica)"},
    {"presence.refresh_s", ref<&C::presence, &Pres::refresh_s>, 1, 3600,
     "period of the replica heartbeat and of the dead-replica sweep"},
    {"presence.expiry_s", ref<&C::presence, &Pres::expiry_s>, 2, 86400,
     "a replica silent this long is dead: its members leave (bound: expiry_s + refresh_s)"},
    {"log.level", ref<&C::log, &Log::level>, 0, 0, "trace|debug|info|warn|error|critical|off"},
};
// clang-format on

template <class T> const T& expect(const KeySpec& key, const RawValue& value, const char* what) {
    if (const T* v = std::get_if<T>(&value)) {
        return *v;
    }
    throw ConfigError(std::string(key.path), std::string("must be ") + what);
}

long long in_range(const KeySpec& key, long long v) {
    if (v >= key.min && v <= key.max) {
        return v;
    }
    throw ConfigError(std::string(key.path), "must be between " + std::to_string(key.min) +
                                                 " and " + std::to_string(key.max));
}

void store(const KeySpec& key, std::string& field, const RawValue& v) {
    field = expect<std::string>(key, v, "a string");
}
void store(const KeySpec& key, int& field, const RawValue& v) {
    field = static_cast<int>(in_range(key, expect<long long>(key, v, "an integer")));
}
void store(const KeySpec& key, std::size_t& field, const RawValue& v) {
    field = static_cast<std::size_t>(in_range(key, expect<long long>(key, v, "an integer")));
}
void store(const KeySpec& key, bool& field, const RawValue& v) {
    field = expect<bool>(key, v, "a boolean");
}
void store(const KeySpec& key, std::vector<std::string>& field, const RawValue& v) {
    field = expect<std::vector<std::string>>(key, v, "an array of strings");
}
void store(const KeySpec& key, AuthMode& field, const RawValue& v) {
    const std::string& s = expect<std::string>(key, v, "\"jwt\" or \"none\"");
    if (s != "jwt" && s != "none") {
        throw ConfigError(std::string(key.path), "must be \"jwt\" or \"none\"");
    }
    field = s == "jwt" ? AuthMode::Jwt : AuthMode::None;
}

std::string trim(std::string_view s) {
    const auto first = s.find_first_not_of(" \t");
    if (first == std::string_view::npos) {
        return {};
    }
    return std::string(s.substr(first, s.find_last_not_of(" \t") - first + 1));
}

// Empty items are skipped so that "br," or "" read naturally.
std::vector<std::string> split_list(const std::string& text) {
    std::vector<std::string> items;
    std::size_t start = 0;
    while (start <= text.size()) {
        const auto comma = std::min(text.find(',', start), text.size());
        if (std::string item = trim(std::string_view(text).substr(start, comma - start));
            !item.empty()) {
            items.push_back(std::move(item));
        }
        start = comma + 1;
    }
    return items;
}

RawValue parse_integer(const KeySpec& key, const std::string& text) {
    long long v = 0;
    const char* end = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(text.data(), end, v);
    if (text.empty() || ec != std::errc() || ptr != end) {
        throw ConfigError(std::string(key.path), "must be an integer");
    }
    return v;
}

RawValue parse_bool(const KeySpec& key, std::string text) {
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (text == "true" || text == "1" || text == "yes" || text == "on") {
        return true;
    }
    if (text == "false" || text == "0" || text == "no" || text == "off") {
        return false;
    }
    throw ConfigError(std::string(key.path), "must be a boolean (true or false)");
}

struct TextParser {
    const KeySpec& key;
    const std::string& text;
    RawValue operator()(std::string*) const { return text; }
    RawValue operator()(AuthMode*) const { return text; }
    RawValue operator()(int*) const { return parse_integer(key, text); }
    RawValue operator()(std::size_t*) const { return parse_integer(key, text); }
    RawValue operator()(bool*) const { return parse_bool(key, text); }
    RawValue operator()(std::vector<std::string>*) const { return split_list(text); }
};

struct Formatter {
    std::string operator()(const std::string* v) const { return *v; }
    std::string operator()(const int* v) const { return std::to_string(*v); }
    std::string operator()(const std::size_t* v) const { return std::to_string(*v); }
    std::string operator()(const bool* v) const { return *v ? "true" : "false"; }
    std::string operator()(const AuthMode* v) const { return *v == AuthMode::Jwt ? "jwt" : "none"; }
    std::string operator()(const std::vector<std::string>* v) const {
        std::string out;
        for (const auto& item : *v) {
            out += (out.empty() ? "" : ",") + item;
        }
        return out;
    }
};

} // namespace

std::span<const KeySpec> key_table() {
    return kKeys;
}

const KeySpec* find_key(std::string_view path) {
    const auto it = std::find_if(std::begin(kKeys), std::end(kKeys),
                                 [&](const KeySpec& k) { return k.path == path; });
    return it == std::end(kKeys) ? nullptr : &*it;
}

std::string env_name(const KeySpec& key) {
    std::string name = "DELTACAST_";
    for (const char c : key.path) {
        name += c == '.' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    return name;
}

RawValue parse_text(const KeySpec& key, const std::string& text) {
    Config scratch; // only the pointer's type matters here
    return std::visit(TextParser{key, text}, key.field(scratch));
}

void assign(Config& config, const KeySpec& key, const RawValue& value) {
    std::visit([&](auto* field) { store(key, *field, value); }, key.field(config));
}

std::string format_value(Config& config, const KeySpec& key) {
    return std::visit(Formatter{}, key.field(config));
}

} // namespace deltacast::config_detail
