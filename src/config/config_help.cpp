// help_text(): the --help page, its key list generated from the key table.

#include "config/config_detail.hpp"

#include <limits>

namespace deltacast {
namespace {

struct ValueHint {
    std::string operator()(const std::string*) const { return "STRING"; }
    std::string operator()(const int*) const { return "INT"; }
    std::string operator()(const std::size_t*) const { return "INT"; }
    std::string operator()(const bool*) const { return "BOOL"; }
    std::string operator()(const std::vector<std::string>*) const { return "LIST"; }
    std::string operator()(const AuthMode*) const { return "jwt|none"; }
};

std::string describe(Config& defaults, const config_detail::KeySpec& key) {
    std::string hint = std::visit(ValueHint{}, key.field(defaults));
    if (hint == "INT" && key.max >= std::numeric_limits<int>::max()) {
        hint += " (>= " + std::to_string(key.min) + ")";
    } else if (hint == "INT") {
        hint += " (" + std::to_string(key.min) + ".." + std::to_string(key.max) + ")";
    }
    std::string value = config_detail::format_value(defaults, key);
    if (value.empty()) {
        value = "(empty)";
    }
    return "  --" + std::string(key.path) + "=" + hint + "\n      " + std::string(key.help) +
           "\n      default: " + value + "    env: " + config_detail::env_name(key) + "\n";
}

constexpr const char* kHeader =
    R"(Usage: deltacast [--config FILE] [--section.key=VALUE | --section.key VALUE]...
       deltacast --help | --version

deltacast streams Postgres NOTIFY signals to browsers as Server-Sent Events.

Settings, each layer overriding the one before:
  1. built-in defaults (below)
  2. the TOML file named by --config FILE (or the DELTACAST_CONFIG variable)
  3. environment variables DELTACAST_<SECTION>_<KEY>, e.g. DELTACAST_FANOUT_WINDOW_MS=8
  4. command-line flags --section.key=VALUE or --section.key VALUE
Lists (LIST) are comma-separated in the environment and on the command line.
Booleans accept true/false, 1/0, yes/no, on/off; a bare --flag means true.
Topic kinds ([topics.<kind>] with mode, id_type, access and [[topics.<kind>.entities]])
are read from the TOML file only. Unknown keys in the file and unknown flags are errors.
The JWT secret is read from the variable named by auth.jwt_secret_env, never from a flag.
postgres.conninfo falls back to DATABASE_URL, then to libpq's PGHOST, PGPORT, ...

Keys:
)";

constexpr const char* kExample = R"(
Example:
  DELTACAST_JWT_SECRET=... deltacast --config deltacast.toml \
      --server.listen=0.0.0.0:8080 --fanout.window_ms 8
  DELTACAST_AUTH_MODE=none deltacast --config deltacast.toml   # local development only
)";

std::string type_of(Config& defaults, const config_detail::KeySpec& key) {
    std::string hint = std::visit(ValueHint{}, key.field(defaults));
    if (hint == "INT" && key.max >= std::numeric_limits<int>::max()) {
        return "integer >= " + std::to_string(key.min);
    }
    if (hint == "INT") {
        return "integer " + std::to_string(key.min) + "..=" + std::to_string(key.max);
    }
    return hint == "STRING" ? "string" : hint == "LIST" ? "list" : hint == "BOOL" ? "bool" : hint;
}

std::string markdown_cell(std::string_view text) {
    std::string out;
    for (const char c : text) {
        if (c == '|') {
            out += "\\|";
        } else {
            out += c;
        }
    }
    return out;
}

} // namespace

std::string config_markdown() {
    Config defaults;
    std::string out;
    std::string section;
    for (const auto& key : config_detail::key_table()) {
        const auto dot = key.path.find('.');
        const std::string this_section(key.path.substr(0, dot));
        if (this_section != section) {
            section = this_section;
            out += (out.empty() ? "" : "\n") + std::string("### `[") + section + "]`\n\n" +
                   "| key | type | default | environment | what |\n|---|---|---|---|---|\n";
        }
        std::string value = config_detail::format_value(defaults, key);
        out += "| `" + std::string(key.path.substr(dot + 1)) + "` | " +
               markdown_cell(type_of(defaults, key)) + " | " +
               (value.empty() ? std::string("(empty)") : "`" + markdown_cell(value) + "`") +
               " | `" + config_detail::env_name(key) + "` | " + markdown_cell(key.help) + " |\n";
    }
    return out;
}

std::string help_text() {
    Config defaults;
    std::string text = kHeader;
    for (const auto& key : config_detail::key_table()) {
        text += describe(defaults, key);
    }
    return text + kExample;
}

} // namespace deltacast
