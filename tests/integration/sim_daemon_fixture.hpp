#pragma once

// The fixture of the suites that run the real daemon (build/riskbridge serve) against the
// Ashby and RiskOS simulators in this process, with an SQLite store encrypted under a key from
// the environment, logging at debug level: SetUp starts the simulators, a suite seeds them and
// writes the configuration (write_config), a test starts the daemon (start_daemon).

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include <gtest/gtest.h>

#include "riskbridge/sim/ashby_sim.hpp"
#include "riskbridge/sim/riskos_sim.hpp"
#include "support/bytes.hpp"
#include "support/daemon_process.hpp"
#include "support/paths.hpp"

namespace riskbridge::testing {

class sim_daemon_fixture : public ::testing::Test {
protected:
    static constexpr const char* data_key = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

    explicit sim_daemon_fixture(std::string name) : name_(std::move(name)) {}

    void SetUp() override {
        ASSERT_TRUE(ashby_.start());
        ASSERT_TRUE(riskos_.start());
    }

    void TearDown() override {
        if (daemon_ && daemon_->running()) {
            EXPECT_EQ(daemon_->terminate(std::chrono::seconds(15)), std::optional<int>(0));
        }
        ashby_.stop();
        riskos_.stop();
    }

    /// Writes <name>.yaml: both simulators, RiskOS webhooks with `webhook_token`, the store
    /// (encrypted under "${RISKBRIDGE_DATA_KEY}" with `key_id`), fast retries, debug log.
    /// `per_api` goes into both the ashby and riskos sections (e.g. a request timeout),
    /// `extra` before the store section (more top-level sections).
    void write_config(const std::string& webhook_token, const std::string& key_id,
                      const std::string& per_api = {}, const std::string& extra = {}) {
        config_path_ = dir_.file(name_ + ".yaml");
        std::ofstream(config_path_)
            << "server: { listen: \"127.0.0.1:0\", threads: 2 }\n"
            << "ashby:\n  api_base_url: \"" << ashby_.base_url() << "\"\n  api_key: \""
            << ashby_.options().api_key << "\"\n  webhook_secrets: [\""
            << ashby_.options().webhook_secret << "\"]\n"
            << per_api << "riskos:\n  api_base_url: \"" << riskos_.base_url() << "\"\n  api_key: \""
            << riskos_.options().api_key << "\"\n"
            << per_api << "  webhook_auth: { bearer_tokens: [\"" << webhook_token << "\"] }\n"
            << extra << "store:\n  sqlite_path: \"" << db_path() << "\"\n"
            << "  encryption: { keys: [{ id: \"" << key_id
            << "\", key: \"${RISKBRIDGE_DATA_KEY}\" }] }\n"
            << "workers: { threads: 2, max_attempts: 40, backoff_base_ms: 50, "
               "backoff_max_ms: 200, poll_interval_ms: 50 }\n"
            << "logging: { level: debug, format: json }\n";
    }

    /// Starts `serve` on the configuration, with `env` (default: the data key), logging to
    /// `log`; fails the test unless it gets ready.
    void start_daemon(const std::string& log = "daemon.log",
                      std::optional<std::map<std::string, std::string>> with_env = {}) {
        daemon_ = std::make_unique<daemon_process>(
            std::vector<std::string>{"serve", "--config", config_path_}, with_env.value_or(env()),
            dir_.file(log));
        ASSERT_TRUE(daemon_->wait_ready()) << daemon_->logs();
    }

    std::string db_path() const { return dir_.file(name_ + ".db"); }
    std::map<std::string, std::string> env() const { return {{"RISKBRIDGE_DATA_KEY", data_key}}; }
    std::string daemon_url(const std::string& path) const {
        return "http://127.0.0.1:" + std::to_string(daemon_->port()) + path;
    }

    /// The database file and whatever SQLite keeps beside it, as raw bytes.
    std::string database_bytes() const {
        std::string all;
        for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
            if (std::filesystem::exists(db_path() + suffix)) {
                all += file_bytes(db_path() + suffix);
            }
        }
        return all;
    }

    std::string name_;
    temp_dir dir_;
    sim::ashby_simulator ashby_;
    sim::riskos_simulator riskos_;
    std::string config_path_;
    std::unique_ptr<daemon_process> daemon_;
};

}  // namespace riskbridge::testing
