// load_config: defaults < TOML file < DELTACAST_* environment < CLI flags, then validation.

#include "config/config.hpp"

#include "config/config_detail.hpp"

#include <utility>

extern char** environ; // NOLINT: POSIX global

namespace deltacast {
namespace {

using config_detail::KeySpec;
using config_detail::RawValue;
using Env = std::map<std::string, std::string>;

constexpr const char* kVersion = "deltacast 0.1.0";

/// The command line split into its parts; values are parsed but not yet applied.
struct CommandLine {
    std::string config_file; // "" = none given
    std::vector<std::pair<const KeySpec*, RawValue>> overrides;
};

bool takes_optional_value(const KeySpec& key) {
    Config scratch;
    return std::holds_alternative<bool*>(key.field(scratch));
}

const KeySpec& cli_key(const std::string& name) {
    if (const KeySpec* key = config_detail::find_key(name)) {
        return *key;
    }
    if (name.starts_with("topics.")) {
        throw ConfigError("--" + name, "topic kinds are configured in the TOML file only");
    }
    throw ConfigError("--" + name, "unknown option (see --help)");
}

// `--name=value`, `--name value`, or a bare `--name` for booleans (= true).
std::string flag_value(const std::vector<std::string>& args, std::size_t& i,
                       const std::string& name, bool optional) {
    const std::string& arg = args[i];
    if (const auto eq = arg.find('='); eq != std::string::npos) {
        return arg.substr(eq + 1);
    }
    const bool has_next = i + 1 < args.size() && !args[i + 1].starts_with("--");
    if (has_next && (!optional || !args[i + 1].starts_with("-"))) {
        return args[++i];
    }
    if (optional) {
        return "true";
    }
    throw ConfigError("--" + name, "needs a value (--" + name + "=VALUE)");
}

CommandLine parse_command_line(const std::vector<std::string>& args) {
    CommandLine cli;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& arg = args[i];
        if (!arg.starts_with("--") || arg.size() == 2) {
            throw ConfigError(arg, "unexpected argument (see --help)");
        }
        const std::string name = arg.substr(2, arg.find('=') - 2);
        if (name == "config") {
            cli.config_file = flag_value(args, i, name, false);
            continue;
        }
        const KeySpec& key = cli_key(name);
        const std::string text = flag_value(args, i, name, takes_optional_value(key));
        cli.overrides.emplace_back(&key, config_detail::parse_text(key, text));
    }
    return cli;
}

std::optional<LoadResult> help_or_version(const std::vector<std::string>& args) {
    for (const auto& arg : args) {
        if (arg == "--help" || arg == "-h" || arg == "--version" || arg == "--config-markdown") {
            LoadResult result;
            result.show_help = true;
            result.help_text = arg == "--version"           ? std::string(kVersion) + "\n"
                               : arg == "--config-markdown" ? config_markdown()
                                                            : help_text();
            return result;
        }
    }
    return std::nullopt;
}

void apply_file(Config& config, const CommandLine& cli, const Env& env) {
    std::string origin = "--config";
    std::string path = cli.config_file;
    if (const auto it = env.find("DELTACAST_CONFIG"); path.empty() && it != env.end()) {
        origin = "DELTACAST_CONFIG";
        path = it->second;
    }
    if (path.empty()) {
        return;
    }
    const auto text = config_detail::read_file(path);
    if (!text) {
        throw ConfigError(origin, "cannot read file '" + path + "'");
    }
    config_detail::apply_toml(config, *text, path);
}

void apply_env(Config& config, const Env& env) {
    for (const KeySpec& key : config_detail::key_table()) {
        if (const auto it = env.find(config_detail::env_name(key)); it != env.end()) {
            config_detail::assign(config, key, config_detail::parse_text(key, it->second));
        }
    }
}

} // namespace

LoadResult load_config(const std::vector<std::string>& args, const Env& env) {
    if (auto early = help_or_version(args)) {
        return std::move(*early);
    }
    const CommandLine cli = parse_command_line(args);
    LoadResult result;
    apply_file(result.config, cli, env);
    apply_env(result.config, env);
    for (const auto& [key, value] : cli.overrides) {
        config_detail::assign(result.config, *key, value);
    }
    config_detail::finalize(result.config, env);
    return result;
}

Config parse_config_toml(const std::string& toml_text, const std::string& source_name,
                         const Env& env) {
    Config config;
    config_detail::apply_toml(config, toml_text, source_name);
    config_detail::finalize(config, env);
    return config;
}

Env process_environment() {
    Env env;
    for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
        const std::string line(*entry);
        if (const auto eq = line.find('='); eq != std::string::npos) {
            env.emplace(line.substr(0, eq), line.substr(eq + 1));
        }
    }
    return env;
}

std::optional<IdType> parse_id_type(const std::string& s) {
    if (s == "bigint") {
        return IdType::Bigint;
    }
    if (s == "uuid") {
        return IdType::Uuid;
    }
    if (s == "text") {
        return IdType::Text;
    }
    return std::nullopt;
}

const char* to_string(IdType t) {
    switch (t) {
    case IdType::Bigint:
        return "bigint";
    case IdType::Uuid:
        return "uuid";
    case IdType::Text:
        return "text";
    }
    return "text";
}

} // namespace deltacast
