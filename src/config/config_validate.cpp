// Validation of a fully layered Config and resolution of the fields derived from the
// environment (DATABASE_URL, the JWT secret) or from files (the RS256 public key).
// Error messages never quote values: a misplaced secret must not end up in a log.

#include "config/config_detail.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

namespace deltacast {
namespace {

std::optional<unsigned short> parse_port(const std::string& text) {
    if (text.empty() || text.size() > 5 ||
        !std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isdigit(c); })) {
        return std::nullopt;
    }
    const int port = std::stoi(text);
    if (port > 65535) {
        return std::nullopt;
    }
    return static_cast<unsigned short>(port);
}

} // namespace

std::optional<ListenAddress> parse_listen_address(const std::string& listen) {
    const auto colon = listen.rfind(':');
    if (colon == std::string::npos) {
        return std::nullopt;
    }
    const auto port = parse_port(listen.substr(colon + 1));
    std::string host = listen.substr(0, colon);
    if (!port) {
        return std::nullopt;
    }
    if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
        host = host.substr(1, host.size() - 2);
        in6_addr addr6{};
        if (inet_pton(AF_INET6, host.c_str(), &addr6) != 1) {
            return std::nullopt;
        }
    } else if (host != "localhost") {
        in_addr addr4{};
        if (inet_pton(AF_INET, host.c_str(), &addr4) != 1) {
            return std::nullopt;
        }
    }
    return ListenAddress{std::move(host), *port};
}

namespace config_detail {
namespace {

using Env = std::map<std::string, std::string>;

bool is_token(const std::string& s) {
    static const std::string separators = "()<>@,;:\\\"/[]?={}";
    return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) {
        return c > 0x20 && c < 0x7f && separators.find(static_cast<char>(c)) == std::string::npos;
    });
}

bool is_env_name(const std::string& s) {
    return !s.empty() && !std::isdigit(static_cast<unsigned char>(s[0])) &&
           std::all_of(s.begin(), s.end(),
                       [](unsigned char c) { return std::isalnum(c) || c == '_'; });
}

// "http://localhost:5173" is what a browser sends in Origin: no path, no trailing slash.
bool is_origin(const std::string& s) {
    std::string_view rest = s;
    if (rest.starts_with("https://")) {
        rest.remove_prefix(8);
    } else if (rest.starts_with("http://")) {
        rest.remove_prefix(7);
    } else {
        return false;
    }
    return !rest.empty() && std::all_of(rest.begin(), rest.end(), [](unsigned char c) {
        return c > 0x20 && c < 0x7f && c != '/';
    });
}

void validate_server(const ServerConfig& server) {
    if (!parse_listen_address(server.listen)) {
        throw ConfigError("server.listen",
                          "must be host:port with an IPv4 address, localhost or [IPv6] "
                          "and a port 0..65535");
    }
    for (std::size_t i = 0; i < server.cors_origins.size(); ++i) {
        if (!is_origin(server.cors_origins[i])) {
            throw ConfigError("server.cors_origins",
                              "entry " + std::to_string(i) +
                                  " must be an origin like https://app.example.com[:port] "
                                  "(no path, no trailing slash)");
        }
    }
}

void validate_postgres(const PostgresConfig& pg) {
    // Postgres caps channel names at 63 bytes; the prefix must leave room for kind and id.
    const bool printable = std::all_of(pg.channel_prefix.begin(), pg.channel_prefix.end(),
                                       [](unsigned char c) { return c > 0x20 && c < 0x7f; });
    if (!printable || pg.channel_prefix.empty() || pg.channel_prefix.size() > 20) {
        throw ConfigError("postgres.channel_prefix",
                          "must be 1..20 printable characters without spaces");
    }
    if (pg.reconnect_max_ms < pg.reconnect_min_ms) {
        throw ConfigError("postgres.reconnect_max_ms",
                          "must not be less than postgres.reconnect_min_ms");
    }
}

void validate_fanout(const FanoutConfig& fanout) {
    std::set<std::string> seen;
    for (const auto& encoding : fanout.compression) {
        if (encoding != "zstd" && encoding != "br" && encoding != "gzip") {
            throw ConfigError("fanout.compression", "entries must be \"zstd\", \"br\" or \"gzip\"");
        }
        if (!seen.insert(encoding).second) {
            throw ConfigError("fanout.compression", "lists an encoding twice");
        }
    }
}

void validate_log(const LogConfig& log) {
    static const std::array<std::string_view, 9> levels = {
        "trace", "debug", "info", "warn", "warning", "error", "err", "critical", "off"};
    if (std::find(levels.begin(), levels.end(), log.level) == levels.end()) {
        throw ConfigError("log.level", "must be trace, debug, info, warn, error, critical or off");
    }
}

void resolve_postgres(PostgresConfig& pg, const Env& env) {
    if (const auto it = env.find("DATABASE_URL"); pg.conninfo.empty() && it != env.end()) {
        pg.conninfo = it->second;
    }
}

std::string read_public_key(const std::string& path) {
    const auto pem = read_file(path);
    if (!pem) {
        throw ConfigError("auth.jwt_public_key_file", "cannot read file '" + path + "'");
    }
    if (pem->find("-----BEGIN ") == std::string::npos) {
        throw ConfigError("auth.jwt_public_key_file", "file '" + path + "' is not PEM");
    }
    return *pem;
}

void resolve_auth(AuthConfig& auth, const Env& env) {
    if (!is_token(auth.cookie)) {
        throw ConfigError("auth.cookie",
                          "must be a cookie name (letters, digits, -_.!#$%&'*+^`|~)");
    }
    if (auth.mode == AuthMode::None) {
        return;
    }
    if (!auth.jwt_secret_env.empty() && !is_env_name(auth.jwt_secret_env)) {
        throw ConfigError("auth.jwt_secret_env", "must be an environment variable name");
    }
    if (!auth.jwt_public_key_file.empty()) {
        auth.jwt_public_key_pem = read_public_key(auth.jwt_public_key_file);
    }
    if (const auto it = env.find(auth.jwt_secret_env);
        !auth.jwt_secret_env.empty() && it != env.end()) {
        auth.jwt_secret = it->second;
    }
    if (auth.jwt_secret.empty() && auth.jwt_public_key_pem.empty()) {
        throw ConfigError("auth.jwt_secret_env",
                          auth.jwt_secret_env.empty()
                              ? "auth.mode jwt needs a secret variable or auth.jwt_public_key_file"
                              : "environment variable " + auth.jwt_secret_env + " is not set");
    }
}

} // namespace

std::optional<std::string> read_file(const std::string& path) {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) {
        return std::nullopt;
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        return std::nullopt;
    }
    std::ostringstream out;
    out << in.rdbuf();
    if (in.bad()) {
        return std::nullopt;
    }
    return out.str();
}

void finalize(Config& config, const Env& env) {
    validate_server(config.server);
    validate_postgres(config.postgres);
    validate_fanout(config.fanout);
    validate_log(config.log);
    if (config.presence.expiry_s < 2 * config.presence.refresh_s) {
        throw ConfigError("presence.expiry_s",
                          "must be at least twice presence.refresh_s (a live replica refreshes "
                          "its heartbeat every refresh_s)");
    }
    if (config.topics.empty()) {
        throw ConfigError("topics", "no topic kinds configured ([topics.<kind>] in the TOML file)");
    }
    resolve_postgres(config.postgres, env);
    resolve_auth(config.auth, env);
}

} // namespace config_detail
} // namespace deltacast
