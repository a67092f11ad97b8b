#include "config/config.hpp"

#include "config_test_support.hpp"

#include <gtest/gtest.h>

namespace deltacast {
namespace {

using namespace config_test;

const std::string kSpecExample = R"(
[server]
listen = "127.0.0.1:8080"
heartbeat_s = 15
max_connections = 100000
max_topics_per_connection = 64
cors_origins = ["http://localhost:5173"]

[postgres]
conninfo = "postgresql://deltacast@127.0.0.1:5432/app"
query_connections = 4

[fanout]
window_ms = 16
compression = ["br", "gzip"]
brotli_quality = 4

[auth]
mode = "jwt"                 # "jwt", or "none" for local development (logged loudly)
jwt_secret_env = "DELTACAST_JWT_SECRET"
cookie = "session"           # also: Authorization: Bearer, ?access_token=

[topics.org]
mode = "poke"
access = "claim:org"         # the token's `org` claim must equal the topic id

[topics.user]
mode = "poke"
access = "claim:sub"

[topics.chat]
id_type = "bigint"           # bigint | uuid | text — checked before any LISTEN
access = "sql:SELECT 1 FROM chat_members WHERE chat_id = $1 AND user_id = $2"

[[topics.chat.entities]]
name = "ChatMessageContent"
ids_key = "contentIds"
query = "SELECT to_jsonb(c) FROM chat_message_content c WHERE c.id = ANY($1) AND c.chat_id = $2"
snapshot = "SELECT to_jsonb(c) FROM chat_message_content c WHERE c.chat_id = $1 ORDER BY c.id DESC LIMIT 50"
)";

// The documented example config parses into exactly the values it spells out.
TEST(ConfigTest, SpecExampleParsesIntoExpectedValues) {
    const Config c = parse_config_toml(kSpecExample, "spec.toml", kSecretEnv);
    EXPECT_EQ(c.server.listen, "127.0.0.1:8080");
    EXPECT_EQ(c.server.heartbeat_s, 15);
    EXPECT_EQ(c.server.max_connections, 100000);
    EXPECT_EQ(c.server.max_topics_per_connection, 64);
    EXPECT_EQ(c.server.cors_origins, std::vector<std::string>{"http://localhost:5173"});
    EXPECT_EQ(c.postgres.conninfo, "postgresql://deltacast@127.0.0.1:5432/app");
    EXPECT_EQ(c.postgres.query_connections, 4);
    EXPECT_EQ(c.fanout.window_ms, 16);
    EXPECT_EQ(c.fanout.compression, (std::vector<std::string>{"br", "gzip"}));
    EXPECT_EQ(c.fanout.brotli_quality, 4);
    EXPECT_EQ(c.auth.mode, AuthMode::Jwt);
    EXPECT_EQ(c.auth.jwt_secret, kSecret);
    EXPECT_EQ(c.auth.cookie, "session");
    ASSERT_EQ(c.topics.size(), 3u);
    EXPECT_EQ(c.topics.at("org").mode, TopicMode::Poke);
    EXPECT_EQ(c.topics.at("org").access, "claim:org");
    EXPECT_EQ(c.topics.at("user").access, "claim:sub");
    const TopicKindConfig *chat = c.find_kind("chat");
    ASSERT_NE(chat, nullptr);
    EXPECT_EQ(chat->kind, "chat");
    EXPECT_EQ(chat->mode, TopicMode::Entity);
    EXPECT_EQ(chat->id_type, IdType::Bigint);
    EXPECT_TRUE(chat->access.starts_with("sql:SELECT 1 FROM chat_members"));
    ASSERT_EQ(chat->entities.size(), 1u);
    const EntityConfig &e = chat->entities[0];
    EXPECT_EQ(e.name, "ChatMessageContent");
    EXPECT_EQ(e.ids_key, "contentIds");
    EXPECT_EQ(e.id_type, IdType::Bigint);
    EXPECT_EQ(e.id_field, "id");
    EXPECT_TRUE(e.query.find("ANY($1)") != std::string::npos);
    EXPECT_TRUE(e.snapshot.find("LIMIT 50") != std::string::npos);
}

// The shipped deltacast.example.toml stays loadable and matches the SPEC example.
TEST(ConfigTest, ShippedExampleFileLoads) {
    const auto example =
        std::filesystem::path(__FILE__).parent_path() / "../../../deltacast.example.toml";
    const Config c = load_config({"--config", example.string()}, kSecretEnv).config;
    EXPECT_EQ(c.server.listen, "127.0.0.1:8080");
    EXPECT_EQ(c.auth.mode, AuthMode::Jwt);
    ASSERT_NE(c.find_kind("chat"), nullptr);
    EXPECT_EQ(c.find_kind("chat")->entities.at(0).name, "ChatMessageContent");
    EXPECT_EQ(c.topics.size(), 3u);
}

// Keys a file leaves out keep their documented defaults (topic id_type text, entity id_field).
TEST(ConfigTest, OmittedKeysKeepDefaults) {
    const Config c = parse_config_toml(
        "[auth]\nmode = \"none\"\n[topics.doc]\n[[topics.doc.entities]]\n" + kEntityOk, "t.toml");
    EXPECT_EQ(c.server.retry_ms, 2000);
    EXPECT_EQ(c.fanout.brotli_lgwin, 16);
    EXPECT_EQ(c.fanout.brotli_quality, 2);
    EXPECT_EQ(c.fanout.compression, (std::vector<std::string>{"zstd", "gzip", "br"}));
    EXPECT_EQ(c.fanout.zstd_level, 1);
    EXPECT_EQ(c.fanout.zstd_window_log, 10);
    EXPECT_EQ(c.fanout.zstd_hash_log, 8);
    EXPECT_EQ(c.fanout.zstd_chain_log, 8);
    EXPECT_EQ(c.postgres.channel_prefix, "signal:");
    EXPECT_TRUE(c.postgres.prepared_statements);
    EXPECT_EQ(c.postgres.pipeline_depth, 16);
    EXPECT_EQ(c.log.level, "info");
    EXPECT_TRUE(c.auth.jwt_secret.empty());
    const TopicKindConfig &doc = c.topics.at("doc");
    EXPECT_EQ(doc.mode, TopicMode::Entity);
    EXPECT_EQ(doc.id_type, IdType::Text);
    EXPECT_EQ(doc.entities.at(0).id_type, IdType::Bigint);
    EXPECT_EQ(doc.entities.at(0).id_field, "id");
}

// Precedence: defaults < TOML file < DELTACAST_* environment < CLI flags.
TEST(ConfigTest, EachLayerOverridesThePreviousOne) {
    const TempFile file("[fanout]\nwindow_ms = 20\ngzip_level = 3\nbrotli_quality = 5\n" +
                        kPokeTopic);
    const std::vector<std::string> args_file = {"--config", file.path()};
    const Config from_file = load_config(args_file, kSecretEnv).config;
    EXPECT_EQ(from_file.fanout.window_ms, 20);
    EXPECT_EQ(from_file.fanout.gzip_level, 3);
    EXPECT_EQ(from_file.fanout.gzip_window_bits, 10); // default survives

    const Env env =
        with_secret({{"DELTACAST_FANOUT_WINDOW_MS", "8"}, {"DELTACAST_FANOUT_GZIP_LEVEL", "2"}});
    const Config from_env = load_config(args_file, env).config;
    EXPECT_EQ(from_env.fanout.window_ms, 8);
    EXPECT_EQ(from_env.fanout.gzip_level, 2);
    EXPECT_EQ(from_env.fanout.brotli_quality, 5);

    const std::vector<std::string> args_cli = {"--config=" + file.path(), "--fanout.window_ms", "4",
                                               "--fanout.gzip_level=1"};
    const Config from_cli = load_config(args_cli, env).config;
    EXPECT_EQ(from_cli.fanout.window_ms, 4);
    EXPECT_EQ(from_cli.fanout.gzip_level, 1);
    EXPECT_EQ(from_cli.fanout.brotli_quality, 5);
}

// DELTACAST_CONFIG names the file when --config is absent; --config wins when both are set.
TEST(ConfigTest, ConfigFileFromEnvironmentUnlessFlagGiven) {
    const TempFile env_file("[server]\nheartbeat_s = 7\n" + kPokeTopic);
    const TempFile flag_file("[server]\nheartbeat_s = 9\n" + kPokeTopic);
    const Env env = with_secret({{"DELTACAST_CONFIG", env_file.path()}});
    EXPECT_EQ(load_config({}, env).config.server.heartbeat_s, 7);
    EXPECT_EQ(load_config({"--config", flag_file.path()}, env).config.server.heartbeat_s, 9);
}

// Lists are comma-separated (spaces trimmed) in the environment and on the command line.
TEST(ConfigTest, ListsFromEnvironmentAndFlags) {
    const TempFile file(kPokeTopic);
    const Env env = with_secret(
        {{"DELTACAST_CONFIG", file.path()},
         {"DELTACAST_SERVER_CORS_ORIGINS", "https://app.example.com, http://localhost:5173"},
         {"DELTACAST_FANOUT_COMPRESSION", "gzip"}});
    const Config c = load_config({}, env).config;
    EXPECT_EQ(c.server.cors_origins,
              (std::vector<std::string>{"https://app.example.com", "http://localhost:5173"}));
    EXPECT_EQ(c.fanout.compression, std::vector<std::string>{"gzip"});
    const Config cli = load_config({"--fanout.compression=gzip,br"}, env).config;
    EXPECT_EQ(cli.fanout.compression, (std::vector<std::string>{"gzip", "br"}));
    const Config zstd =
        load_config({"--fanout.compression=zstd,br", "--fanout.zstd_level=-3"}, env).config;
    EXPECT_EQ(zstd.fanout.compression, (std::vector<std::string>{"zstd", "br"}));
    EXPECT_EQ(zstd.fanout.zstd_level, -3);
    EXPECT_TRUE(load_config({"--fanout.compression="}, env).config.fanout.compression.empty());
}

// Scalars of every kind are settable from text: strings, enums, sizes and bare booleans.
TEST(ConfigTest, ScalarKindsFromEnvironmentAndFlags) {
    const TempFile file(kPokeTopic);
    const Env env = {{"DELTACAST_CONFIG", file.path()},
                     {"DELTACAST_AUTH_MODE", "none"},
                     {"DELTACAST_SERVER_LISTEN", "[::1]:0"},
                     {"DELTACAST_SERVER_MAX_QUEUED_BYTES", "4096"}};
    const Config c = load_config({"--server.debug_endpoints", "--log.level", "debug"}, env).config;
    EXPECT_EQ(c.auth.mode, AuthMode::None);
    EXPECT_EQ(c.server.listen, "[::1]:0");
    EXPECT_EQ(c.server.max_queued_bytes, 4096u);
    EXPECT_TRUE(c.server.debug_endpoints);
    EXPECT_EQ(c.log.level, "debug");
    const Config off = load_config(
        {"--server.debug_endpoints", "off", "--postgres.prepared_statements", "false"}, env).config;
    EXPECT_FALSE(off.server.debug_endpoints);
    EXPECT_FALSE(off.postgres.prepared_statements);
}

// DELTACAST_* variables that name no key (the secret itself, the file) are not errors.
TEST(ConfigTest, UnknownDeltacastVariablesAreIgnored) {
    const TempFile file(kPokeTopic);
    const Env env = with_secret({{"DELTACAST_CONFIG", file.path()},
                                 {"DELTACAST_NO_SUCH_KEY", "x"},
                                 {"DELTACAST_SERVER_NO_SUCH_KEY", "x"}});
    EXPECT_NO_THROW(load_config({}, env));
}
// An empty conninfo falls back to DATABASE_URL; an explicit one (file or env) wins.
TEST(ConfigTest, DatabaseUrlFallbackOnlyWhenConninfoUnset) {
    const std::string url = "postgresql://u@db.example:5432/app";
    const Config fallback =
        parse_config_toml(kPokeTopic, "t.toml", with_secret({{"DATABASE_URL", url}}));
    EXPECT_EQ(fallback.postgres.conninfo, url);
    const Config unset = parse_config_toml(kPokeTopic, "t.toml", kSecretEnv);
    EXPECT_EQ(unset.postgres.conninfo, "");

    const Config from_file = parse_config_toml("[postgres]\nconninfo = \"dbname=a\"\n" + kPokeTopic,
                                               "t.toml", with_secret({{"DATABASE_URL", url}}));
    EXPECT_EQ(from_file.postgres.conninfo, "dbname=a");
    const TempFile file(kPokeTopic);
    const Env env = with_secret({{"DELTACAST_CONFIG", file.path()},
                                 {"DATABASE_URL", url},
                                 {"DELTACAST_POSTGRES_CONNINFO", "dbname=b"}});
    EXPECT_EQ(load_config({}, env).config.postgres.conninfo, "dbname=b");
}

// --help / -h / --version ask the caller to print text and exit, whatever else is given.
TEST(ConfigTest, HelpAndVersion) {
    for (const std::string flag : {"--help", "-h"}) {
        const LoadResult r = load_config({"--no-such-flag", flag}, {});
        EXPECT_TRUE(r.show_help);
        EXPECT_EQ(r.help_text, help_text());
    }
    const std::string help = help_text();
    for (const std::string needle :
         {"Usage: deltacast", "--config FILE", "--fanout.window_ms=INT (1..1000)", "default: 16",
          "DELTACAST_FANOUT_WINDOW_MS", "DELTACAST_POSTGRES_CONNINFO", "--server.cors_origins",
          "--auth.access_cache_max_entries", "--log.level", "DATABASE_URL", "Example:"}) {
        EXPECT_NE(help.find(needle), std::string::npos) << needle;
    }
    const LoadResult v = load_config({"--version"}, {});
    EXPECT_TRUE(v.show_help);
    EXPECT_EQ(v.help_text, "deltacast 0.1.0\n");
}

// listen values split into host and port; anything but IPv4, localhost or [IPv6] is refused.
TEST(ConfigTest, ParseListenAddress) {
    const auto v4 = parse_listen_address("0.0.0.0:8080");
    ASSERT_TRUE(v4);
    EXPECT_EQ(v4->host, "0.0.0.0");
    EXPECT_EQ(v4->port, 8080);
    const auto v6 = parse_listen_address("[::1]:0");
    ASSERT_TRUE(v6);
    EXPECT_EQ(v6->host, "::1");
    EXPECT_EQ(v6->port, 0);
    EXPECT_EQ(parse_listen_address("localhost:65535")->port, 65535);
    for (const std::string bad :
         {"", ":80", "127.0.0.1", "127.0.0.1:", "127.0.0.1:x", "127.0.0.1:-1", "127.0.0.1:99999",
          "1.2.3:80", "::1:80", "[::1]", "[]:80", "host.example:80", "127.0.0.1:80 "}) {
        EXPECT_FALSE(parse_listen_address(bad)) << bad;
    }
}

// id_type spellings round-trip and nothing else parses.
TEST(ConfigTest, IdTypeSpellings) {
    for (const IdType t : {IdType::Bigint, IdType::Uuid, IdType::Text}) {
        EXPECT_EQ(parse_id_type(to_string(t)), t);
    }
    EXPECT_FALSE(parse_id_type("int"));
    EXPECT_FALSE(parse_id_type("BIGINT"));
}

} // namespace
} // namespace deltacast
