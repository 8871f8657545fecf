// `riskbridge jobs list|show|retry` against a store file prepared through the store API.

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "riskbridge/store/job_store.hpp"
#include "support/daemon_config.hpp"
#include "support/daemon_process.hpp"
#include "support/paths.hpp"

namespace riskbridge::testing {
namespace {

using namespace std::chrono_literals;

class JobsCli : public ::testing::Test {
protected:
    void SetUp() override {
        db_ = dir_.file("jobs.db");
        auto st = store::make_sqlite_store({db_}, system_clock());
        ASSERT_TRUE(st.has_value()) << st.error().message;
        auto& s = **st;
        store::new_job j{"screening", R"({"name":"Grace Hopper","email":"grace@example.com"})",
                         "ashby:act-1:applicationSubmit", "screening:app-1"};
        auto id = s.add_job(j, system_clock().now());
        ASSERT_TRUE(id);
        dead_id_ = *id;
        auto claimed = s.claim("cli-test", system_clock().now(), 60s);
        ASSERT_TRUE(claimed && claimed->has_value());
        ASSERT_TRUE(s.mark_dead(dead_id_, "cli-test", "ashby 403 missing_endpoint_permission"));
        auto other =
            s.add_job({"screening", "{}", "ashby:act-2:applicationSubmit", "screening:app-2"},
                      system_clock().now() + 1h);
        ASSERT_TRUE(other);
        queued_id_ = *other;
        s.shutdown();
    }

    temp_dir dir_;
    std::string db_;
    store::job_id dead_id_ = 0, queued_id_ = 0;
};

TEST_F(JobsCli, ListFiltersByStateAndShowsNoPayload) {
    auto all = run_riskbridge({"jobs", "list", "--db", db_});
    ASSERT_EQ(all.exit_code, 0) << all.output;
    EXPECT_NE(all.output.find("2 job(s)"), std::string::npos) << all.output;
    auto dead = run_riskbridge({"jobs", "list", "--db", db_, "--state", "dead"});
    ASSERT_EQ(dead.exit_code, 0);
    EXPECT_NE(dead.output.find("1 job(s)"), std::string::npos) << dead.output;
    EXPECT_NE(dead.output.find("missing_endpoint_permission"), std::string::npos);
    auto bad = run_riskbridge({"jobs", "list", "--db", db_, "--state", "zombie"});
    EXPECT_NE(bad.exit_code, 0);
    for (const auto* out : {&all.output, &dead.output}) {
        EXPECT_EQ(out->find("Grace"), std::string::npos);
        EXPECT_EQ(out->find("grace@example.com"), std::string::npos);
    }
}

TEST_F(JobsCli, ShowPrintsHistoryAndLastErrorWithoutPersonalData) {
    auto r = run_riskbridge({"jobs", "show", std::to_string(dead_id_), "--db", db_});
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_NE(r.output.find("state:       dead"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("ashby 403 missing_endpoint_permission"), std::string::npos);
    EXPECT_NE(r.output.find("history:"), std::string::npos);
    EXPECT_EQ(r.output.find("Grace"), std::string::npos);
    EXPECT_EQ(r.output.find("grace@example.com"), std::string::npos);
    auto missing = run_riskbridge({"jobs", "show", "999999", "--db", db_});
    EXPECT_NE(missing.exit_code, 0);
}

TEST_F(JobsCli, RetryQueuesDeadJobsAgain) {
    auto not_dead = run_riskbridge({"jobs", "retry", std::to_string(queued_id_), "--db", db_});
    EXPECT_NE(not_dead.exit_code, 0);
    auto r = run_riskbridge({"jobs", "retry", "--all-dead", "--db", db_});
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_NE(r.output.find("1 job(s) queued again"), std::string::npos) << r.output;
    auto st = store::make_sqlite_store({db_}, system_clock());
    ASSERT_TRUE(st.has_value());
    auto j = (*st)->get_job(dead_id_);
    ASSERT_TRUE(j && j->has_value());
    EXPECT_EQ((*j)->state, store::job_state::queued);
    (*st)->shutdown();
    auto none = run_riskbridge({"jobs", "retry", "--db", db_});
    EXPECT_NE(none.exit_code, 0);  // neither an id nor --all-dead
}

TEST_F(JobsCli, AMissingStoreIsAnErrorAndIsNotCreated) {
    const std::string absent = dir_.file("typo/jobs.db");
    for (const std::vector<std::string>& args :
         {std::vector<std::string>{"jobs", "list", "--db", absent},
          std::vector<std::string>{"jobs", "show", "1", "--db", absent},
          std::vector<std::string>{"jobs", "retry", "--all-dead", "--db", absent}}) {
        const auto r = run_riskbridge(args);
        EXPECT_EQ(r.exit_code, 1) << r.output;
        EXPECT_NE(r.output.find("no SQLite store at " + absent), std::string::npos) << r.output;
    }
    EXPECT_FALSE(std::filesystem::exists(dir_.file("typo")));

    // The same through a configuration whose store.sqlite_path does not exist.
    const std::string config = dir_.file("rb.yaml");
    std::ofstream(config) << "server: { listen: \"127.0.0.1:0\" }\n"
                          << "ashby: { api_key: k, webhook_secrets: [s] }\n"
                          << "riskos: { api_key: k, webhook_auth: { bearer_tokens: [t] } }\n"
                          << "store: "
                          << with_throwaway_encryption("{ sqlite_path: \"" + absent + "\" }")
                          << "\n";
    const auto r = run_riskbridge({"jobs", "list", "--config", config});
    EXPECT_EQ(r.exit_code, 1) << r.output;
    EXPECT_NE(r.output.find("no SQLite store at " + absent), std::string::npos) << r.output;
    EXPECT_FALSE(std::filesystem::exists(dir_.file("typo")));
}

}  // namespace
}  // namespace riskbridge::testing
