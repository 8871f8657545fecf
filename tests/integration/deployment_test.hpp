#pragma once

// The fixture the end-to-end suites share: one deployment under test. The Ashby and RiskOS
// simulators run in this process on loopback, the real daemon (build/riskbridge serve) runs as
// a child process configured against them, and when the test ends the fixture stops the
// daemons it started and checks that none of their logs holds the applicants' personal data.
//
// A suite derives from it, picks its configuration in a `deployment_options` and adds the
// helpers of its own flow.

#include <chrono>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "flow_outcomes.hpp"
#include "riskbridge/config/loader.hpp"
#include "riskbridge/core/clock.hpp"
#include "riskbridge/sim/ashby_sim.hpp"
#include "riskbridge/sim/riskos_sim.hpp"
#include "riskbridge/sim/sample_data.hpp"
#include "riskbridge/store/job_store.hpp"
#include "support/daemon_config.hpp"
#include "support/daemon_process.hpp"
#include "support/http_client.hpp"
#include "support/paths.hpp"
#include "support/personal_data.hpp"

namespace riskbridge::testing {

/// What a suite sets in the daemon's configuration; the rest points at the simulators.
struct deployment_options {
    std::string ashby_api_key;  ///< empty: the simulator's own key
    int request_timeout_ms = 60000;
    std::string ashby_extra;   ///< more `ashby:` keys, one "  key: value\n" line each
    std::string riskos_extra;  ///< more `riskos:` keys, likewise
    /// mapping.custom_fields for the sample applicants' street and postal code.
    bool sample_address_fields = false;
    std::string workers =
        "{ threads: 2, max_attempts: 40, backoff_base_ms: 50, backoff_max_ms: 200, "
        "poll_interval_ms: 50 }";
    std::string sections;  ///< more top-level sections
};

class deployment_test : public ::testing::Test {
protected:
    explicit deployment_test(sim::ashby_sim_options ashby = {}, sim::riskos_sim_options riskos = {})
        : ashby_(std::move(ashby)), riskos_(std::move(riskos)) {}

    void SetUp() override {
        ASSERT_TRUE(ashby_.start());
        ASSERT_TRUE(riskos_.start());
    }

    void TearDown() override {
        using namespace std::chrono_literals;
        if (daemon_ && daemon_->running()) {
            EXPECT_EQ(daemon_->terminate(20s), std::optional<int>(0)) << daemon_->logs();
        }
        // Nothing personal reaches a log: names, emails, phones, streets, IPs, and what a
        // suite adds (a document's data, a capture link).
        auto needles = outcomes::personal_needles(samples_);
        const auto generated = outcomes::personal_needles(applicants_);
        needles.insert(needles.end(), generated.begin(), generated.end());
        needles.insert(needles.end(), extra_needles_.begin(), extra_needles_.end());
        needles.push_back("example.com");
        for (const auto* d : {daemon_.get(), first_.get()}) {
            if (d != nullptr) {
                expect_no_personal_data(d->logs(), needles, "the daemon log");
            }
        }
        ashby_.stop();
        riskos_.stop();
    }

    /// The simulator's sample applicants (sim::seed_sample_data), kept for sample().
    void seed_samples() { samples_ = sim::seed_sample_data(ashby_); }

    /// `count` made-up applicants (outcomes::seed_applicants), remembered for the log check.
    std::vector<outcomes::applicant> seed(int count, int series, bool with_docv = false) {
        auto added = outcomes::seed_applicants(ashby_, count, series, with_docv);
        applicants_.insert(applicants_.end(), added.begin(), added.end());
        return added;
    }

    /// Writes `<suite>.yaml` against the simulators, with the store in `<suite>.db`.
    void configure(const std::string& suite, const deployment_options& o) {
        suite_ = suite;
        config_path_ = dir_.file(suite + ".yaml");
        const std::string ashby_key =
            o.ashby_api_key.empty() ? ashby_.options().api_key : o.ashby_api_key;
        std::ofstream out(config_path_);
        out << "server: { listen: \"127.0.0.1:0\", threads: 2 }\n"
            << "ashby:\n  api_base_url: \"" << ashby_.base_url() << "\"\n  api_key: \"" << ashby_key
            << "\"\n  webhook_secrets: [\"" << ashby_.options().webhook_secret
            << "\"]\n  request_timeout_ms: " << o.request_timeout_ms << "\n"
            << o.ashby_extra << "riskos:\n  api_base_url: \"" << riskos_.base_url()
            << "\"\n  api_key: \"" << riskos_.options().api_key
            << "\"\n  request_timeout_ms: " << o.request_timeout_ms << "\n"
            << "  webhook_auth: { bearer_tokens: [\"" << riskos_token_ << "\"] }\n"
            << o.riskos_extra;
        if (o.sample_address_fields) {
            out << "mapping:\n  custom_fields:\n"
                << "    - { ashby_field: \"Street Address\", riskos_field: address.line_1 }\n"
                << "    - { ashby_field: \"" << sim::sample_postal_field_id
                << "\", riskos_field: address.postal_code }\n";
        }
        out << "store: " << with_throwaway_encryption("{ sqlite_path: \"" + db_path() + "\" }")
            << "\n"
            << "workers: " << o.workers << "\n"
            << "logging: { level: info, format: json }\n"
            << o.sections;
    }

