// RiskOS webhooks: the handler's POST /webhooks/riskos path (credentials, JSON parse, both
// envelopes, dedupe key), then what the riskos_event job reads from the stored payload: the
// evaluation in `data` (parse_evaluation), the DocV case note, and the finish request built
// from it, which must survive its own JSON round trip.

#include <nlohmann/json.hpp>

#include "fuzz_common.hpp"
#include "riskbridge/clients/riskos/evaluation.hpp"
#include "riskbridge/flows/docv.hpp"
#include "riskbridge/http/webhook_handler.hpp"

namespace {

using namespace riskbridge;
using nlohmann::json;

config::config make_config() {
    config::config cfg;
    cfg.riskos.webhook_auth.bearer_tokens = {config::secret("fuzz-token")};
    return cfg;
}

std::string text_of(const json& obj, const char* key) {
    if (!obj.is_object()) {
        return {};
    }
    const auto it = obj.find(key);
    return it != obj.end() && it->is_string() ? it->get<std::string>() : std::string{};
}

void read_event(const json& event) {
    if (const auto data = event.find("data"); data != event.end() && data->is_object()) {
        (void)flows::parse_case_note(text_of(*data, "notes"));
        auto eval = clients::riskos::parse_evaluation(*data);
        if (eval) {
            (void)eval->reason_codes();
            (void)eval->find_by_provider("SocureDocRequest");
            const flows::finish_request f = flows::finish_from_evaluation(*eval, "fuzz");
            const std::string text = flows::to_json_text(f);
            const auto back = flows::parse_finish_request(text);
            if (!f.eval_id.empty()) {
                fuzz::check(back.has_value(), "a finish request that does not parse back");
                fuzz::check(back->eval_id == f.eval_id && back->decision == f.decision &&
                                back->reasons.size() == f.reasons.size(),
                            "a finish request that changed on its round trip");
            }
        }
    }
    if (const auto inner = event.find("event"); inner != event.end() && inner->is_object()) {
        (void)flows::parse_case_note(text_of(*inner, "message"));
        (void)flows::parse_case_note(text_of(*inner, "eventType"));
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const bool quiet = (fuzz::quiet_logs(), true);
    (void)quiet;
    static const config::config cfg = make_config();

    fuzz::inline_store store;
    http::webhook_handler handler(cfg, store);
    http::request req;
    req.method = "POST";
    req.target = "/webhooks/riskos";
    req.headers.emplace_back("Authorization", "Bearer fuzz-token");
    req.body = std::string(fuzz::as_text(data, size));
    req.request_id = "fuzz";

    int answers = 0;
    unsigned status = 0;
    handler.handle(std::move(req), [&](http::response r) {
        ++answers;
        status = r.status;
    });
    fuzz::check(answers == 1, "not exactly one answer");
    fuzz::check(status == 200 || status == 400, "unexpected status");
    if (store.last_job) {
        const json payload = json::parse(store.last_job->payload, nullptr, false);
        fuzz::check(payload.is_object() && payload.contains("event"),
                    "a stored payload without the event");
        read_event(payload["event"]);
    }
    return 0;
}
