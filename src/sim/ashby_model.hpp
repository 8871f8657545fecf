#pragma once

// The Ashby simulator's state and the functions that serve it, defined across
//   ashby_render.cpp    candidates, applications and tags as the API shows them
//   ashby_api.cpp       the API: authentication, routing, envelopes, paging, endpoints
//   ashby_webhooks.cpp  outbound webhooks (body, signature, sending, POST /_sim/webhook)
//   ashby_sim.cpp       the public class: seeding, inspection, GET /_sim/state

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "riskbridge/sim/ashby_sim.hpp"
#include "sim/common.hpp"

namespace riskbridge::sim {

struct ashby_simulator::impl {
    struct candidate_rec {
        candidate_seed seed;
        std::vector<std::string> tag_ids;
        std::vector<sim_note> notes;
        std::map<std::string, std::string> custom_values;
        std::string created_at;
        std::optional<std::string> fraud_status;  ///< null when unset
    };
    struct application_rec {
        application_seed seed;
        std::map<std::string, std::string> custom_values;
        std::string created_at;
        std::string updated_at;
    };
    struct tag_rec {
        std::string id;
        std::string title;
        bool archived = false;
    };
    using json = detail::json;

    explicit impl(ashby_sim_options o);

    ashby_sim_options opt;
    detail::sim_host host;
    detail::id_source ids;
    std::string expected_credentials;  ///< base64(api_key + ":"), after "Basic "

    mutable std::mutex mu;
    std::map<std::string, candidate_rec> candidates;
    std::map<std::string, application_rec> applications;
    std::vector<tag_rec> tags;

    std::mutex send_mu;
    std::unique_ptr<clients::http_client> sender;  // guarded by send_mu

    std::string now_text() const { return detail::now_text(opt.clk); }

    // ---- rendering (ashby_render.cpp; under mu) ----------------------------------------
    static json tag_json(const tag_rec& t);
    /// fieldId -> the value written, as JSON (null when it does not parse).
    static json values_json(const std::map<std::string, std::string>& written);
    /// The titles of the candidate's tags, in the order applied.
    std::vector<std::string> tag_titles(const candidate_rec& c) const;
    json render_candidate(const candidate_rec& c) const;
    json render_application(const application_rec& a, bool with_forms) const;

    // ---- the API (ashby_api.cpp) ---------------------------------------------------------
    http::response api(const http::request& req);
    http::response ok(json results);
    http::response fail(const std::string& code, const std::string& message);
    /// One page of `all` per the request's cursor and limit.
    http::response page(const json& all, const json& body);
    /// The candidate whose id is body[field]; nullptr, with the answer in `failure`, when the
    /// field is missing or names no candidate.
    candidate_rec* candidate_named(const json& body, const char* field, http::response& failure);
    /// candidate.addTag / removeTag's arguments: the candidate, with `tag_id` set to an
    /// existing tag's id; nullptr, with the answer in `failure`, otherwise.
    candidate_rec* tagging(const json& body, const std::string*& tag_id, http::response& failure);
    // The endpoints, under mu.
    http::response candidate_info(const json& body);
    http::response application_info(const json& body);
    http::response tag_create(const json& body);
    http::response tag_list(const json& body);
    http::response add_tag(const json& body);
    http::response remove_tag(const json& body);
    http::response change_tag(const json& body, bool add);
    http::response set_fraud_status(const json& body);
    http::response create_note(const json& body);
    http::response list_notes(const json& body);
    http::response set_values(const json& body);

    // ---- webhooks (ashby_webhooks.cpp) ---------------------------------------------------
    std::optional<std::string> webhook(const std::string& action, const std::string& app_id);
    std::string signature(const std::string& body) const;
    clients::upstream_result<clients::http_response> send(const std::string& target,
                                                          const std::string& body);
    /// POST /_sim/webhook; false for any other control request.
    bool control(const http::request& req, const http::respond_fn& respond);

    // ---- inspection (ashby_sim.cpp) ------------------------------------------------------
    std::string state() const;
};

}  // namespace riskbridge::sim