    std::string db_path() const { return dir_.file(suite_ + ".db"); }

    /// A daemon on the configuration, ready; its log in `log_name`.
    std::unique_ptr<daemon_process> start_daemon(const std::string& log_name = "daemon.log") {
        auto d = std::make_unique<daemon_process>(
            std::vector<std::string>{"serve", "--config", config_path_},
            std::map<std::string, std::string>{}, dir_.file(log_name));
        EXPECT_TRUE(d->wait_ready()) << d->logs();
        return d;
    }

    /// Starts daemon_; with `riskos_calls_back`, the RiskOS simulator sends its webhooks to it.
    void start(bool riskos_calls_back = false) {
        daemon_ = start_daemon();
        ASSERT_TRUE(daemon_->running());
        if (riskos_calls_back) {
            riskos_.set_webhook_target(url(*daemon_, "/webhooks/riskos"), riskos_token_);
        }
    }

    static std::string url(const daemon_process& d, const std::string& path) {
        return "http://127.0.0.1:" + std::to_string(d.port()) + path;
    }

    /// Sends a signed Ashby webhook to `d` (daemon_ when null).
    clients::upstream_result<clients::http_response> send_ashby(const std::string& body,
                                                                const daemon_process* d = nullptr) {
        return ashby_.send_webhook(url(d != nullptr ? *d : *daemon_, "/webhooks/ashby"), body);
    }

    /// Sends the signed `action` webhook of an application; the daemon's JSON answer, which
    /// must come with 200.
    nlohmann::json send_action(const std::string& action, const std::string& application_id,
                               const daemon_process* d = nullptr) {
        const auto body = ashby_.webhook_body(action, application_id);
        EXPECT_TRUE(body.has_value()) << application_id;
        return body ? accepted_answer(*body, d) : nlohmann::json{};
    }

    /// Sends a signed Ashby webhook that must be answered 200; the daemon's JSON answer.
    nlohmann::json accepted_answer(const std::string& body, const daemon_process* d = nullptr) {
        const auto r = send_ashby(body, d);
        EXPECT_TRUE(r.has_value());
        if (!r) {
            return {};
        }
        EXPECT_EQ(r->status, 200) << r->body;
        return nlohmann::json::parse(r->body, nullptr, false);
    }

    const sim::sample_applicant& sample(const std::string& label) const {
        for (const auto& s : samples_) {
            if (s.label == label) {
                return s;
            }
        }
        throw std::runtime_error("no sample " + label);
    }

    std::vector<sim::sim_note> notes_of(const std::string& label) const {
        return ashby_.notes_of(sample(label).candidate_id);
    }
    std::vector<std::string> tags_of(const std::string& label) const {
        return ashby_.tags_of(sample(label).candidate_id);
    }

    /// The daemon's store opened as the daemon opens it, with its configuration's keys:
    /// payloads and checkpoints read in clear, and what is written goes in encrypted.
    std::unique_ptr<store::job_store> open_daemon_store() {
        auto loaded = config::load_config(config_path_);
        EXPECT_TRUE(loaded.ok()) << (loaded.ok() ? "" : config::format_problem(loaded.problems[0]));
        auto st = store::open_store(loaded.cfg.store, system_clock());
        EXPECT_TRUE(st.has_value()) << (st ? "" : st.error().message);
        return st ? std::move(st).value() : nullptr;
    }

    /// Every job of the store, read beside the running daemon (WAL) or after it stopped.
    std::vector<store::job> stored_jobs(std::size_t limit = 100'000) {
        auto st = open_daemon_store();
        if (!st) {
            return {};
        }
        auto list = st->list_jobs(std::nullopt, limit);
        st->shutdown();
        return list ? *list : std::vector<store::job>{};
    }

    temp_dir dir_;
    sim::ashby_simulator ashby_;
    sim::riskos_simulator riskos_;
    std::string riskos_token_ = "t-0123456789";  ///< the Bearer token RiskOS webhooks carry
    std::vector<sim::sample_applicant> samples_;
    std::vector<outcomes::applicant> applicants_;
    std::vector<std::string> extra_needles_;  ///< more personal data the logs must not hold
    std::string suite_ = "deployment";
    std::string config_path_;
    std::unique_ptr<daemon_process> first_;  ///< a daemon a test stops or kills itself
    std::unique_ptr<daemon_process> daemon_;
};

}  // namespace riskbridge::testing
