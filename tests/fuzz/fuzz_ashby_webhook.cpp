// The Ashby webhook envelope: the handler's whole POST /webhooks/ashby path (signature, JSON
// parse, envelope checks, trigger choice, the stored job's payload) on a correctly signed body.
// The first byte picks a variant (signed, unsigned, wrong signature) so the unsigned-ping and
// rejection paths are reached too; the rest is the body.

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "fuzz_common.hpp"
#include "riskbridge/http/webhook_handler.hpp"
#include "riskbridge/security/hmac.hpp"

namespace {

using namespace riskbridge;
using nlohmann::json;

constexpr const char* secret = "fuzz-ashby-secret";

config::config make_config() {
    config::config cfg;
    cfg.ashby.webhook_secrets = {config::secret("old-secret"), config::secret(secret)};
    cfg.triggers.push_back(
        {"candidateStageChange", std::string("Offer"), config::flow_kind::document_verification});
    return cfg;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const bool quiet = (fuzz::quiet_logs(), true);
    (void)quiet;
    static const config::config cfg = make_config();
    if (size == 0) {
        return 0;
    }
    const std::uint8_t variant = data[0] % 8;
    const std::string body(fuzz::as_text(data + 1, size - 1));

    fuzz::inline_store store;
    http::webhook_handler handler(cfg, store);
    http::request req;
    req.method = "POST";
    req.target = "/webhooks/ashby";
    req.body = body;
    req.request_id = "fuzz";
    if (variant == 1) {
        req.headers.emplace_back("Ashby-Signature", "sha256=" + std::string(64, '0'));
    } else if (variant != 0) {
        req.headers.emplace_back("Ashby-Signature",
                                 "sha256=" + security::hmac_sha256_hex(secret, body));
    }

    int answers = 0;
    unsigned status = 0;
    handler.handle(std::move(req), [&](http::response r) {
        ++answers;
        status = r.status;
        fuzz::check(!r.body.empty(), "an answer without a body");
        const json j = json::parse(r.body, nullptr, false);
        fuzz::check(!j.is_discarded(), "an answer body that is not JSON");
    });
    fuzz::check(answers == 1, "not exactly one answer");
    fuzz::check(status == 200 || status == 400 || status == 401, "unexpected status");
    if (status == 400) {
        fuzz::check(store.quarantined == 1, "a 400 whose body was not quarantined");
    }
    if (store.last_job) {
        fuzz::check(variant >= 2, "a job stored without a valid signature");
        const json payload = json::parse(store.last_job->payload, nullptr, false);
        fuzz::check(payload.is_object(), "a stored payload that is not a JSON object");
        const std::string& kind = store.last_job->kind;
        std::vector<const char*> ids{"action", "delivery"};
        if (kind == store::erase_candidate_kind) {
            ids.push_back("candidate_id");
        } else if (kind == store::merge_candidates_kind) {
            ids.push_back("deleted_candidate_id");
            ids.push_back("merged_candidate_id");
        } else {
            ids.insert(ids.end(), {"flow", "application_id", "candidate_id"});
        }
        for (const char* key : ids) {
            fuzz::check(payload.contains(key) && payload[key].is_string() &&
                            !payload[key].get_ref<const std::string&>().empty(),
                        "a stored payload without one of its ids");
        }
        // Keep less: ids and the submitter's IP address, never the webhook's data block.
        fuzz::check(!payload.contains("data"), "a stored payload with the webhook's data");
        if (payload.contains("submitter_client_ip")) {
            fuzz::check(
                payload["submitter_client_ip"].is_string() &&
                    payload["submitter_client_ip"].get_ref<const std::string&>().size() <= 64,
                "an unbounded submitter_client_ip");
        }
    }
    return 0;
}
