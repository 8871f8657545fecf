// Personal data at rest and in the logs, end to end: the real daemon (build/riskbridge serve)
// with store.encryption keyed from the environment and logging at debug level, the Ashby and
// RiskOS simulators in this process. One applicant with a distinctive name, email, phone and
// address goes through screening (applicationSubmit) and document verification (candidateHire,
// then the DocV capture); then the database files and the daemon's whole log are searched for
// any of it in clear.

#include <signal.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "riskbridge/config/loader.hpp"
#include "riskbridge/sim/ashby_sim.hpp"
#include "riskbridge/sim/riskos_sim.hpp"
#include "riskbridge/store/job_store.hpp"
#include "sim_daemon_fixture.hpp"
#include "support/bytes.hpp"
#include "support/daemon_process.hpp"
#include "support/paths.hpp"
#include "support/polling.hpp"
#include "unit/store/pg_scratch.hpp"

namespace riskbridge::testing {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

constexpr const char* webhook_token = "t-0123456789";
constexpr const char* candidate_id = "c0000000-0000-4000-8000-0000000000aa";
constexpr const char* application_id = "a0000000-0000-4000-8000-0000000000aa";

// The applicant, and every form in which their data could show up. "accept." makes the
// simulator accept both the screening and the DocV capture.
const std::vector<std::string> personal = {
    "Zebedee",        "Quillfeather",    "accept.zebedee.quill",
    "wobbleton.test", "+1 415 555 0177", "4155550177",
    "555 0177",       "5550177",         "Zanzibar Crescent",
    "Wobbleton",      "203.0.113.77"};

class PiiTest : public sim_daemon_fixture {
protected:
    PiiTest() : sim_daemon_fixture("pii") {}

    void SetUp() override {
        sim_daemon_fixture::SetUp();
        ASSERT_FALSE(HasFatalFailure());
        sim::candidate_seed c;
        c.id = candidate_id;
        c.name = "Zebedee Quillfeather";
        c.emails = {"accept.zebedee.quill@wobbleton.test"};
        c.phones = {"+1 415 555 0177"};
        c.city = "Wobbleton";
        c.region = "California";
        c.country = "United States";
        c.custom_fields = {{"cf-street-address", "Street Address", "\"77 Zanzibar Crescent\""},
                           {"cf-postal-code", "Postal Code", "\"94105\""}};
        ashby_.add_candidate(c);
        sim::application_seed a;
        a.id = application_id;
        a.candidate_id = candidate_id;
        a.submitter_client_ip = "203.0.113.77";
        a.form = {{"_systemfield_name", "Name", "String", "\"Zebedee Quillfeather\"", true, {}}};
        ashby_.add_application(a);

        write_config(webhook_token, "2026-11", "  request_timeout_ms: 60000\n",
                     "mapping:\n  custom_fields:\n"
                     "    - { ashby_field: \"Street Address\", riskos_field: address.line_1 }\n"
                     "    - { ashby_field: \"cf-postal-code\", riskos_field: "
                     "address.postal_code }\n");
    }

    std::string send(const std::string& action) {
        auto body = ashby_.webhook_body(action, application_id);
        EXPECT_TRUE(body.has_value());
        if (!body) {
            return {};
        }
        auto r = ashby_.send_webhook(
            "http://127.0.0.1:" + std::to_string(daemon_->port()) + "/webhooks/ashby", *body);
        EXPECT_TRUE(r.has_value());
        return r ? json::parse(r->body, nullptr, false).value("status", "") : std::string{};
    }

    bool has_tag(const std::string& tag) const {
        const auto tags = ashby_.tags_of(candidate_id);
        return std::find(tags.begin(), tags.end(), tag) != tags.end();
    }

    /// Screening (applicationSubmit), then document verification (candidateHire and the
    /// capture) for the applicant, through the running daemon; returns the DocV token.
    std::string screen_and_verify_documents() {
        std::string docv_token;
        run_flows(docv_token);
        return docv_token;
    }

