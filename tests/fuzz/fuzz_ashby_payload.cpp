// Ashby API payloads: candidate.info and application.info answers read by the Ashby client
// (through an http_client that answers with the input), then the field mapping, the consent
// gate and the RiskOS request built from them. The input is the candidate.info body, a NUL
// byte, then the application.info body (no NUL: the same text for both).

#include "fuzz_common.hpp"
#include "riskbridge/clients/ashby/ashby_client.hpp"
#include "riskbridge/flows/consent.hpp"
#include "riskbridge/flows/mapping.hpp"

namespace {

using namespace riskbridge;

/// Answers every call with the next scripted body (HTTP 200), then a network error.
class scripted_http final : public clients::http_client {
public:
    std::vector<std::string> bodies;
    std::size_t next = 0;

    clients::upstream_result<clients::http_response> send(const clients::http_call&) override {
        if (next >= bodies.size()) {
            clients::upstream_error e;
            e.code = "no_script";
            e.transient = true;
            return e;
        }
        clients::http_response r;
        r.status = 200;
        r.body = bodies[next++];
        return r;
    }
};

config::config make_config() {
    config::config cfg;
    cfg.mapping.default_country = "US";
    cfg.mapping.custom_fields = {
        {"Postal Code", "address.postal_code", {}},
        {"Street", "address.line_1", {}},
        {"State", "address.major_admin_division", {{"California", "CA"}}},
        {"_systemfield_dob", "date_of_birth", {}},
        {"ssn", "national_id", {}},
    };
    cfg.consent.required = true;
    return cfg;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const bool quiet = (fuzz::quiet_logs(), true);
    (void)quiet;
    static const config::config cfg = make_config();
    const std::string_view text = fuzz::as_text(data, size);
    const auto nul = text.find('\0');

    scripted_http http;
    http.bodies.emplace_back(text.substr(0, nul));
    http.bodies.emplace_back(nul == std::string_view::npos ? text : text.substr(nul + 1));
    clients::ashby::ashby_client client(http, {"https://api.ashby.example", "key", {}, 100, 3});

    auto candidate = client.candidate_info("cand-1");
    auto application = client.application_info("app-1");
    if (!candidate || !application) {
        return 0;
    }
    (void)flows::check_consent(cfg.consent, *application);
    for (const auto& a : application->form_answers) {
        (void)flows::is_accepted_answer(cfg.consent, a.value_json);
    }
    const auto mapped = flows::map_applicant(cfg.mapping, *candidate, *application);
    const std::string request =
        flows::build_request_json(mapped, "rb-fuzz", "2026-01-01T00:00:00Z", "workflow");
    fuzz::check(!request.empty(), "an empty evaluation request");
    fuzz::check(!flows::mask_request_json(request, false).empty(),
                "the request could not be masked");
    return 0;
}
