#pragma once
// Internal to the config module (src/config/config*.cpp): the table of scalar and list keys that
// drives the TOML, environment, CLI and --help layers, and the passes shared between them.

#include "config/config.hpp"

#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace deltacast::config_detail {

/// Where a key's value lives in a Config; the pointer type is the key's kind.
using FieldRef =
    std::variant<std::string*, int*, std::size_t*, bool*, std::vector<std::string>*, AuthMode*>;

/// A value as read from one layer, before it is checked against its field's kind.
/// monostate = a TOML type no key accepts (float, date, table, ...).
using RawValue =
    std::variant<std::monostate, std::string, long long, bool, std::vector<std::string>>;

/// One configurable scalar or list key. `min`/`max` bound integer keys (ignored otherwise).
struct KeySpec {
    std::string_view path; // "section.key"
    FieldRef (*field)(Config&);
    long long min;
    long long max;
    std::string_view help;
};

std::span<const KeySpec> key_table();
const KeySpec* find_key(std::string_view path);

/// "fanout.window_ms" -> "DELTACAST_FANOUT_WINDOW_MS".
std::string env_name(const KeySpec& key);

/// Parses env/CLI text for `key`'s kind: integers, booleans (true/false/1/0/yes/no/on/off),
/// comma-separated lists. Throws ConfigError naming the key.
RawValue parse_text(const KeySpec& key, const std::string& text);

/// Checks `value` against the key's kind and range, then stores it. Throws ConfigError.
void assign(Config& config, const KeySpec& key, const RawValue& value);

/// The key's current value as text (lists comma-separated), for --help.
std::string format_value(Config& config, const KeySpec& key);

/// Applies a TOML document (scalar keys via the table, plus [topics.*]) on top of `config`.
void apply_toml(Config& config, const std::string& toml_text, const std::string& source_name);

/// Fills derived fields (DATABASE_URL fallback, JWT secret, public key PEM) and validates
/// everything that is not a plain integer range. Throws ConfigError.
void finalize(Config& config, const std::map<std::string, std::string>& env);

/// Validates one topic kind (name, mode, access, entities).
void validate_topic(const TopicKindConfig& topic);

/// The whole file, or nullopt if it cannot be opened or read.
std::optional<std::string> read_file(const std::string& path);

} // namespace deltacast::config_detail
