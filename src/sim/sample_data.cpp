#include "riskbridge/sim/sample_data.hpp"

#include <cstdio>

namespace riskbridge::sim {

namespace {

/// A UUID-shaped id (36 characters) and its NUL, with room to spare.
constexpr std::size_t id_buffer_bytes = 64;

struct sample {
    const char* label;
    const char* name;
    const char* email;  // nullptr: none
    const char* phone;  // nullptr: none
    const char* consent_json;
    const char* expectation;
};

constexpr sample samples[] = {
    {"accept", "Ada Lovelace", "accept.ada@example.com", "+1 415 555 0101", "true",
     "screening ACCEPT: LOW_RISK_IDENTITY; DocV accept after hire"},
    {"review", "Grace Hopper", "review.grace@example.com", "+1 415 555 0102", "\"I Consent\"",
     "screening REVIEW: HIGH_RISK_IDENTITY"},
    {"reject", "Alan Turing", "reject.alan@example.com", "+1 415 555 0103", "true",
     "screening REJECT: HIGH_RISK_IDENTITY"},
    {"docv", "Katherine Johnson", "docv.katherine@example.com", "+1 415 555 0104", "true",
     "screening paused for DocV step-up, then accept"},
    {"docv-decline", "Edsger Dijkstra", "docv.decline.edsger@example.com", "+1 415 555 0105",
     "true", "DocV consent declined: DOCUMENT_VERIFICATION_FAILED"},
    {"docv-expire", "Barbara Liskov", "docv.expire.barbara@example.com", "+1 415 555 0106", "true",
     "DocV session expired: DOCUMENT_VERIFICATION_FAILED"},
    {"no-consent", "Claude Shannon", "accept.claude@example.com", "+1 415 555 0107", "false",
     "no consent: no RiskOS call when consent.required"},
    {"no-phone", "Frances Allen", "accept.frances@example.com", nullptr, "true",
     "missing phone: a note, no RiskOS call (phone_number required)"},
    {"review-accepted", "Hedy Lamarr", "review.hedy@example.com", "+1 415 555 0109", "true",
     "screening REVIEW, then a reviewer in RiskOS accepts: LOW_RISK_IDENTITY replaces "
     "HIGH_RISK_IDENTITY"},
};

}  // namespace

std::vector<sample_applicant> seed_sample_data(ashby_simulator& sim,
                                               const std::string& consent_question) {
    std::vector<sample_applicant> out;
    int n = 0;
    for (const auto& s : samples) {
        ++n;
        char cid[id_buffer_bytes];
        char aid[id_buffer_bytes];
        std::snprintf(cid, sizeof cid, "c0000000-0000-4000-8000-%012d", n);
        std::snprintf(aid, sizeof aid, "a0000000-0000-4000-8000-%012d", n);

        candidate_seed c;
        c.id = cid;
        c.name = s.name;
        if (s.email != nullptr) {
            c.emails.emplace_back(s.email);
        }
        if (s.phone != nullptr) {
            c.phones.emplace_back(s.phone);
        }
        c.city = "San Francisco";
        c.region = "California";
        c.country = "United States";
        const std::string street = std::to_string(100 + n) + " Market St";
        c.custom_fields = {{sample_street_field_id, "Street Address", "\"" + street + "\""},
                           {sample_postal_field_id, "Postal Code", "\"94105\""}};
        sim.add_candidate(c);

        application_seed a;
        a.id = aid;
        a.candidate_id = cid;
        a.submitter_client_ip = "203.0.113." + std::to_string(10 + n);
        a.form = {
            {"_systemfield_name", "Name", "String", "\"" + std::string(s.name) + "\"", true, {}},
            {sample_consent_path, consent_question, "Boolean", s.consent_json, true, {}}};
        if (std::string(s.consent_json).front() == '"') {
            a.form[1].type = "ValueSelect";
            a.form[1].options = {"I Consent", "I Do Not Consent"};
        }
        sim.add_application(a);
        out.push_back({s.label, cid, aid, s.expectation, s.name, s.email != nullptr ? s.email : "",
                       s.phone != nullptr ? s.phone : "", street,
                       a.submitter_client_ip.value_or("")});
    }
    return out;
}

}  // namespace riskbridge::sim