    void run_flows(std::string& docv_token) {
        riskos_.set_webhook_target(
            "http://127.0.0.1:" + std::to_string(daemon_->port()) + "/webhooks/riskos",
            webhook_token);
        // Screening.
        ASSERT_EQ(send("applicationSubmit"), "accepted");
        ASSERT_TRUE(eventually([&] { return has_tag("LOW_RISK_IDENTITY"); })) << daemon_->logs();
        const auto screening_eval =
            riskos_.eval_id_for(std::string("rb-screening-") + application_id);
        ASSERT_TRUE(screening_eval.has_value());
        // The applicant's data did reach RiskOS: what the store must hide was really handled.
        const json screened = json::parse(riskos_.request_json(*screening_eval).value_or("{}"));
        EXPECT_EQ(screened["data"]["individual"]["family_name"], "Quillfeather");
        EXPECT_EQ(screened["data"]["individual"]["phone_number"], "+14155550177");
        EXPECT_EQ(screened["data"]["individual"]["address"]["line_1"], "77 Zanzibar Crescent");

        // Document verification: the hire starts it, the capture completes it.
        ASSERT_EQ(send("candidateHire"), "accepted");
        const std::string docv_request = std::string("rb-document_verification-") + application_id;
        ASSERT_TRUE(eventually([&] {
            const auto notes = ashby_.notes_of(candidate_id);
            return riskos_.eval_id_for(docv_request).has_value() &&
                   std::any_of(notes.begin(), notes.end(), [](const sim::sim_note& n) {
                       return contains(n.content, "document verification requested");
                   });
        })) << daemon_->logs();
        const std::string docv_eval = *riskos_.eval_id_for(docv_request);
        const json evaluation = json::parse(riskos_.evaluation_json(docv_eval).value_or("{}"));
        for (const auto& en : evaluation.value("data_enrichments", json::array())) {
            if (en.value("enrichment_provider", "") == "SocureDocRequest") {
                docv_token = en["response"]["data"].value("docvTransactionToken", "");
            }
        }
        ASSERT_FALSE(docv_token.empty());
        const auto sent = riskos_.run_docv(docv_eval);
        ASSERT_FALSE(sent.empty());
        for (const auto& d : sent) {
            EXPECT_TRUE(d.delivered()) << d.event_type << " " << d.error;
        }
        ASSERT_TRUE(eventually([&] { return has_tag("DOCUMENT_VERIFICATION_PASSED"); }))
            << daemon_->logs();
    }
};

TEST_F(PiiTest, ScreeningAndDocvLeaveNoPersonalDataInTheDatabaseOrTheDebugLog) {
    start_daemon();
    ASSERT_FALSE(HasFatalFailure());
    const std::string docv_token = screen_and_verify_documents();
    ASSERT_FALSE(HasFatalFailure());

    // While the daemon runs, the rows sit in the WAL.
    const std::string running = database_bytes();
    ASSERT_EQ(daemon_->terminate(15s), std::optional<int>(0)) << daemon_->logs();
    const std::string stopped = database_bytes();
    const std::string logs = daemon_->logs();

    ASSERT_FALSE(running.empty());
    ASSERT_FALSE(stopped.empty());
    for (const auto& needle : personal) {
        EXPECT_FALSE(contains(running, needle)) << needle << " in the database (running)";
        EXPECT_FALSE(contains(stopped, needle)) << needle << " in the database (stopped)";
        EXPECT_FALSE(contains(logs, needle)) << needle << " in the log";
    }
    // Nor the DocV token (it opens the capture session) or the document's data.
    for (const std::string& needle : {docv_token, std::string("verify.socure.com")}) {
        EXPECT_FALSE(contains(stopped, needle)) << needle << " in the database";
        EXPECT_FALSE(contains(logs, needle)) << needle << " in the log";
    }
    for (const char* needle : {"1990-01-01", "TST1234567"}) {
        EXPECT_FALSE(contains(stopped, needle)) << needle << " in the database";
        EXPECT_FALSE(contains(logs, needle)) << needle << " in the log";
    }

    // The log really was at debug level, and said the store is encrypted.
    EXPECT_TRUE(contains(logs, "\"level\":\"debug\"")) << logs;
    EXPECT_TRUE(contains(logs, "\"event\":\"store_encrypted\"")) << logs;
    EXPECT_FALSE(contains(logs, "store_unencrypted"));

    // With the key, the store gives the data back: it was there, encrypted.
    auto loaded = config::load_config(config_path_, [](std::string_view name) {
        return name == "RISKBRIDGE_DATA_KEY" ? std::optional<std::string>(data_key) : std::nullopt;
    });
    ASSERT_TRUE(loaded.ok());
    auto st = store::open_store(loaded.cfg.store, system_clock());
    ASSERT_TRUE(st.has_value()) << st.error().message;
    auto jobs = (*st)->list_jobs(std::nullopt, 100);
    (*st)->shutdown();
    ASSERT_TRUE(jobs.has_value());
    // ... and what is there is only what the flow cannot read again: ids and the submitter's
    // IP address, never the applicant's name, email or phone (the flow reads them from Ashby).
    bool screening_payload_read = false;
    for (const auto& j : *jobs) {
        EXPECT_NE(j.state, store::job_state::dead) << j.id << " " << j.kind << " " << j.last_error;
        if (j.kind == "screening") {
            screening_payload_read =
                contains(j.payload, application_id) && contains(j.payload, "203.0.113.77");
            EXPECT_FALSE(contains(j.payload, "Quillfeather")) << j.payload;
        }
    }
    EXPECT_TRUE(screening_payload_read);
    // And without the decorator the payloads are envelopes.
    auto raw = store::make_sqlite_store({db_path()}, system_clock());
    ASSERT_TRUE(raw.has_value());
    auto raw_jobs = (*raw)->list_jobs(std::nullopt, 100);
    (*raw)->shutdown();
    ASSERT_TRUE(raw_jobs.has_value());
    ASSERT_FALSE(raw_jobs->empty());
    for (const auto& j : *raw_jobs) {
        if (!j.payload.empty()) {
            EXPECT_EQ(j.payload.rfind("enc:v2:2026-11:", 0), 0U) << j.id << " " << j.kind;
        }
    }

    // The operations commands open the store with the same keyring and show no personal data.
    for (const auto& job : *jobs) {
        const auto shown = run_riskbridge(
            {"jobs", "show", "--config", config_path_, std::to_string(job.id)}, env());
        EXPECT_EQ(shown.exit_code, 0) << shown.output;
        for (const auto& needle : personal) {
            EXPECT_FALSE(contains(shown.output, needle)) << needle << "\n" << shown.output;
        }
    }
}

TEST_F(PiiTest, WithoutTheKeyOrWithoutEncryptionItRefusesAndAllowedUnencryptedItWarns) {
    // The key's variable unset: a configuration problem, not a silently clear store.
    auto refused = run_riskbridge({"serve", "--config", config_path_});
    EXPECT_EQ(refused.exit_code, 2) << refused.output;
    EXPECT_TRUE(contains(refused.output, "store.encryption.keys[0].key")) << refused.output;
    const auto wrong = run_riskbridge({"check-config", "--config", config_path_},
                                      {{"RISKBRIDGE_DATA_KEY", "dG9vIHNob3J0"}});
    EXPECT_NE(wrong.exit_code, 0);
    EXPECT_TRUE(contains(wrong.output, "store.encryption.keys[0].key: must be 32 bytes"))
        << wrong.output;
    EXPECT_FALSE(contains(wrong.output, "dG9vIHNob3J0"));
    const auto dump = run_riskbridge({"check-config", "--config", config_path_, "--dump"}, env());
    EXPECT_EQ(dump.exit_code, 0) << dump.output;
    EXPECT_TRUE(contains(dump.output, "key: \"<redacted>\"")) << dump.output;
    EXPECT_FALSE(contains(dump.output, data_key));

    // No store.encryption: refused, naming the key and how to make one.
    std::string text = file_bytes(config_path_);
    const auto at = text.find("  encryption:");
    ASSERT_NE(at, std::string::npos);
    text.erase(at, text.find('\n', at) - at + 1);
    std::ofstream(config_path_, std::ios::trunc) << text;
    const auto unkeyed = run_riskbridge({"check-config", "--config", config_path_}, env());
    EXPECT_NE(unkeyed.exit_code, 0) << unkeyed.output;
    EXPECT_TRUE(contains(unkeyed.output, config_path_ + ":"));
    EXPECT_TRUE(contains(unkeyed.output, "store.encryption: is required")) << unkeyed.output;
    EXPECT_TRUE(contains(unkeyed.output, "openssl rand -base64 32")) << unkeyed.output;
    daemon_ = std::make_unique<daemon_process>(
        std::vector<std::string>{"serve", "--config", config_path_},
        std::map<std::string, std::string>{}, dir_.file("refused.log"));
    EXPECT_EQ(daemon_->wait_exit(30s), std::optional<int>(2)) << daemon_->logs();
    EXPECT_TRUE(contains(daemon_->logs(), "store.encryption: is required")) << daemon_->logs();

    // Allowed explicitly: it runs, and says the store is not encrypted.
    const auto store_at = text.find("store:\n");
    ASSERT_NE(store_at, std::string::npos);
    text.insert(store_at + 7, "  allow_unencrypted: true\n");
    std::ofstream(config_path_, std::ios::trunc) << text;
    start_daemon("plain.log", std::map<std::string, std::string>{});
    ASSERT_FALSE(HasFatalFailure());
    EXPECT_TRUE(contains(daemon_->logs(), "\"event\":\"store_unencrypted\"")) << daemon_->logs();

    // Unencrypted, the store keeps less all the same: after screening, the database file holds
    // none of the applicant's name, email, phone or address, only the one value the flow may
    // not read back (the submitter's IP address, here in clear: the control that the search
    // sees clear text), and the log none of it.
    ASSERT_EQ(send("applicationSubmit"), "accepted");
    ASSERT_TRUE(eventually([&] { return has_tag("LOW_RISK_IDENTITY"); })) << daemon_->logs();
    ASSERT_EQ(daemon_->terminate(15s), std::optional<int>(0)) << daemon_->logs();
    const std::string plain = database_bytes();
    EXPECT_TRUE(contains(plain, "203.0.113.77"));
    for (const auto& needle : personal) {
        if (needle != "203.0.113.77") {
            EXPECT_FALSE(contains(plain, needle)) << needle << " in the unencrypted database";
        }
        EXPECT_FALSE(contains(daemon_->logs(), needle)) << needle << " in the log";
    }
}

TEST_F(PiiTest, OnPostgresqlNoTableHoldsPersonalDataAfterScreeningAndDocv) {
    const auto admin_url = store::testing::postgres_test_url();
    if (!admin_url) {
        GTEST_SKIP() << "RISKBRIDGE_TEST_POSTGRES_URL is not set (./scripts/with-postgres.sh CMD "
                        "runs CMD with a private cluster)";
    }
    store::testing::pg_scratch_schema schema(*admin_url, "rb_pii");
    ASSERT_TRUE(schema.ok()) << schema.error();
    std::string text = file_bytes(config_path_);
    const auto at = text.find("  sqlite_path:");
    ASSERT_NE(at, std::string::npos);
    text.replace(at, text.find('\n', at) - at, "  postgres_url: \"${RB_PII_PG_URL}\"");
    std::ofstream(config_path_, std::ios::trunc) << text;
    auto with_pg = env();
    with_pg["RB_PII_PG_URL"] = schema.url();
    start_daemon("pg.log", with_pg);
    ASSERT_FALSE(HasFatalFailure());
    const std::string docv_token = screen_and_verify_documents();
    ASSERT_FALSE(HasFatalFailure());
    ASSERT_EQ(daemon_->terminate(15s), std::optional<int>(0)) << daemon_->logs();

    // Every row of every table, as text.
    store::testing::pg_raw raw(schema.url());
    ASSERT_TRUE(raw.ok()) << raw.error();
    std::string rows;
    for (const char* table :
         {"jobs", "deliveries", "job_attempts", "evaluations", "quarantine", "audit"}) {
        const auto all =
            raw.column(std::string("SELECT row_to_json(t)::text FROM ") + table + " t");
        ASSERT_TRUE(raw.error().empty()) << table << ": " << raw.error();
        for (const auto& row : all) {
            rows += row + "\n";
        }
    }
    ASSERT_TRUE(contains(rows, application_id)) << "the control: the rows were read";
    for (const auto& needle : personal) {
        EXPECT_FALSE(contains(rows, needle)) << needle << " in PostgreSQL";
    }
    for (const std::string& needle : {docv_token, std::string("verify.socure.com")}) {
        EXPECT_FALSE(contains(rows, needle)) << needle << " in PostgreSQL";
    }
}

}  // namespace
}  // namespace riskbridge::testing
