#include "riskbridge/flows/mapping.hpp"
#include "riskbridge/core/text.hpp"

#include <algorithm>
#include <cctype>
#include <unordered_map>

#include <unicode/locid.h>
#include <unicode/unistr.h>
#include <nlohmann/json.hpp>

#include "riskbridge/clients/riskos/evaluation.hpp"
#include "riskbridge/core/ip_address.hpp"
#include "riskbridge/flows/names.hpp"
#include "riskbridge/flows/phone.hpp"

namespace riskbridge::flows {

namespace {

using nlohmann::json;

std::string trim(std::string_view s) {
    return std::string(trim_space(s));
}

/// Lower-case, letters and digits only: "United States of America" -> "unitedstatesofamerica".
std::string key_of(std::string_view s) {
    std::string out;
    for (char c : s) {
        const auto u = static_cast<unsigned char>(c);
        if (std::isalnum(u) != 0 || u >= 0x80) {
            out.push_back(static_cast<char>(std::tolower(u)));
        }
    }
    return out;
}

const std::unordered_map<std::string, std::string>& country_table() {
    static const std::unordered_map<std::string, std::string> table = [] {
        std::unordered_map<std::string, std::string> t;
        for (const char* const* c = icu::Locale::getISOCountries(); *c != nullptr; ++c) {
            const std::string code(*c);
            const icu::Locale loc("", *c);
            icu::UnicodeString name;
            loc.getDisplayCountry(icu::Locale::getEnglish(), name);
            std::string utf8;
            name.toUTF8String(utf8);
            t.emplace(key_of(utf8), code);
            t.emplace(key_of(code), code);
            if (const char* iso3 = loc.getISO3Country(); iso3 != nullptr && *iso3 != '\0') {
                t.emplace(key_of(iso3), code);
            }
        }
        // Common names that are not ICU's English display names.
        for (const auto& [alias, code] : std::initializer_list<std::pair<const char*, const char*>>{
                 {"unitedstatesofamerica", "US"},
                 {"america", "US"},
                 {"uk", "GB"},
                 {"greatbritain", "GB"},
                 {"england", "GB"},
                 {"scotland", "GB"},
                 {"wales", "GB"},
                 {"northernireland", "GB"},
                 {"southkorea", "KR"},
                 {"northkorea", "KP"},
                 {"russia", "RU"},
                 {"czechrepublic", "CZ"},
                 {"holland", "NL"},
                 {"thenetherlands", "NL"},
                 {"uae", "AE"},
                 {"vietnam", "VN"},
                 {"turkey", "TR"},
                 {"ivorycoast", "CI"}}) {
            t.emplace(alias, code);
        }
        return t;
    }();
    return table;
}

struct region_entry {
    const char* name;
    const char* code;
};

constexpr region_entry us_states[] = {
    {"alabama", "AL"},
    {"alaska", "AK"},
    {"arizona", "AZ"},
    {"arkansas", "AR"},
    {"california", "CA"},
    {"colorado", "CO"},
    {"connecticut", "CT"},
    {"delaware", "DE"},
    {"districtofcolumbia", "DC"},
    {"florida", "FL"},
    {"georgia", "GA"},
    {"hawaii", "HI"},
    {"idaho", "ID"},
    {"illinois", "IL"},
    {"indiana", "IN"},
    {"iowa", "IA"},
    {"kansas", "KS"},
    {"kentucky", "KY"},
    {"louisiana", "LA"},
    {"maine", "ME"},
    {"maryland", "MD"},
    {"massachusetts", "MA"},
    {"michigan", "MI"},
    {"minnesota", "MN"},
    {"mississippi", "MS"},
    {"missouri", "MO"},
    {"montana", "MT"},
    {"nebraska", "NE"},
    {"nevada", "NV"},
    {"newhampshire", "NH"},
    {"newjersey", "NJ"},
    {"newmexico", "NM"},
    {"newyork", "NY"},
    {"northcarolina", "NC"},
    {"northdakota", "ND"},
    {"ohio", "OH"},
    {"oklahoma", "OK"},
    {"oregon", "OR"},
    {"pennsylvania", "PA"},
    {"rhodeisland", "RI"},
    {"southcarolina", "SC"},
    {"southdakota", "SD"},
    {"tennessee", "TN"},
    {"texas", "TX"},
    {"utah", "UT"},
    {"vermont", "VT"},
    {"virginia", "VA"},
    {"washington", "WA"},
    {"westvirginia", "WV"},
    {"wisconsin", "WI"},
    {"wyoming", "WY"},
    {"puertorico", "PR"},
    {"guam", "GU"},
    {"americansamoa", "AS"},
    {"usvirginislands", "VI"},
    {"northernmarianaislands", "MP"},
};

constexpr region_entry ca_provinces[] = {
    {"alberta", "AB"},
    {"britishcolumbia", "BC"},
    {"manitoba", "MB"},
    {"newbrunswick", "NB"},
    {"newfoundlandandlabrador", "NL"},
    {"novascotia", "NS"},
    {"ontario", "ON"},
    {"princeedwardisland", "PE"},
    {"quebec", "QC"},
    {"québec", "QC"},
    {"saskatchewan", "SK"},
    {"northwestterritories", "NT"},
    {"nunavut", "NU"},
    {"yukon", "YT"},
};

template <std::size_t N>
std::optional<std::string> find_region(const region_entry (&table)[N], std::string_view region) {
    const std::string k = key_of(region);
    const std::string u = to_upper(trim(region));
    for (const auto& e : table) {
        if (k == e.name || u == e.code) {
            return std::string(e.code);
        }
    }
    return std::nullopt;
}

bool plausible_email(std::string_view e) {
    const auto at = e.find('@');
    if (at == std::string_view::npos || at == 0 || at + 1 >= e.size() ||
        e.find('@', at + 1) != std::string_view::npos) {
        return false;
    }
    return std::none_of(e.begin(), e.end(),
                        [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; });
}

bool is_ip_address(const std::string& s) {
    return parse_ip(s).has_value();
}

/// A custom field's or form answer's value as text: strings, numbers and booleans; objects
/// (a select's {value, label}) by their value.
std::optional<std::string> value_text(std::string_view value_json) {
    if (value_json.empty()) {
        return std::nullopt;
    }
    const json v = json::parse(value_json, nullptr, /*allow_exceptions=*/false);
    if (v.is_string()) {
        return v.get<std::string>();
    }
    if (v.is_number_integer() || v.is_number_unsigned()) {
        return v.dump();
    }
    if (v.is_number_float() || v.is_boolean()) {
        return v.dump();
    }
    if (v.is_object()) {
        if (auto it = v.find("value"); it != v.end() && it->is_string()) {
            return it->get<std::string>();
        }
    }
    return std::nullopt;
}

std::optional<std::string> custom_value(const clients::ashby::candidate& c,
                                        const clients::ashby::application& a,
                                        const std::string& name) {
    if (const auto* f = a.find_custom_field(name)) {
        if (auto v = value_text(f->value_json)) {
            return v;
        }
    }
    if (const auto* f = c.find_custom_field(name)) {
        if (auto v = value_text(f->value_json)) {
            return v;
        }
    }
    if (const auto* f = a.find_answer(name); f != nullptr && f->answered()) {
        return value_text(f->value_json);
    }
    return std::nullopt;
}

void set_path(json& root, std::string_view path, const std::string& value) {
    json* node = &root;
    while (true) {
        const auto dot = path.find('.');
        const std::string key(path.substr(0, dot));
        if (dot == std::string_view::npos) {
            (*node)[key] = value;
            return;
        }
        json& child = (*node)[key];
        if (!child.is_object()) {
            child = json::object();
        }
        node = &child;
        path.remove_prefix(dot + 1);
    }
}

// ---- masking ----------------------------------------------------------------------------

/// The number of bytes of the UTF-8 sequence starting with `lead`.
std::size_t utf8_len(unsigned char lead) {
    if (lead < 0x80) {
        return 1;
    }
    if ((lead >> 5) == 0x6) {
        return 2;
    }
    if ((lead >> 4) == 0xE) {
        return 3;
    }
    if ((lead >> 3) == 0x1E) {
        return 4;
    }
    return 1;
}

/// "Jane van Doe" -> "J*** v** D**": the first character of each word, one star per other
/// character.
std::string mask_words(std::string_view s) {
    std::string out;
    bool word_start = true;
    for (std::size_t i = 0; i < s.size();) {
        const std::size_t n = std::min(utf8_len(static_cast<unsigned char>(s[i])), s.size() - i);
        if (s[i] == ' ' || s[i] == '-' || s[i] == ',') {
            out.push_back(s[i]);
            word_start = true;
        } else if (word_start) {
            out.append(s.substr(i, n));
            word_start = false;
        } else {
            out.push_back('*');
        }
        i += n;
    }
    return out;
}

std::string mask_email(std::string_view s) {
    const auto at = s.rfind('@');
    if (at == std::string_view::npos || at == 0) {
        return mask_words(s);
    }
    return std::string(s.substr(0, utf8_len(static_cast<unsigned char>(s[0])))) + "***" +
           std::string(s.substr(at));
}

/// "+14155550101" -> "+1*******01": the country prefix's first digit and the last two kept.
std::string mask_phone(std::string_view s) {
    if (s.size() <= 4) {
        return std::string(s.size(), '*');
    }
    return std::string(s.substr(0, 2)) + std::string(s.size() - 4, '*') +
           std::string(s.substr(s.size() - 2));
}

std::string mask_ip(std::string_view s) {
    if (const auto dot = s.rfind('.');
        dot != std::string_view::npos && s.find(':') == std::string_view::npos) {
        return std::string(s.substr(0, dot + 1)) + "*";
    }
    if (const auto colon = s.find(':'); colon != std::string_view::npos) {
        return std::string(s.substr(0, colon + 1)) + "*";
    }
    return "*";
}

/// Everything but the first `keep` characters starred (postal codes, free text).
std::string mask_tail(std::string_view s, std::size_t keep) {
    std::string out;
    std::size_t chars = 0;
    for (std::size_t i = 0; i < s.size();) {
        const std::size_t n = std::min(utf8_len(static_cast<unsigned char>(s[i])), s.size() - i);
        if (chars < keep || s[i] == ' ') {
            out.append(s.substr(i, n));
        } else {
            out.push_back('*');
        }
        ++chars;
        i += n;
    }
    return out;
}

void mask_individual(json& node, const std::string& path) {
    if (node.is_object()) {
        for (auto it = node.begin(); it != node.end(); ++it) {
            mask_individual(it.value(), path.empty() ? it.key() : path + "." + it.key());
        }
        return;
    }
    if (node.is_array()) {
        for (auto& e : node) {
            mask_individual(e, path);
        }
        return;
    }
    if (!node.is_string()) {
        return;
    }
    const std::string v = node.get<std::string>();
    // Not personal: the candidate's Ashby id and codes chosen from short lists.
    if (path == "id" || path == "address.country" || path == "address.major_admin_division" ||
        path.rfind("docv.", 0) == 0) {
        return;
    }
    if (path == "email") {
        node = mask_email(v);
    } else if (path == "phone_number") {
        node = mask_phone(v);
    } else if (path == "address.postal_code") {
        node = mask_tail(v, 2);
    } else {
        node = mask_words(v);
    }
}

}  // namespace

const std::string* mapped_applicant::field(std::string_view path) const {
    const auto it = fields.find(std::string(path));
    return it == fields.end() || it->second.empty() ? nullptr : &it->second;
}

std::optional<std::string> country_code(std::string_view name_or_code) {
    const std::string k = key_of(trim(name_or_code));
    if (k.empty()) {
        return std::nullopt;
    }
    const auto& t = country_table();
    if (const auto it = t.find(k); it != t.end()) {
        return it->second;
    }
    return std::nullopt;
}

std::optional<std::string> region_code(std::string_view country_alpha2, std::string_view region) {
    if (country_alpha2 == "US") {
        return find_region(us_states, region);
    }
    if (country_alpha2 == "CA") {
        return find_region(ca_provinces, region);
    }
    return std::nullopt;
}

std::string apply_transform(const std::map<std::string, std::string>& transform,
                            const std::string& value) {
    if (const auto it = transform.find(value); it != transform.end()) {
        return it->second;
    }
    const std::string t = trim(value);
    for (const auto& [from, to] : transform) {
        if (to_lower(trim(from)) == to_lower(t)) {
            return to;
        }
    }
    return value;
}

std::string field_label(std::string_view path) {
    static const std::map<std::string, std::string, std::less<>> labels{
        {"given_name", "given name"},
        {"family_name", "family name"},
        {"email", "email"},
        {"phone_number", "phone"},
        {"ip_address", "IP address"},
        {"address", "address"},
        {"address.line_1", "street address"},
        {"address.line_2", "address line 2"},
        {"address.locality", "city"},
        {"address.major_admin_division", "state or region"},
        {"address.postal_code", "postal code"},
        {"address.country", "country"},
        {"dob", "date of birth"},
        {"national_id", "national id"}};
    if (const auto it = labels.find(path); it != labels.end()) {
        return it->second;
    }
    std::string out(path);
    std::replace(out.begin(), out.end(), '_', ' ');
    std::replace(out.begin(), out.end(), '.', ' ');
    return out;
}

mapped_applicant map_applicant(const config::mapping_config& cfg,
                               const clients::ashby::candidate& candidate,
                               const clients::ashby::application& application) {
    mapped_applicant m;
    m.candidate_id = candidate.id;
    auto& f = m.fields;

    const person_name name = split_name(candidate.name);
    f["given_name"] = name.given;
    f["family_name"] = name.family;

    if (candidate.email && plausible_email(trim(*candidate.email))) {
        f["email"] = trim(*candidate.email);
    } else if (candidate.email) {
        m.invalid.emplace_back("email");
    }

    std::string country;
    if (candidate.loc.country) {
        country = country_code(*candidate.loc.country).value_or("");
    }
    if (country.empty()) {
        country = cfg.default_country;
    }

    if (candidate.phone) {
        auto phone = normalize_phone(*candidate.phone, cfg.default_phone_region);
        if (!phone && !country.empty() && country != cfg.default_phone_region) {
            phone = normalize_phone(*candidate.phone, country);
        }
        if (phone) {
            f["phone_number"] = *phone;
        } else {
            m.invalid.emplace_back("phone_number");
        }
    }

    if (candidate.loc.city) {
        f["address.locality"] = trim(*candidate.loc.city);
    }
    if (candidate.loc.region) {
        f["address.major_admin_division"] =
            region_code(country, *candidate.loc.region).value_or(trim(*candidate.loc.region));
    }
    if (!country.empty()) {
        f["address.country"] = country;
    }

    for (const auto& mapping : cfg.custom_fields) {
        auto v = custom_value(candidate, application, mapping.ashby_field);
        if (!v) {
            continue;
        }
        std::string value = trim(apply_transform(mapping.transform, *v));
        if (mapping.riskos_field == "ip_address") {
            if (is_ip_address(value)) {
                m.ip_address = value;
            }
            continue;
        }
        if (mapping.riskos_field == "address.country") {
            if (auto code = country_code(value)) {
                value = *code;
            }
        }
        if (mapping.riskos_field == "phone_number") {
            auto phone = normalize_phone(value, cfg.default_phone_region);
            if (!phone) {
                m.invalid.emplace_back("phone_number");
                continue;
            }
            value = *phone;
        }
        if (!value.empty()) {
            f[mapping.riskos_field] = value;
        }
    }

    if (!m.ip_address && application.submitter_client_ip &&
        is_ip_address(trim(*application.submitter_client_ip))) {
        m.ip_address = trim(*application.submitter_client_ip);
    }

    for (auto it = f.begin(); it != f.end();) {
        it = it->second.empty() ? f.erase(it) : std::next(it);
    }
    for (const auto& required : cfg.required_fields) {
        bool present = false;
        if (required == "ip_address") {
            present = m.ip_address.has_value();
        } else if (required == "address") {
            present = std::any_of(f.begin(), f.end(), [](const auto& kv) {
                return kv.first.rfind("address.", 0) == 0;
            });
        } else {
            present = m.field(required) != nullptr;
        }
        if (!present) {
            m.missing.push_back(required);
        }
    }
    return m;
}

std::string build_request_json(const mapped_applicant& m, const std::string& request_id,
                               const std::string& timestamp, const std::string& workflow,
                               bool pretty) {
    json individual = json::object();
    individual["id"] = m.candidate_id;
    for (const auto& [path, value] : m.fields) {
        const bool is_name = path == "given_name" || path == "family_name";
        set_path(
            individual, path,
            is_name ? clients::riskos::clip_utf8(value, clients::riskos::max_name_chars) : value);
    }
    json data{{"event_type", "application_submitted"},
              {"event_category", "workforce_verification"}};
    if (m.ip_address) {
        data["ip_address"] = *m.ip_address;
    }
    data["individual"] = std::move(individual);
    const json body{
        {"id", request_id}, {"timestamp", timestamp}, {"workflow", workflow}, {"data", data}};
    return body.dump(pretty ? 2 : -1, ' ', false, json::error_handler_t::replace);
}

std::string mask_request_json(std::string_view request_json, bool pretty) {
    json doc = json::parse(request_json, nullptr, /*allow_exceptions=*/false);
    if (doc.is_discarded() || !doc.is_object()) {
        return {};
    }
    if (auto d = doc.find("data"); d != doc.end() && d->is_object()) {
        if (auto ip = d->find("ip_address"); ip != d->end() && ip->is_string()) {
            *ip = mask_ip(ip->get<std::string>());
        }
        if (auto ind = d->find("individual"); ind != d->end()) {
            mask_individual(*ind, "");
        }
    }
    return doc.dump(pretty ? 2 : -1, ' ', false, json::error_handler_t::replace);
}

}  // namespace riskbridge::flows
