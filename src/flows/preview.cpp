#include "riskbridge/flows/preview.hpp"

#include "riskbridge/clients/ashby/ashby_client.hpp"
#include "riskbridge/flows/consent.hpp"
#include "riskbridge/flows/mapping.hpp"
#include "riskbridge/flows/request_ids.hpp"

namespace riskbridge::flows {

preview_result preview_application(const config::config& cfg, const std::string& application_id,
                                   clients::http_client& ashby_http, const clock& clk) {
    clients::ashby::ashby_options o;
    o.base_url = cfg.ashby.api_base_url;
    o.api_key = cfg.ashby.api_key.reveal();
    o.clk = &clk;
    clients::ashby::ashby_client ashby(ashby_http, o);

    preview_result out;
    auto app = ashby.application_info(application_id);
    if (!app) {
        out.exit_code = 1;
        out.report = "cannot read application " + application_id + ": " + app.error().message +
                     " (" + app.error().code + ")\n";
        return out;
    }
    auto cand = ashby.candidate_info(app->candidate_id);
    if (!cand) {
        out.exit_code = 1;
        out.report = "cannot read candidate " + app->candidate_id + ": " + cand.error().message +
                     " (" + cand.error().code + ")\n";
        return out;
    }

    std::string r = "application: " + app->id + "\ncandidate:   " + cand->id + "\n";
    const consent_result consent = check_consent(cfg.consent, *app);
    r += "consent:     " + std::string(to_string(consent.status));
    if (cfg.consent.required) {
        r += " (question: \"" + cfg.consent.question + "\")";
    }
    r += "\n";

    const mapped_applicant m = map_applicant(cfg.mapping, *cand, *app);
    r += "missing:     ";
    if (m.missing.empty()) {
        r += "none";
    }
    for (std::size_t i = 0; i < m.missing.size(); ++i) {
        r += (i == 0 ? "" : ", ") + field_label(m.missing[i]) + " (" + m.missing[i] + ")";
    }
    r += "\n";
    if (!m.invalid.empty()) {
        r += "unusable:    ";
        for (std::size_t i = 0; i < m.invalid.size(); ++i) {
            r += (i == 0 ? "" : ", ") + m.invalid[i];
        }
        r += "\n";
    }
    const bool blocked = !consent.allowed() || !m.complete();
    r += std::string("would call RiskOS: ") + (blocked ? "no" : "yes") + "\n";
    r += "request (personal values masked):\n";
    const std::string request =
        build_request_json(m, evaluation_request_id(config::flow_kind::screening, app->id),
                           format_rfc3339(clk.now()), cfg.riskos.screening_workflow);
    r += mask_request_json(request, /*pretty=*/true) + "\n";
    out.report = std::move(r);
    out.exit_code = blocked ? 3 : 0;
    return out;
}

}  // namespace riskbridge::flows
