#pragma once

// Helpers shared by the integration tests that run many screening flows at once (replicas,
// upstream faults): made-up applicants seeded into the Ashby simulator, one per RiskOS
// simulator rule in turn, and the check that every flow ended with exactly one evaluation,
// one tag and one note, read from the simulators' state.

#include <chrono>
#include <cstdio>
#include <functional>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "riskbridge/sim/ashby_sim.hpp"
#include "riskbridge/sim/riskos_sim.hpp"
#include "riskbridge/sim/sample_data.hpp"
#include "support/personal_data.hpp"
#include "support/polling.hpp"

namespace riskbridge::testing::outcomes {

struct applicant {
    std::string candidate_id;
    std::string application_id;
    std::string rule;  ///< accept | review | reject | docv (the RiskOS simulator's rule)
    std::string email;
    std::string expected_decision;  ///< after the DocV step-up for "docv"
    std::string expected_tag;
    std::string name;   ///< personal data the simulator holds for the applicant, for the
    std::string phone;  ///< checks that it never reaches a log
    std::string ip_address;
};

/// `count` applicants with ids `<series>` in them, rules in turn: accept, review, reject,
/// accept, then docv when `with_docv` (a paused evaluation that needs a RiskOS webhook).
inline std::vector<applicant> seed_applicants(sim::ashby_simulator& ashby, int count, int series,
                                              bool with_docv) {
    static const char* const cycle[] = {"accept", "review", "reject", "accept", "docv"};
    const int cycle_length = with_docv ? 5 : 4;
    std::vector<applicant> out;
    for (int i = 0; i < count; ++i) {
        char cid[64];
        char aid[64];
        std::snprintf(cid, sizeof cid, "c%07d-0000-4000-8000-%012d", series, i);
        std::snprintf(aid, sizeof aid, "a%07d-0000-4000-8000-%012d", series, i);
        applicant a;
        a.candidate_id = cid;
        a.application_id = aid;
        a.rule = cycle[i % cycle_length];
        // The local part starts with the rule and holds no other keyword of the simulator.
        a.email = a.rule + ".p" + std::to_string(series) + "x" + std::to_string(i) + "@example.com";
        a.expected_decision = a.rule == "review"   ? "REVIEW"
                              : a.rule == "reject" ? "REJECT"
                                                   : "ACCEPT";
        a.expected_tag =
            a.expected_decision == "ACCEPT" ? "LOW_RISK_IDENTITY" : "HIGH_RISK_IDENTITY";

        sim::candidate_seed c;
        c.id = a.candidate_id;
        a.name = "Testcase Person" + std::to_string(i);
        a.phone = "+1 415 555 01" + std::to_string(10 + i % 90);
        a.ip_address = "203.0.113." + std::to_string(1 + i % 250);
        c.name = a.name;
        c.emails = {a.email};
        c.phones = {a.phone};
        c.city = "San Francisco";
        c.region = "California";
        c.country = "United States";
        ashby.add_candidate(c);
        sim::application_seed app;
        app.id = a.application_id;
        app.candidate_id = a.candidate_id;
        app.submitter_client_ip = a.ip_address;
        ashby.add_application(app);
        out.push_back(std::move(a));
    }
    return out;
}

/// Every form the applicants' personal data could take in a log (support/personal_data.hpp).
inline std::vector<std::string> personal_needles(const std::vector<applicant>& applicants) {
    std::vector<std::string> out{"Testcase"};
    for (const auto& a : applicants) {
        out.push_back(a.email);
        for (auto& form : phone_forms(a.phone)) {
            out.push_back(std::move(form));
        }
        out.push_back(a.ip_address);
    }
    return out;
}

/// The same for the simulator's sample applicants (sim::seed_sample_data).
inline std::vector<std::string> personal_needles(
    const std::vector<sim::sample_applicant>& samples) {
    std::vector<std::string> out;
    for (const auto& s : samples) {
        const auto space = s.name.find(' ');
        out.push_back(s.name.substr(space + 1));  // the family name, also met alone
        out.push_back(s.email);
        for (auto& form : phone_forms(s.phone)) {
            out.push_back(std::move(form));
        }
        out.push_back(s.street);
        out.push_back(s.ip_address);
    }
    return out;
}

/// The marker the screening flow's decision note carries (flows/notes.hpp).
inline std::string decision_marker(const applicant& a) {
    return "riskbridge:ref rb-screening-" + a.application_id + "/decision";
}

/// True once the applicant's decision note is in Ashby.
inline bool has_decision_note(const sim::ashby_simulator& ashby, const applicant& a) {
    for (const auto& n : ashby.notes_of(a.candidate_id)) {
        if (n.content.find(decision_marker(a)) != std::string::npos) {
            return true;
        }
    }
    return false;
}

inline std::size_t with_decision_note(const sim::ashby_simulator& ashby,
                                      const std::vector<applicant>& applicants) {
    std::size_t n = 0;
    for (const auto& a : applicants) {
        n += has_decision_note(ashby, a) ? 1 : 0;
    }
    return n;
}

/// Everything wrong with the outcome of `applicants`, one line each; empty when every one has
/// exactly one RiskOS evaluation (one request id, one case), exactly its tag and exactly one
/// note of riskbridge's, the decision note with the case link, beside the `other_notes` notes
/// each candidate had before.
inline std::vector<std::string> problems(const sim::ashby_simulator& ashby,
                                         const sim::riskos_simulator& riskos,
                                         const std::vector<applicant>& applicants,
                                         std::size_t other_notes = 0) {
    std::vector<std::string> out;
    // RiskOS: cases by request id and by applicant (an evaluation started under another id
    // for the same application would be a second case).
    std::map<std::string, int> cases_by_request_id;
    std::map<std::string, int> cases_by_email;
    for (const auto& eval_id : riskos.eval_ids()) {
        const auto request = riskos.request_json(eval_id);
        if (!request) {
            out.push_back("no request for evaluation " + eval_id);
            continue;
        }
        const auto r = nlohmann::json::parse(*request, nullptr, false);
        if (r.is_discarded() || !r.is_object()) {
            out.push_back("unreadable request for evaluation " + eval_id);
            continue;
        }
        ++cases_by_request_id[r.value("id", std::string{})];
        const auto ind = r.find("data");
        if (ind != r.end() && ind->is_object() && ind->contains("individual") &&
            (*ind)["individual"].is_object()) {
            ++cases_by_email[(*ind)["individual"].value("email", std::string{})];
        }
    }
    if (riskos.eval_ids().size() != applicants.size()) {
        out.push_back("RiskOS has " + std::to_string(riskos.eval_ids().size()) +
                      " evaluations for " + std::to_string(applicants.size()) + " applications");
    }
    for (const auto& a : applicants) {
        const std::string who = a.application_id + " (" + a.rule + ")";
        const std::string request_id = "rb-screening-" + a.application_id;
        if (cases_by_request_id[request_id] != 1) {
            out.push_back(who + ": " + std::to_string(cases_by_request_id[request_id]) +
                          " RiskOS evaluations with its request id");
        }
        if (cases_by_email[a.email] != 1) {
            out.push_back(who + ": " + std::to_string(cases_by_email[a.email]) +
                          " RiskOS cases for the applicant");
        }
        const auto eval_id = riskos.eval_id_for(request_id);
        const auto tags = ashby.tags_of(a.candidate_id);
        if (tags != std::vector<std::string>{a.expected_tag}) {
            std::string list;
            for (const auto& t : tags) {
                list += " " + t;
            }
            out.push_back(who + ": tags [" + list + " ], expected " + a.expected_tag);
        }
        const auto notes = ashby.notes_of(a.candidate_id);
        int decision_notes = 0;
        for (const auto& n : notes) {
            if (n.content.find(decision_marker(a)) == std::string::npos) {
                continue;
            }
            ++decision_notes;
            if (n.content.find(a.expected_decision) == std::string::npos) {
                out.push_back(who + ": the decision note lacks " + a.expected_decision);
            }
            if (!eval_id ||
                n.content.find("/workforce_verification/" + *eval_id) == std::string::npos) {
                out.push_back(who + ": the decision note lacks the case link");
            }
        }
        if (notes.size() != 1 + other_notes || decision_notes != 1) {
            out.push_back(who + ": " + std::to_string(notes.size()) + " notes, " +
                          std::to_string(decision_notes) + " with the decision marker");
        }
    }
    return out;
}

inline std::string joined(const std::vector<std::string>& lines, std::size_t limit = 30) {
    std::string out;
    for (std::size_t i = 0; i < lines.size() && i < limit; ++i) {
        out += lines[i] + "\n";
    }
    if (lines.size() > limit) {
        out += "... and " + std::to_string(lines.size() - limit) + " more\n";
    }
    return out;
}

}  // namespace riskbridge::testing::outcomes
