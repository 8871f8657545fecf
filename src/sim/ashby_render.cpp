// Candidates, applications and tags as the Ashby API shows them (under impl::mu).

#include <algorithm>

#include "sim/ashby_model.hpp"

namespace riskbridge::sim {

using detail::json;

namespace {

json contact(const std::string& value, const char* type, bool primary) {
    return json{{"value", value}, {"type", type}, {"isPrimary", primary}};
}

json custom_fields(const std::vector<sim_custom_field>& seeded,
                   const std::map<std::string, std::string>& written) {
    json out = json::array();
    for (const auto& f : seeded) {
        auto w = written.find(f.id);
        out.push_back(
            {{"id", f.id},
             {"title", f.title},
             {"value", detail::parse_or_null(w != written.end() ? w->second : f.value_json)}});
    }
    for (const auto& entry : written) {
        // Not a structured binding: clang 14 cannot capture one in the lambda below.
        const std::string& id = entry.first;
        const std::string& value = entry.second;
        const bool seeded_field = std::any_of(
            seeded.begin(), seeded.end(), [&](const sim_custom_field& f) { return f.id == id; });
        if (!seeded_field) {
            out.push_back({{"id", id}, {"title", id}, {"value", detail::parse_or_null(value)}});
        }
    }
    return out;
}

json location(const candidate_seed& c) {
    json comps = json::array();
    std::string summary;
    auto add = [&](const std::optional<std::string>& v, const char* type) {
        if (v) {
            comps.push_back({{"type", type}, {"name", *v}});
        }
    };
    add(c.country, "Country");
    add(c.region, "Region");
    add(c.city, "City");
    for (const auto* v : {&c.city, &c.region, &c.country}) {
        if (*v) {
            summary += (summary.empty() ? "" : ", ") + **v;
        }
    }
    if (comps.empty()) {
        return nullptr;
    }
    return json{{"id", detail::uuid_from("location:" + c.id)},
                {"locationSummary", summary},
                {"locationComponents", comps}};
}

/// The primary email address and phone number of `c`, where it has them, added to `out`.
void add_primary_contacts(json& out, const candidate_seed& c) {
    if (!c.emails.empty()) {
        out["primaryEmailAddress"] = contact(c.emails.front(), "Personal", true);
    }
    if (!c.phones.empty()) {
        out["primaryPhoneNumber"] = contact(c.phones.front(), "Mobile", true);
    }
}

json form_submissions(const application_seed& s) {
    json fields = json::array();
    json values = json::object();
    for (const auto& f : s.form) {
        json field{{"id", detail::uuid_from("field:" + f.path)},
                   {"path", f.path},
                   {"title", f.title},
                   {"type", f.type}};
        if (!f.options.empty()) {
            json opts = json::array();
            for (const auto& o : f.options) {
                opts.push_back({{"label", o}, {"value", o}});
            }
            field["selectableValues"] = opts;
        }
        fields.push_back({{"isRequired", f.required}, {"field", field}});
        if (!f.value_json.empty()) {
            values[f.path] = detail::parse_or_null(f.value_json);
        }
    }
    json subs = json::array();
    if (!s.form.empty()) {
        subs.push_back({{"id", detail::uuid_from("form:" + s.id)},
                        {"formDefinition", {{"sections", json::array({{{"fields", fields}}})}}},
                        {"submittedValues", values}});
    }
    return subs;
}

}  // namespace

json ashby_simulator::impl::tag_json(const tag_rec& t) {
    return json{{"id", t.id}, {"title", t.title}, {"isArchived", t.archived}};
}

json ashby_simulator::impl::values_json(const std::map<std::string, std::string>& written) {
    json values = json::object();
    for (const auto& [k, v] : written) {
        values[k] = detail::parse_or_null(v);
    }
    return values;
}

std::vector<std::string> ashby_simulator::impl::tag_titles(const candidate_rec& c) const {
    std::vector<std::string> out;
    for (const auto& id : c.tag_ids) {
        for (const auto& t : tags) {
            if (t.id == id) {
                out.push_back(t.title);
            }
        }
    }
    return out;
}

json ashby_simulator::impl::render_candidate(const candidate_rec& c) const {
    const candidate_seed& s = c.seed;
    json emails = json::array();
    for (std::size_t i = 0; i < s.emails.size(); ++i) {
        emails.push_back(contact(s.emails[i], "Personal", i == 0));
    }
    json phones = json::array();
    for (std::size_t i = 0; i < s.phones.size(); ++i) {
        phones.push_back(contact(s.phones[i], "Mobile", i == 0));
    }
    json tag_list = json::array();
    for (const auto& id : c.tag_ids) {
        for (const auto& t : tags) {
            if (t.id == id) {
                tag_list.push_back(tag_json(t));
            }
        }
    }
    json app_ids = json::array();
    for (const auto& [id, a] : applications) {
        if (a.seed.candidate_id == s.id) {
            app_ids.push_back(id);
        }
    }
    json out{{"id", s.id},
             {"createdAt", c.created_at},
             {"name", s.name},
             {"emailAddresses", emails},
             {"phoneNumbers", phones},
             {"socialLinks", json::array()},
             {"tags", tag_list},
             {"customFields", custom_fields(s.custom_fields, c.custom_values)},
             {"applicationIds", app_ids},
             {"fileHandles", json::array()},
             {"profileUrl", "https://app.ashbyhq.com/candidates/" + s.id},
             {"fraudStatus", c.fraud_status ? json(*c.fraud_status) : json(nullptr)}};
    add_primary_contacts(out, s);
    if (json loc = location(s); !loc.is_null()) {
        out["location"] = std::move(loc);
    }
    return out;
}

json ashby_simulator::impl::render_application(const application_rec& a, bool with_forms) const {
    const application_seed& s = a.seed;
    json cand{{"id", s.candidate_id}};
    if (auto it = candidates.find(s.candidate_id); it != candidates.end()) {
        cand["name"] = it->second.seed.name;
        add_primary_contacts(cand, it->second.seed);
    }
    json out{{"id", s.id},
             {"createdAt", a.created_at},
             {"updatedAt", a.updated_at},
             {"status", s.status},
             {"customFields", custom_fields(s.custom_fields, a.custom_values)},
             {"candidate", cand},
             {"currentInterviewStage",
              {{"id", detail::uuid_from("stage:" + s.stage_title)},
               {"title", s.stage_title},
               {"type", s.stage_type},
               {"orderInInterviewPlan", 1},
               {"interviewPlanId", "plan-0001"}}},
             {"job",
              {{"id", s.job_id},
               {"title", s.job_title},
               {"locationId", "loc-0001"},
               {"departmentId", "dept-0001"}}},
             {"source", nullptr},
             {"archiveReason", nullptr},
             {"hiringTeam", json::array()}};
    if (s.submitter_client_ip) {
        out["submitterClientIp"] = *s.submitter_client_ip;
    }
    if (with_forms) {
        out["applicationFormSubmissions"] = form_submissions(s);
    }
    return out;
}

}  // namespace riskbridge::sim
