#include "config/validators.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <limits>

#include "riskbridge/core/encoding.hpp"
#include "riskbridge/core/ip_address.hpp"
#include "riskbridge/core/text.hpp"

namespace riskbridge::config::detail {

namespace {

/// A DNS name and one of its labels (RFC 1035 §2.3.4).
constexpr std::size_t max_hostname_chars = 253;
constexpr std::size_t max_hostname_label_chars = 63;
/// How much of a TLS file is read to find its PEM header.
constexpr std::size_t pem_sniff_bytes = 4096;

}  // namespace

bool is_decision_name(std::string_view s) {
    if (s.empty() || !std::isupper(static_cast<unsigned char>(s.front()))) {
        return false;
    }
    return std::all_of(s.begin(), s.end(), [](char c) {
        return std::isupper(static_cast<unsigned char>(c)) ||
               std::isdigit(static_cast<unsigned char>(c)) || c == '_';
    });
}

bool is_decision_word(std::string_view s) {
    return !s.empty() && std::isupper(static_cast<unsigned char>(s.front())) &&
           std::all_of(s.begin(), s.end(), [](char c) {
               return std::isupper(static_cast<unsigned char>(c)) || c == '_';
           });
}

bool is_ashby_fraud_status(std::string_view s) {
    return s == "Fraudulent" || s == "NotFraudulent" || s == "Unsure";
}

bool is_event_name(std::string_view s) {
    return !s.empty() && s.size() <= max_event_name_chars &&
           std::all_of(s.begin(), s.end(), [](char c) {
               return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' ||
                      c == '-';
           });
}

bool is_alpha2(std::string_view s) {
    return s.size() == 2 && std::isalpha(static_cast<unsigned char>(s[0])) &&
           std::isalpha(static_cast<unsigned char>(s[1]));
}

bool is_http_url(std::string_view s) {
    const std::string l = to_lower(s);
    for (std::string_view scheme : {std::string_view("http://"), std::string_view("https://")}) {
        if (l.rfind(scheme, 0) == 0 && l.size() > scheme.size()) {
            return true;
        }
    }
    return false;
}

std::string url_host(std::string_view url) {
    const std::size_t scheme_end = url.find("://");
    if (scheme_end == std::string_view::npos) {
        return {};
    }
    std::string_view authority = url.substr(scheme_end + 3);
    authority = authority.substr(0, std::min(authority.find_first_of("/?#"), authority.size()));
    if (const std::size_t at = authority.rfind('@'); at != std::string_view::npos) {
        authority.remove_prefix(at + 1);
    }
    if (!authority.empty() && authority.front() == '[') {
        const std::size_t close = authority.find(']');
        return close == std::string_view::npos ? std::string{}
                                               : to_lower(authority.substr(1, close - 1));
    }
    return to_lower(authority.substr(0, std::min(authority.find(':'), authority.size())));
}

bool is_loopback_host(const std::string& host) {
    if (host == "localhost") {
        return true;
    }
    const auto ip = parse_ip(host);
    return ip && is_loopback(*ip);
}

bool is_field_path(std::string_view s) {
    if (s.empty() || s.front() == '.' || s.back() == '.' || s.find("..") != s.npos) {
        return false;
    }
    return std::all_of(s.begin(), s.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.';
    });
}

bool is_standard_field(std::string_view s) {
    static constexpr std::array<std::string_view, 9> fields = {"given_name",
                                                               "family_name",
                                                               "email",
                                                               "phone_number",
                                                               "ip_address",
                                                               "address",
                                                               "address.locality",
                                                               "address.major_admin_division",
                                                               "address.country"};
    return std::find(fields.begin(), fields.end(), s) != fields.end();
}

bool is_ipv4(const std::string& s) {
    in_addr a{};
    return inet_pton(AF_INET, s.c_str(), &a) == 1;
}

bool is_ipv6(const std::string& s) {
    in6_addr a{};
    return inet_pton(AF_INET6, s.c_str(), &a) == 1;
}

