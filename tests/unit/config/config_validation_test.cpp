#include "config/config.hpp"

#include "config_test_support.hpp"

#include <gtest/gtest.h>

namespace deltacast {
namespace {

using namespace config_test;

struct InvalidCase {
    std::string toml;
    std::string key;
};

const std::vector<InvalidCase> &invalid_cases() {
    static const std::vector<InvalidCase> cases = {
        {"[server]\nlisten = \"127.0.0.1\"\n" + kPokeTopic, "server.listen"},
        {"[server]\nlisten = \"example.com:80\"\n" + kPokeTopic, "server.listen"},
        {"[server]\nlisten = \"127.0.0.1:65536\"\n" + kPokeTopic, "server.listen"},
        {"[server]\nlisten = \"[::zz]:80\"\n" + kPokeTopic, "server.listen"},
        {"[server]\nlisten = 8080\n" + kPokeTopic, "server.listen"},
        {"[server]\nheartbeat_s = 0\n" + kPokeTopic, "server.heartbeat_s"},
        {"[server]\nheartbeat_s = 3601\n" + kPokeTopic, "server.heartbeat_s"},
        {"[server]\nmax_connections = 0\n" + kPokeTopic, "server.max_connections"},
        {"[server]\nmax_topics_per_connection = -1\n" + kPokeTopic,
         "server.max_topics_per_connection"},
        {"[server]\nmax_queued_bytes = 0\n" + kPokeTopic, "server.max_queued_bytes"},
        {"[server]\ncors_origins = [\"http://a.example/\"]\n" + kPokeTopic, "server.cors_origins"},
        {"[server]\ncors_origins = \"http://a.example\"\n" + kPokeTopic, "server.cors_origins"},
        {"[server]\ndebug_endpoints = \"yes\"\n" + kPokeTopic, "server.debug_endpoints"},
        {"[server]\nlisen = \"127.0.0.1:1\"\n" + kPokeTopic, "server.lisen"},
        {"[sever]\nlisten = \"127.0.0.1:1\"\n" + kPokeTopic, "sever"},
        {"[fanout]\nwindow_ms = 0\n" + kPokeTopic, "fanout.window_ms"},
        {"[fanout]\nwindow_ms = 1001\n" + kPokeTopic, "fanout.window_ms"},
        {"[fanout]\nwindow_ms = 16.0\n" + kPokeTopic, "fanout.window_ms"},
        {"[fanout]\nbrotli_quality = 12\n" + kPokeTopic, "fanout.brotli_quality"},
        {"[fanout]\nbrotli_lgwin = 9\n" + kPokeTopic, "fanout.brotli_lgwin"},
        {"[fanout]\ngzip_level = 0\n" + kPokeTopic, "fanout.gzip_level"},
        {"[fanout]\ngzip_window_bits = 16\n" + kPokeTopic, "fanout.gzip_window_bits"},
        {"[fanout]\ngzip_mem_level = 10\n" + kPokeTopic, "fanout.gzip_mem_level"},
        {"[fanout]\ncompression = [\"br\", \"deflate\"]\n" + kPokeTopic, "fanout.compression"},
        {"[fanout]\ncompression = [\"zstd\", \"zstd\"]\n" + kPokeTopic, "fanout.compression"},
        {"[fanout]\nzstd_window_log = 24\n" + kPokeTopic, "fanout.zstd_window_log"},
        {"[fanout]\nzstd_window_log = 9\n" + kPokeTopic, "fanout.zstd_window_log"},
        {"[fanout]\nzstd_level = 23\n" + kPokeTopic, "fanout.zstd_level"},
        {"[fanout]\nzstd_level = -8\n" + kPokeTopic, "fanout.zstd_level"},
        {"[fanout]\nzstd_hash_log = 5\n" + kPokeTopic, "fanout.zstd_hash_log"},
        {"[fanout]\nzstd_chain_log = 25\n" + kPokeTopic, "fanout.zstd_chain_log"},
        {"[fanout]\ncompression = [\"br\", \"br\"]\n" + kPokeTopic, "fanout.compression"},
        {"[postgres]\nquery_connections = 65\n" + kPokeTopic, "postgres.query_connections"},
        {"[postgres]\nquery_connections = 0\n" + kPokeTopic, "postgres.query_connections"},
        {"[postgres]\nreconnect_min_ms = 500\nreconnect_max_ms = 100\n" + kPokeTopic,
         "postgres.reconnect_max_ms"},
        {"[postgres]\nchannel_prefix = \"\"\n" + kPokeTopic, "postgres.channel_prefix"},
        {"[auth]\nmode = \"basic\"\n" + kPokeTopic, "auth.mode"},
        {"[auth]\njwt_secret = \"x\"\n" + kPokeTopic, "auth.jwt_secret"},
        {"[auth]\ncookie = \"a b\"\n" + kPokeTopic, "auth.cookie"},
        {"[log]\nlevel = \"verbose\"\n" + kPokeTopic, "log.level"},
        {"[server]\nlisten = \"127.0.0.1:1\"\n", "topics"},
        {"[topics.Chat]\nmode = \"poke\"\n", "topics.Chat"},
        {"[topics.a234567890123456789012345678901x]\nmode = \"poke\"\n",
         "topics.a234567890123456789012345678901x"},
        {"[topics.org]\nmode = \"push\"\n", "topics.org.mode"},
        {"[topics.org]\nmode = \"poke\"\nid_type = \"int\"\n", "topics.org.id_type"},
        {"[topics.org]\nmode = \"poke\"\nacess = \"claim:org\"\n", "topics.org.acess"},
        {"[topics.org]\nmode = \"poke\"\naccess = \"role:admin\"\n", "topics.org.access"},
        {"[topics.org]\nmode = \"poke\"\naccess = \"claim:\"\n", "topics.org.access"},
        {"[topics.org]\nmode = \"poke\"\naccess = \"sql:  \"\n", "topics.org.access"},
        {"[topics.org]\nmode = \"poke\"\n[[topics.org.entities]]\n" + kEntityOk,
         "topics.org.entities"},
        {"[topics.chat]\nid_type = \"bigint\"\n", "topics.chat.entities"},
        {kChatHead + "name = \"Msg\"\nids_key = \"msgIds\"\n", "topics.chat.entities[0].query"},
        {kChatHead + "name = \"Msg\"\nids_key = \"k\"\nquery = \"SELECT $10\"\n",
         "topics.chat.entities[0].query"},
        {kChatHead + "name = \"\"\nids_key = \"k\"\nquery = \"SELECT $1\"\n",
         "topics.chat.entities[0].name"},
        {kChatHead + "ids_key = \"k\"\nquery = \"SELECT $1\"\n", "topics.chat.entities[0].name"},
        {kChatHead + "name = \"M\"\nquery = \"SELECT $1\"\n", "topics.chat.entities[0].ids_key"},
        {kChatHead + kEntityOk + "id_type = \"int\"\n", "topics.chat.entities[0].id_type"},
        {kChatHead + kEntityOk + "id_field = \"\"\n", "topics.chat.entities[0].id_field"},
        {kChatHead + kEntityOk + "snapshot = \"SELECT 1\"\n", "topics.chat.entities[0].snapshot"},
        {kChatHead + kEntityOk + "colour = \"red\"\n", "topics.chat.entities[0].colour"},
        {kChatHead + kEntityOk + "[[topics.chat.entities]]\n" + kEntityOk,
         "topics.chat.entities[1].name"},
        {kChatHead + kEntityOk +
             "[[topics.chat.entities]]\nname = \"Other\"\n"
             "ids_key = \"msgIds\"\nquery = \"SELECT $1\"\n",
         "topics.chat.entities[1].ids_key"},
        {"[server\nlisten = 1\n", "broken.toml"},
    };
    return cases;
}

// Every invalid setting is rejected with a ConfigError whose key() names that setting.
TEST(ConfigValidationTest, InvalidSettingsNameTheirKey) {
    for (const auto &c : invalid_cases()) {
        SCOPED_TRACE(c.toml);
        expect_config_error([&] { parse_config_toml(c.toml, "broken.toml", kSecretEnv); }, c.key);
    }
}

// The error text carries the key, so an operator sees which setting to fix.
TEST(ConfigValidationTest, ErrorMessageStartsWithKey) {
    const std::string what = expect_config_error(
        [] { parse_config_toml("[fanout]\nwindow_ms = 0\n" + kPokeTopic, "t.toml", kSecretEnv); },
        "fanout.window_ms");
    EXPECT_EQ(what, "fanout.window_ms: must be between 1 and 1000");
}

// Values from the environment and flags are validated like file values, naming the key.
TEST(ConfigValidationTest, InvalidEnvironmentAndFlagValuesNameTheirKey) {
    const TempFile file(kPokeTopic);
    const Env env = with_secret({{"DELTACAST_CONFIG", file.path()}});
    expect_config_error([&] { load_config({"--fanout.window_ms=abc"}, env); }, "fanout.window_ms");
    expect_config_error([&] { load_config({"--fanout.window_ms=8ms"}, env); }, "fanout.window_ms");
    expect_config_error([&] { load_config({"--server.debug_endpoints=maybe"}, env); },
                        "server.debug_endpoints");
    Env bad = env;
    bad["DELTACAST_FANOUT_COMPRESSION"] = "br,deflate";
    expect_config_error([&] { load_config({}, bad); }, "fanout.compression");
    bad = env;
    bad["DELTACAST_POSTGRES_QUERY_CONNECTIONS"] = "100";
    expect_config_error([&] { load_config({}, bad); }, "postgres.query_connections");
}

// A mistyped or unknown flag is an error, never silently ignored.
TEST(ConfigValidationTest, UnknownOrMalformedFlagsAreRejected) {
    const TempFile file(kPokeTopic);
    const Env env = with_secret({{"DELTACAST_CONFIG", file.path()}});
    expect_config_error([&] { load_config({"--fanout.windw_ms=8"}, env); }, "--fanout.windw_ms");
    expect_config_error([&] { load_config({"--topics.chat.mode=poke"}, env); },
                        "--topics.chat.mode");
    expect_config_error([&] { load_config({"--auth.jwt_secret=x"}, env); }, "--auth.jwt_secret");
    expect_config_error([&] { load_config({"deltacast.toml"}, env); }, "deltacast.toml");
    expect_config_error([&] { load_config({"--fanout.window_ms"}, env); }, "--fanout.window_ms");
    expect_config_error([&] { load_config({"--config"}, env); }, "--config");
}

// A --config file that cannot be read is named as such, not reported as "no topics".
TEST(ConfigValidationTest, MissingConfigFileNamesTheFlag) {
    const std::string missing = "/nonexistent/deltacast-missing.toml";
    const std::string what = expect_config_error(
        [&] {
            load_config({"--config", missing}, kSecretEnv);
        },
        "--config");
    EXPECT_NE(what.find(missing), std::string::npos);
    expect_config_error([&] { load_config({"--config", "/tmp"}, kSecretEnv); }, "--config");
    expect_config_error(
        [&] {
            load_config({}, with_secret({{"DELTACAST_CONFIG", missing}}));
        },
        "DELTACAST_CONFIG");
}

// JWT mode refuses to start without a key, naming the variable it looked for.
TEST(ConfigValidationTest, JwtModeRequiresSecretOrPublicKey) {
    const std::string what = expect_config_error(
        [] { parse_config_toml(kPokeTopic, "t.toml", {}); }, "auth.jwt_secret_env");
    EXPECT_EQ(what, "auth.jwt_secret_env: environment variable DELTACAST_JWT_SECRET is not set");
    expect_config_error(
        [] {
            parse_config_toml("[auth]\njwt_secret_env = \"MY_KEY\"\n" + kPokeTopic, "t",
                              kSecretEnv);
        },
        "auth.jwt_secret_env");
    const Config other = parse_config_toml("[auth]\njwt_secret_env = \"MY_KEY\"\n" + kPokeTopic,
                                           "t", {{"MY_KEY", "k"}});
    EXPECT_EQ(other.auth.jwt_secret, "k");
    const Config none =
        parse_config_toml("[auth]\nmode = \"none\"\n" + kPokeTopic, "t", kSecretEnv);
    EXPECT_TRUE(none.auth.jwt_secret.empty());
}

// The RS256 public key file is read at load time; an unreadable one is a named error.
TEST(ConfigValidationTest, PublicKeyFileIsReadOrRejected) {
    const std::string pem = "-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----\n";
    const TempFile key(pem);
    const Config c = parse_config_toml(
        "[auth]\njwt_public_key_file = \"" + key.path() + "\"\n" + kPokeTopic, "t", {});
    EXPECT_EQ(c.auth.jwt_public_key_pem, pem);
    EXPECT_TRUE(c.auth.jwt_secret.empty());
    expect_config_error(
        [] {
            parse_config_toml("[auth]\njwt_public_key_file = \"/nonexistent.pem\"\n" + kPokeTopic,
                              "t", kSecretEnv);
        },
        "auth.jwt_public_key_file");
    const TempFile not_pem("hello");
    expect_config_error(
        [&] {
            parse_config_toml("[auth]\njwt_public_key_file = \"" + not_pem.path() + "\"\n" +
                                  kPokeTopic,
                              "t", kSecretEnv);
        },
        "auth.jwt_public_key_file");
}

// The JWT secret never appears in an error, even when it is misplaced into another setting.
TEST(ConfigValidationTest, SecretNeverAppearsInErrors) {
    for (const auto &c : invalid_cases()) {
        try {
            parse_config_toml(c.toml, "broken.toml", kSecretEnv);
        } catch (const ConfigError &e) {
            EXPECT_EQ(std::string(e.what()).find(kSecret), std::string::npos) << e.what();
        }
    }
    const TempFile file(kPokeTopic);
    const Env env = with_secret({{"DELTACAST_CONFIG", file.path()}});
    const std::vector<std::vector<std::string>> arg_sets = {
        {"--fanout.window_ms=" + kSecret},
        {"--server.listen", kSecret},
        {"--log.level=" + kSecret},
        {"--auth.mode=" + kSecret},
        {"--fanout.compression=" + kSecret},
        {"--server.cors_origins=" + kSecret},
        {"--auth.cookie=" + kSecret + ";"},
        {"--server.debug_endpoints=" + kSecret},
        {"--auth.jwt_secret_env=" + kSecret + "-"}};
    for (const auto &args : arg_sets) {
        const std::string what = expect_config_error_any(args, env);
        EXPECT_FALSE(what.empty());
        EXPECT_EQ(what.find(kSecret), std::string::npos) << what;
    }
}

} // namespace
} // namespace deltacast
