#pragma once
// Shared by the config unit tests: a secret to hunt for, small TOML fragments, temp files.

#include "config/config.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <unistd.h>

namespace deltacast::config_test {

using Env = std::map<std::string, std::string>;

inline const std::string kSecret = "s3cr3t-Value-That-Must-Not-Leak";
inline const Env kSecretEnv = {{"DELTACAST_JWT_SECRET", kSecret}};

// The smallest valid topics section, appended to documents that test other sections.
inline const std::string kPokeTopic = "[topics.org]\nmode = \"poke\"\n";

inline const std::string kChatHead = "[topics.chat]\n[[topics.chat.entities]]\n";
inline const std::string kEntityOk = "name = \"Msg\"\nids_key = \"msgIds\"\n"
                              "query = \"SELECT to_jsonb(m) FROM m WHERE id = ANY($1)\"\n";

/// A file in the temp directory that is removed when the test ends.
class TempFile {
public:
    explicit TempFile(const std::string &content) {
        static std::atomic<int> counter{0};
        path_ = (std::filesystem::temp_directory_path() /
                 ("deltacast_config_test_" + std::to_string(getpid()) + "_" +
                  std::to_string(counter++) + ".toml"))
                    .string();
        std::ofstream(path_) << content;
    }
    ~TempFile() {
        std::error_code ignored;
        std::filesystem::remove(path_, ignored);
    }
    TempFile(const TempFile &) = delete;
    TempFile &operator=(const TempFile &) = delete;
    const std::string &path() const { return path_; }

private:
    std::string path_;
};

// Runs `fn`, expects a ConfigError naming `key`, and returns its message.
template <class Fn> std::string expect_config_error(Fn fn, const std::string &key) {
    try {
        fn();
    } catch (const ConfigError &e) {
        EXPECT_EQ(e.key(), key) << e.what();
        return e.what();
    }
    ADD_FAILURE() << "no ConfigError, expected key " << key;
    return {};
}

// Runs load_config, expects some ConfigError, and returns its message.
inline std::string expect_config_error_any(const std::vector<std::string> &args, const Env &env) {
    try {
        load_config(args, env);
    } catch (const ConfigError &e) {
        return e.what();
    }
    ADD_FAILURE() << "no ConfigError";
    return {};
}

inline Env with_secret(Env env) {
    env.emplace("DELTACAST_JWT_SECRET", kSecret);
    return env;
}

} // namespace deltacast::config_test
