// The encrypting decorator over a real SQLite store in a temporary directory: personal data
// never reaches the database file (nor its WAL) in clear, the workers and the operations
// commands see it decrypted, keys rotate, and a job whose key is gone is dead-lettered with
// the reason instead of reaching a handler.

#include "riskbridge/store/encrypting_store.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "store_test_support.hpp"
#include "support/bytes.hpp"

namespace riskbridge::store::testing {
namespace {

using riskbridge::testing::file_bytes;

const std::vector<std::string> pii = {"Zebedee", "Quillfeather", "zebedee.q@quill.test",
                                      "4155550177", "42 Wobbleton Lane"};

const std::string payload =
    R"({"application":{"id":"app-1","candidate":{"id":"cand-1","name":"Zebedee Quillfeather",)"
    R"("primaryEmailAddress":{"value":"zebedee.q@quill.test"},)"
    R"("primaryPhoneNumber":{"value":"+1 4155550177"}}}})";
const std::string checkpoint =
    R"({"step":"evaluated","address":"42 Wobbleton Lane","given":"Zebedee"})";

std::shared_ptr<const security::data_cipher> ring(std::vector<std::pair<std::string, char>> keys) {
    std::vector<security::data_key> k;
    for (const auto& [id, fill] : keys) {
        k.push_back({id, std::string(security::data_key_bytes, fill)});
    }
    auto made = security::data_cipher::make(std::move(k));
    EXPECT_TRUE(made.has_value());
    return made ? *made : nullptr;
}

class EncryptingStoreTest : public ::testing::Test {
protected:
    std::unique_ptr<job_store> open(std::shared_ptr<const security::data_cipher> cipher) {
        auto inner = make_sqlite_store({path_}, clock_);
        EXPECT_TRUE(inner.has_value()) << (inner ? "" : inner.error().message);
        if (!cipher) {
            return std::move(inner).value();
        }
        return make_encrypting_store(std::move(inner).value(), std::move(cipher));
    }

    /// The database file, its WAL and its shared-memory index, as raw bytes.
    std::string raw_files() const {
        std::string all;
        for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
            if (std::filesystem::exists(path_ + suffix)) {
                all += file_bytes(path_ + suffix);
            }
        }
        return all;
    }

    void expect_no_pii(const std::string& bytes, const std::string& when) const {
        ASSERT_FALSE(bytes.empty());
        for (const auto& s : pii) {
            EXPECT_EQ(bytes.find(s), std::string::npos) << s << " in clear " << when;
        }
    }

    job_id enqueue(job_store& st, const std::string& key, const std::string& body) {
        auto req = make_request(key, "screening", "screening:" + key, body);
        const auto r = enqueue_sync(st, std::move(req));
        EXPECT_EQ(r.status, enqueue_status::accepted) << r.detail;
        return r.id;
    }

