// RiskOS webhooks: the handler's POST /webhooks/riskos path (credentials, JSON parse, both
// envelopes, dedupe key), the reduction of the event to what is stored (only the envelope's
// ids and words, strings only and bounded, DocV's own notes only: never enrichments or
// personal data), then what the riskos_event job reads from the stored payload: the
// evaluation in `data` (parse_evaluation), the DocV case note, and the finish request built
// from it, which must survive its own JSON round trip.

#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "fuzz_common.hpp"
#include "riskbridge/clients/riskos/evaluation.hpp"
#include "riskbridge/flows/docv_state.hpp"
#include "riskbridge/flows/finish_request.hpp"
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

/// The longest string the handler keeps of an event.
constexpr std::size_t max_kept_text = 256;

/// Every member of `obj` is one of `allowed`, and a string of at most max_kept_text bytes.
void check_strings_only(const json& obj, const std::set<std::string>& allowed, const char* what) {
    fuzz::check(obj.is_object(), what);
    for (auto it = obj.begin(); it != obj.end(); ++it) {
        fuzz::check(allowed.count(it.key()) == 1, "a stored event member that is not kept");
        fuzz::check(it->is_string() && it->get_ref<const std::string&>().size() <= max_kept_text,
                    "a stored event member that is not a short string");
    }
}

/// What the handler stored of the event: the current envelope's
/// {event_id, event_type, event_at, data: {...}} or the older {id, eventGroup, event: {...}}.
void check_reduced(const json& event) {
    fuzz::check(event.is_object(), "a stored event that is not an object");
    static const std::set<std::string> current{"event_id", "event_type", "event_at"};
    static const std::set<std::string> older{"id", "eventGroup"};
    static const std::set<std::string> data_keys{"eval_id",     "id",     "workflow",    "decision",
                                                 "eval_status", "status", "reviewer_id", "notes"};
    static const std::set<std::string> inner_keys{"eventType", "message", "docVTransactionToken"};
    const bool is_current = event.contains("data");
    json top = event;
    if (is_current) {
        const json& data = event["data"];
        check_strings_only(data, data_keys, "stored data that is not an object");
        if (data.contains("notes")) {
            fuzz::check(text_of(data, "reviewer_id") == "Webhook", "a person's note was stored");
        }
        top.erase("data");
        check_strings_only(top, current, "a stored event that is not an object");
    } else {
        fuzz::check(event.contains("event"), "a stored event of neither envelope");
        check_strings_only(event["event"], inner_keys,
                           "a stored inner event that is not an object");
        top.erase("event");
        check_strings_only(top, older, "a stored event that is not an object");
    }
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
        check_reduced(payload["event"]);
        read_event(payload["event"]);
    }
    return 0;
}