bool is_hostname(std::string_view s) {
    if (s.empty() || s.size() > max_hostname_chars) {
        return false;
    }
    bool all_numeric = true;
    std::size_t start = 0;
    while (start <= s.size()) {
        const std::size_t dot = std::min(s.find('.', start), s.size());
        const std::string_view label = s.substr(start, dot - start);
        if (label.empty() || label.size() > max_hostname_label_chars || label.front() == '-' ||
            label.back() == '-') {
            return false;
        }
        for (char c : label) {
            if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-') {
                return false;
            }
            if (!std::isdigit(static_cast<unsigned char>(c))) {
                all_numeric = false;
            }
        }
        start = dot + 1;
    }
    // "300.1.2.3" or "12" look like addresses, not names: they must be valid IPv4 literals.
    return !all_numeric;
}

std::optional<std::string> parse_listen(const std::string& s, std::string& host,
                                        std::uint16_t& port) {
    std::string h;
    std::string p;
    if (!s.empty() && s.front() == '[') {
        const std::size_t close = s.find(']');
        if (close == std::string::npos) {
            return "missing ']' after the IPv6 address; expected [address]:port";
        }
        h = s.substr(1, close - 1);
        if (close + 1 >= s.size() || s[close + 1] != ':') {
            return "missing port; expected [address]:port, e.g. [::1]:8080";
        }
        p = s.substr(close + 2);
        if (!is_ipv6(h)) {
            return "host is not a valid IPv6 address";
        }
    } else {
        const std::size_t colon = s.rfind(':');
        if (colon == std::string::npos) {
            return "missing port; expected host:port, e.g. 0.0.0.0:8080";
        }
        h = s.substr(0, colon);
        p = s.substr(colon + 1);
        if (h.find(':') != std::string::npos) {
            return "an IPv6 address must be in brackets, e.g. [::1]:8080";
        }
        if (h.empty()) {
            return "missing host; expected host:port, e.g. 0.0.0.0:8080";
        }
        if (!is_ipv4(h) && !is_hostname(h)) {
            return "host is neither an IP address nor a valid hostname";
        }
    }
    unsigned value = 0;
    const auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), value);
    if (p.empty() || ec != std::errc() || end != p.data() + p.size() ||
        value > std::numeric_limits<std::uint16_t>::max()) {
        return "port must be a number from 0 to 65535";
    }
    host = h;
    port = static_cast<std::uint16_t>(value);
    return std::nullopt;
}

bool is_cidr(std::string_view s) {
    return parse_cidr(s).has_value();
}

bool is_any_address(const std::string& host) {
    return host == "0.0.0.0" || host == "::";
}

std::optional<std::string> decode_data_key(std::string_view s) {
    if (s.size() == 2 * data_key_bytes) {  // hex: two digits per byte
        if (auto bytes = hex_decode(s)) {
            return bytes;
        }
    }
    return base64_decode(s, base64_alphabet::standard_or_url);
}

bool check_url(reader& r, const entry& e, const scalar& v) {
    if (!is_http_url(v.text)) {
        r.report(e.line, e.path, "must be an http:// or https:// URL");
        return false;
    }
    return true;
}

void check_api_url_scheme(reader& r, const map_view& m, const std::string& url, bool allow_http) {
    auto e = m.get("api_base_url");
    if (!e || allow_http || to_lower(url).rfind("http://", 0) != 0 ||
        is_loopback_host(url_host(url))) {
        return;
    }
    r.report(e->line, e->path,
             "must use https:// (the API key is sent with every call); http:// is accepted "
             "only for a loopback host (127.0.0.0/8, ::1, localhost) or with " +
                 m.child("allow_http") + ": true");
}

void check_pem_file(reader& r, const entry& e, const std::string& path, const char* what) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) {
        r.report(e.line, e.path, std::string("no such file: ") + path);
        return;
    }
    std::ifstream in(path, std::ios::binary);
    std::string head(pem_sniff_bytes, '\0');
    in.read(head.data(), static_cast<std::streamsize>(head.size()));
    head.resize(static_cast<std::size_t>(std::max<std::streamsize>(in.gcount(), 0)));
    if (!in && !in.eof()) {
        r.report(e.line, e.path, "cannot read " + path);
    } else if (head.find("-----BEGIN") == std::string::npos) {
        r.report(e.line, e.path, path + " is not a PEM " + what);
    }
}

}  // namespace riskbridge::config::detail