    riskbridge::testing::temp_dir dir_;
    std::string path_ = dir_.file("enc.db");
    manual_clock clock_;
};

TEST_F(EncryptingStoreTest, NoPersonalDataInTheDatabaseFilesAndWorkersSeeItInClear) {
    auto st = open(ring({{"2026-11", 'k'}}));
    const job_id id = enqueue(*st, "d1", payload);
    new_job follow_up{"finish", payload, "corr-f", std::nullopt};
    auto added = st->add_job(follow_up, clock_.now());
    ASSERT_TRUE(added.has_value());
    ASSERT_TRUE(quarantine_sync(*st, {"ashby", "body is not valid JSON", payload + "{", "req-1"}));

    auto claimed = st->claim("w1", clock_.now(), 60s, {"screening"});
    ASSERT_TRUE(claimed.has_value() && claimed->has_value());
    EXPECT_EQ((*claimed)->id, id);
    EXPECT_EQ((*claimed)->payload, payload);
    ASSERT_TRUE(st->save_checkpoint(id, "w1", checkpoint));
    auto shown = st->get_job(id);
    ASSERT_TRUE(shown.has_value() && shown->has_value());
    EXPECT_EQ((*shown)->payload, payload);
    EXPECT_EQ((*shown)->checkpoint, checkpoint);
    auto listed = st->list_jobs(std::nullopt, 10);
    ASSERT_TRUE(listed.has_value());
    ASSERT_EQ(listed->size(), 2U);
    for (const auto& j : *listed) {
        EXPECT_EQ(j.payload, payload) << j.id;
    }

    // While open: the rows sit in the WAL.
    expect_no_pii(raw_files(), "while open");
    st->shutdown();
    expect_no_pii(raw_files(), "after shutdown");

    // Stored as envelopes under the active key.
    raw_db raw(path_);
    for (const auto& stored : raw.column("SELECT payload FROM jobs")) {
        EXPECT_EQ(stored.rfind("enc:v2:2026-11:", 0), 0U) << stored;
    }
    EXPECT_EQ(raw.scalar("SELECT checkpoint FROM jobs WHERE id = " + std::to_string(id))
                  .rfind("enc:v2:2026-11:", 0),
              0U);
}

TEST_F(EncryptingStoreTest, PayloadsReadBackAfterReopening) {
    {
        auto st = open(ring({{"k1", 'k'}}));
        enqueue(*st, "d1", payload);
        st->shutdown();
    }
    auto st = open(ring({{"k1", 'k'}}));
    auto claimed = st->claim("w1", clock_.now(), 60s);
    ASSERT_TRUE(claimed.has_value() && claimed->has_value());
    EXPECT_EQ((*claimed)->payload, payload);
    st->shutdown();
}

TEST_F(EncryptingStoreTest, RotationOldValuesStillReadNewOnesUseTheNewKey) {
    {
        auto st = open(ring({{"2026-05", 'o'}}));
        enqueue(*st, "old", payload);
        st->shutdown();
    }
    auto st = open(ring({{"2026-11", 'n'}, {"2026-05", 'o'}}));
    enqueue(*st, "new", payload);
    for (int i = 0; i < 2; ++i) {
        auto claimed = st->claim("w1", clock_.now(), 60s);
        ASSERT_TRUE(claimed.has_value() && claimed->has_value()) << i;
        EXPECT_EQ((*claimed)->payload, payload);
    }
    st->shutdown();
    raw_db raw(path_);
    const auto stored = raw.column("SELECT payload FROM jobs ORDER BY id");
    ASSERT_EQ(stored.size(), 2U);
    EXPECT_EQ(security::data_cipher::key_id_of(stored[0]), "2026-05");
    EXPECT_EQ(security::data_cipher::key_id_of(stored[1]), "2026-11");
}

TEST_F(EncryptingStoreTest, AJobUnderAnUnknownKeyWaitsForItThenIsDeadLetteredWithTheReason) {
    job_id lost = 0;
    {
        auto st = open(ring({{"2026-05", 'o'}}));
        lost = enqueue(*st, "lost", payload);
        st->shutdown();
    }
    auto st = open(ring({{"2026-11", 'n'}}));  // the old key was dropped too early
    const job_id fine = enqueue(*st, "fine", payload);

    // The unreadable job never reaches the worker; the next due one does, in the same call.
    auto claimed = st->claim("w1", clock_.now(), 60s);
    ASSERT_TRUE(claimed.has_value()) << claimed.error().message;
    ASSERT_TRUE(claimed->has_value());
    EXPECT_EQ((*claimed)->id, fine);
    EXPECT_EQ((*claimed)->payload, payload);

    // Another replica may be encrypting with a key this one does not have yet (a rotation
    // rolling out): the job waits a minute and is tried again, ten claims in all.
    const auto state_of = [&](job_id id) {
        auto j = st->get_job(id);
        return j && j->has_value() ? (*j)->state : job_state::queued;
    };
    EXPECT_EQ(state_of(lost), job_state::retry_wait);
    ASSERT_TRUE(st->mark_done(fine, "w1", "").has_value());
    clock_.advance(30s);
    ASSERT_FALSE(st->claim("w1", clock_.now(), 60s).value().has_value());  // not due yet
    for (int attempt = 2; attempt <= 9; ++attempt) {
        clock_.advance(61s);
        ASSERT_FALSE(st->claim("w1", clock_.now(), 60s).value().has_value()) << attempt;
        EXPECT_EQ(state_of(lost), job_state::retry_wait) << attempt;
    }
    clock_.advance(61s);
    ASSERT_FALSE(st->claim("w1", clock_.now(), 60s).value().has_value());

    auto dead = st->get_job(lost);
    ASSERT_TRUE(dead.has_value() && dead->has_value());
    EXPECT_EQ((*dead)->state, job_state::dead);
    EXPECT_EQ((*dead)->attempts, 10);
    EXPECT_EQ((*dead)->last_error, "cannot decrypt payload (key id '2026-05' unknown)");
    // Operations still list it, as its envelope.
    EXPECT_TRUE(security::data_cipher::is_encrypted((*dead)->payload));
    auto attempts = st->job_attempts(lost);
    ASSERT_TRUE(attempts.has_value());
    ASSERT_EQ(attempts->size(), 10U);
    EXPECT_EQ(attempts->front().outcome, "retry");
    EXPECT_EQ(attempts->back().outcome, "dead");
    st->shutdown();

    // With the old key configured again, `jobs retry` makes it work.
    auto restored = open(ring({{"2026-11", 'n'}, {"2026-05", 'o'}}));
    ASSERT_EQ(restored->retry_dead(lost, clock_.now()).value(), 1);
    auto again = restored->claim("w1", clock_.now(), 60s);
    ASSERT_TRUE(again.has_value() && again->has_value());
    EXPECT_EQ((*again)->id, lost);
    EXPECT_EQ((*again)->payload, payload);
    restored->shutdown();
}

TEST_F(EncryptingStoreTest, AnAlteredCheckpointDeadLettersTheJob) {
    auto st = open(ring({{"k1", 'k'}}));
    const job_id id = enqueue(*st, "d1", payload);
    auto claimed = st->claim("w1", clock_.now(), 60s);
    ASSERT_TRUE(claimed.has_value() && claimed->has_value());
    ASSERT_TRUE(st->save_checkpoint(id, "w1", checkpoint));
    ASSERT_TRUE(st->release_leases("w1"));
    {
        raw_db raw(path_);
        // One base64 digit of the stored checkpoint altered.
        std::string cp = raw.scalar("SELECT checkpoint FROM jobs");
        cp[cp.size() / 2] = cp[cp.size() / 2] == 'A' ? 'B' : 'A';
        ASSERT_TRUE(raw.exec("UPDATE jobs SET checkpoint = '" + cp + "'"));
    }
    auto next = st->claim("w1", clock_.now(), 60s);
    ASSERT_TRUE(next.has_value());
    EXPECT_FALSE(next->has_value());
    auto dead = st->get_job(id);
    ASSERT_TRUE(dead.has_value() && dead->has_value());
    EXPECT_EQ((*dead)->state, job_state::dead);
    EXPECT_EQ((*dead)->last_error,
              "cannot decrypt checkpoint (authentication failed under key id 'k1': altered "
              "data, a value copied from another job, or a different key)");
    st->shutdown();
}

TEST_F(EncryptingStoreTest, APayloadCopiedOverAnotherJobsIsRefused) {
    // Someone with write access to the database copies job 3's payload (another applicant)
    // over job 1's: job 1 must not run for job 3's applicant.
    auto st = open(ring({{"k1", 'k'}}));
    const job_id first = enqueue(*st, "d1", payload);
    enqueue(*st, "d2", payload);
    const job_id third = enqueue(*st, "d3", R"({"application":{"id":"app-3"}})");
    {
        raw_db raw(path_);
        ASSERT_TRUE(raw.exec("UPDATE jobs SET payload = (SELECT payload FROM jobs WHERE id = " +
                             std::to_string(third) + ") WHERE id = " + std::to_string(first)));
    }
    auto claimed = st->claim("w1", clock_.now(), 60s);
    ASSERT_TRUE(claimed.has_value() && claimed->has_value());
    EXPECT_NE((*claimed)->id, first);  // set aside; the next due job is handed out instead
    auto dead = st->get_job(first);
    ASSERT_TRUE(dead.has_value() && dead->has_value());
    EXPECT_EQ((*dead)->state, job_state::dead);
    EXPECT_EQ((*dead)->last_error,
              "cannot decrypt payload (authentication failed under key id 'k1': altered "
              "data, a value copied from another job, or a different key)");
    st->shutdown();
}

TEST_F(EncryptingStoreTest, ACheckpointCopiedOverAnotherJobsIsRefused) {
    auto st = open(ring({{"k1", 'k'}}));
    const job_id a = enqueue(*st, "d1", payload);
    const job_id b = enqueue(*st, "d2", payload);
    for (job_id id : {a, b}) {
        auto claimed = st->claim("w1", clock_.now(), 60s);
        ASSERT_TRUE(claimed.has_value() && claimed->has_value());
        ASSERT_TRUE(st->save_checkpoint((*claimed)->id, "w1",
                                        id == a ? checkpoint : R"({"step":"started"})"));
    }
    ASSERT_TRUE(st->release_leases("w1"));
    {
        raw_db raw(path_);
        ASSERT_TRUE(
            raw.exec("UPDATE jobs SET checkpoint = (SELECT checkpoint FROM jobs WHERE id = " +
                     std::to_string(a) + ") WHERE id = " + std::to_string(b)));
    }
    auto claimed = st->claim("w1", clock_.now(), 60s);
    ASSERT_TRUE(claimed.has_value() && claimed->has_value());
    EXPECT_EQ((*claimed)->id, a);
    EXPECT_EQ((*claimed)->checkpoint, checkpoint);
    auto next = st->claim("w1", clock_.now(), 60s);  // b, set aside: nothing is handed out
    ASSERT_TRUE(next.has_value());
    EXPECT_FALSE(next->has_value());
    auto dead = st->get_job(b);
    ASSERT_TRUE(dead.has_value() && dead->has_value());
    EXPECT_EQ((*dead)->state, job_state::dead);
    EXPECT_NE((*dead)->last_error.find("cannot decrypt checkpoint"), std::string::npos);
    st->shutdown();
}

TEST_F(EncryptingStoreTest, AValueInClearIsRefusedOnceEncryptionIsOn) {
    {
        auto plain = open(nullptr);
        enqueue(*plain, "legacy", payload);
        evaluation_record e;
        e.eval_id = "eval-legacy";
        e.flow = "document_verification";
        e.state = store::evaluation_state::requested;
        e.docv_token = "legacy-token-1";
        ASSERT_TRUE(plain->upsert_evaluation(e));
        plain->shutdown();
    }
    // The control: without the decorator, the scan of the files does find the clear text.
    EXPECT_NE(raw_files().find("zebedee.q@quill.test"), std::string::npos);
    auto st = open(ring({{"k1", 'k'}}));
    const job_id fresh = enqueue(*st, "fresh", payload);
    auto claimed = st->claim("w1", clock_.now(), 60s);
    ASSERT_TRUE(claimed.has_value() && claimed->has_value());
    EXPECT_EQ((*claimed)->id, fresh);
    auto legacy = st->list_jobs(job_state::dead, 10);
    ASSERT_TRUE(legacy.has_value());
    ASSERT_EQ(legacy->size(), 1U);
    EXPECT_EQ(legacy->front().last_error,
              "cannot decrypt payload (stored in clear while encryption is on)");
    // A DocV token is looked up by its keyed digest only: the clear one is not matched.
    auto found = st->find_evaluation_by_docv_token("legacy-token-1");
    ASSERT_TRUE(found.has_value());
    EXPECT_FALSE(found->has_value());
    st->shutdown();
}

TEST_F(EncryptingStoreTest, TheDocvTokenIsStoredAsAKeyedDigestAndStillFound) {
    const std::string token = "dv-8c1f2e7a-capture-token";
    {
        auto st = open(ring({{"2026-05", 'o'}}));
        evaluation_record e;
        e.eval_id = "eval-1";
        e.flow = "document_verification";
        e.application_id = "app-1";
        e.candidate_id = "cand-1";
        e.state = store::evaluation_state::requested;
        e.docv_token = token;
        ASSERT_TRUE(st->upsert_evaluation(e));
        auto found = st->find_evaluation_by_docv_token(token);
        ASSERT_TRUE(found.has_value() && found->has_value());
        // Read back and written again (a state change) keeps it findable.
        evaluation_record updated = **found;
        updated.state = store::evaluation_state::completed;
        ASSERT_TRUE(st->upsert_evaluation(updated));
        st->shutdown();
    }
    EXPECT_EQ(raw_files().find(token), std::string::npos);
    // After a rotation the old key's digest is still tried.
    auto st = open(ring({{"2026-11", 'n'}, {"2026-05", 'o'}}));
    auto found = st->find_evaluation_by_docv_token(token);
    ASSERT_TRUE(found.has_value() && found->has_value());
    EXPECT_EQ((*found)->eval_id, "eval-1");
    EXPECT_EQ((*found)->state, store::evaluation_state::completed);
    auto missing = st->find_evaluation_by_docv_token("another-token");
    ASSERT_TRUE(missing.has_value());
    EXPECT_FALSE(missing->has_value());
    st->shutdown();
}

TEST_F(EncryptingStoreTest, OpenStoreEncryptsWhenTheConfigurationHasKeys) {
    config::store_config cfg;
    cfg.sqlite_path = path_;
    cfg.encryption.keys = {{"2026-11", config::secret(std::string(32, 'k'))}};
    {
        auto st = open_store(cfg, clock_);
        ASSERT_TRUE(st.has_value()) << st.error().message;
        enqueue(**st, "d1", payload);
        (*st)->shutdown();
    }
    expect_no_pii(raw_files(), "through open_store");
    raw_db raw(path_);
    EXPECT_EQ(raw.scalar("SELECT payload FROM jobs").rfind("enc:v2:2026-11:", 0), 0U);

    cfg.encryption.keys.front().key = config::secret("too short");
    auto bad = open_store(cfg, clock_);
    ASSERT_FALSE(bad.has_value());
    EXPECT_EQ(bad.error().code, errc::invalid_argument);
    EXPECT_NE(bad.error().message.find("store.encryption"), std::string::npos);
}

}  // namespace
}  // namespace riskbridge::store::testing
