// Loads the YAML configuration: parses it with yaml-cpp, replaces `${VAR}` and `${VAR:-default}`
// in every scalar value (after parsing, so line numbers stay those of the file), maps the
// values onto config.hpp and validates them. Every problem is collected with its line and key
// path; nothing throws out, and no message ever carries a secret or a substituted value.

#include "riskbridge/config/loader.hpp"

#include <arpa/inet.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <limits>
#include <utility>

#include "riskbridge/core/encoding.hpp"
#include "riskbridge/core/ip_address.hpp"
#include "riskbridge/core/text.hpp"

namespace riskbridge::config {

namespace {

using std::chrono::milliseconds;

constexpr long long max_duration_ms = 365LL * 24 * 3600 * 1000;  // one year
constexpr long long no_upper_bound = std::numeric_limits<long long>::max();

int line_of(const YAML::Node& n) {
    const YAML::Mark m = n.Mark();
    return m.is_null() ? 0 : m.line + 1;
}

const char* type_name(const YAML::Node& n) {
    switch (n.Type()) {
        case YAML::NodeType::Map:
            return "a mapping";
        case YAML::NodeType::Sequence:
            return "a list";
        case YAML::NodeType::Scalar:
            return "a single value";
        case YAML::NodeType::Null:
            return "nothing";
        case YAML::NodeType::Undefined:
            break;
    }
    return "nothing";
}

std::string join_path(const std::string& parent, std::string_view key) {
    return parent.empty() ? std::string(key) : parent + "." + std::string(key);
}

std::string index_path(const std::string& parent, std::size_t i) {
    return parent + "[" + std::to_string(i) + "]";
}

bool is_env_name(std::string_view name) {
    if (name.empty() || std::isdigit(static_cast<unsigned char>(name.front()))) {
        return false;
    }
    return std::all_of(name.begin(), name.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
    });
}

/// UPPER_CASE decision names: ACCEPT, REVIEW, REJECT, RESUBMIT, ...
bool is_decision_name(std::string_view s) {
    if (s.empty() || !std::isupper(static_cast<unsigned char>(s.front()))) {
        return false;
    }
    return std::all_of(s.begin(), s.end(), [](char c) {
        return std::isupper(static_cast<unsigned char>(c)) ||
               std::isdigit(static_cast<unsigned char>(c)) || c == '_';
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

/// The host of an http:// or https:// URL: what comes between "://" and the next '/', '?' or
/// '#', without user info or port, an IPv6 literal without its brackets, in lower case.
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

/// localhost, 127.0.0.0/8 or ::1: traffic to it never leaves this host.
bool is_loopback_host(const std::string& host) {
    if (host == "localhost") {
        return true;
    }
    const auto ip = parse_ip(host);
    return ip && is_loopback(*ip);
}

/// A dotted path of identifiers, e.g. address.postal_code.
bool is_field_path(std::string_view s) {
    if (s.empty() || s.front() == '.' || s.back() == '.' || s.find("..") != s.npos) {
        return false;
    }
    return std::all_of(s.begin(), s.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.';
    });
}

/// The key path of a problem with the file as a whole (unreadable, not a mapping, a syntax
/// error before any key).
constexpr const char* whole_file = "config";

/// The fields of data.individual (and ip_address) the mapping fills from Ashby's own data;
/// any other needs a mapping.custom_fields entry.
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
    if (s.empty() || s.size() > 253) {
        return false;
    }
    bool all_numeric = true;
    std::size_t start = 0;
    while (start <= s.size()) {
        const std::size_t dot = std::min(s.find('.', start), s.size());
        const std::string_view label = s.substr(start, dot - start);
        if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') {
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

/// Parses `host:port` or `[ipv6]:port`; returns a message when it is malformed.
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
    if (p.empty() || ec != std::errc() || end != p.data() + p.size() || value > 65535) {
        return "port must be a number from 0 to 65535";
    }
    host = h;
    port = static_cast<std::uint16_t>(value);
    return std::nullopt;
}

/// A value found under a key or at a list index.
struct entry {
    YAML::Node node;
    int line = 0;      ///< the value's line, or the key's when the value is null
    int key_line = 0;  ///< the line of the key (or of the item)
    std::string path;
};

/// One scalar after substitution.
struct scalar {
    std::string text;
    bool from_env = false;  ///< holds substituted text: never echo it
    bool plain = false;     ///< written without quotes (so `true` is a boolean)
};

/// Quotes a value for a message, unless it came from the environment.
std::string shown(const scalar& s) {
    if (s.from_env) {
        return "";
    }
    return " '" + s.text + "'";
}

class reader;

/// The keys of one mapping; reports unknown and duplicate keys as it is built.
class map_view {
public:
    map_view(reader& r, const entry& e, std::initializer_list<std::string_view> known);

    /// The entry under `key`, when the key is present (its value may be null).
    std::optional<entry> get(std::string_view key) const {
        auto it = entries_.find(std::string(key));
        if (it == entries_.end()) {
            return std::nullopt;
        }
        return it->second;
    }
    bool has(std::string_view key) const { return entries_.count(std::string(key)) != 0; }
    /// Where problems about a missing key are reported: the line that introduced this map.
    int line() const noexcept { return line_; }
    const std::string& path() const noexcept { return path_; }
    std::string child(std::string_view key) const { return join_path(path_, key); }

private:
    std::map<std::string, entry> entries_;
    int line_ = 0;
    std::string path_;
};

class reader {
public:
    reader(std::string file, const env_lookup& env) : file_(std::move(file)), env_(env) {}

    /// A problem with no line of its own (a key missing with its whole section) is put on the
    /// file's first line, where an editor can jump.
    void report(int line, std::string path, std::string message) {
        problems_.push_back({file_, std::max(line, 1), std::move(path), std::move(message)});
    }

    std::size_t problem_count() const noexcept { return problems_.size(); }

    std::vector<problem> take_problems() {
        std::stable_sort(problems_.begin(), problems_.end(),
                         [](const problem& a, const problem& b) { return a.line < b.line; });
        return std::move(problems_);
    }

    /// True for a mapping; null is silently false; anything else is reported.
    bool is_map(const entry& e) {
        if (e.node.IsMap()) {
            return true;
        }
        if (!e.node.IsNull()) {
            report(e.line, e.path, std::string("expected a mapping, got ") + type_name(e.node));
        }
        return false;
    }

    /// The items of a list; nullopt for null (silently) or anything else (reported).
    std::optional<std::vector<entry>> items(const entry& e) {
        if (e.node.IsNull()) {
            return std::nullopt;
        }
        if (!e.node.IsSequence()) {
            report(e.line, e.path, std::string("expected a list, got ") + type_name(e.node));
            return std::nullopt;
        }
        std::vector<entry> out;
        std::size_t i = 0;
        for (const auto& item : e.node) {
            const int l = item.IsNull() ? e.line : line_of(item);
            out.push_back({item, l, l, index_path(e.path, i++)});
        }
        return out;
    }

    /// The scalar's text with `${...}` replaced; nullopt for null (silently), for a mapping or
    /// list, and for an unset variable (both reported).
    std::optional<scalar> value(const entry& e) {
        if (e.node.IsNull()) {
            return std::nullopt;
        }
        if (!e.node.IsScalar()) {
            report(e.line, e.path,
                   std::string("expected a single value, got ") + type_name(e.node));
            return std::nullopt;
        }
        scalar s;
        s.plain = e.node.Tag() == "?";
        if (!s.plain && quote_spans_lines(e.node.Mark())) {
            report(e.line, e.path,
                   "a quoted value runs over several lines: is its closing quote missing?");
            return std::nullopt;
        }
        if (!substitute(e.node.Scalar(), e, s)) {
            return std::nullopt;
        }
        return s;
    }

    /// The file's text, for what the parsed tree does not keep (where a quoted value ends).
    void set_text(std::string_view text) { text_ = text; }

private:
    /// True when the quoted scalar starting at `m` closes on a later line, or never: an
    /// unterminated quote swallows the keys after it, which YAML allows. No configuration value
    /// needs a line break.
    bool quote_spans_lines(const YAML::Mark& m) const {
        if (m.is_null() || m.pos < 0 || static_cast<std::size_t>(m.pos) >= text_.size()) {
            return false;
        }
        const auto start = static_cast<std::size_t>(m.pos);
        const char quote = text_[start];
        if (quote != '"' && quote != '\'') {
            return false;
        }
        for (std::size_t i = start + 1; i < text_.size(); ++i) {
            const char c = text_[i];
            if (c == '\n') {
                return true;
            }
            if (quote == '"' && c == '\\') {
                ++i;  // an escape: the next character is not the closing quote
            } else if (c == quote) {
                if (quote == '\'' && i + 1 < text_.size() && text_[i + 1] == '\'') {
                    ++i;  // '' is a quote inside a single-quoted value
                    continue;
                }
                return false;
            }
        }
        return true;
    }

    bool substitute(const std::string& raw, const entry& e, scalar& out) {
        bool ok = true;
        std::size_t i = 0;
        while (i < raw.size()) {
            const std::size_t start = raw.find("${", i);
            if (start == std::string::npos) {
                out.text.append(raw, i, std::string::npos);
                break;
            }
            out.text.append(raw, i, start - i);
            const std::size_t close = raw.find('}', start + 2);
            if (close == std::string::npos) {
                report(e.line, e.path, "unterminated ${ in value");
                return false;
            }
            const std::string_view inner(raw.data() + start + 2, close - start - 2);
            const std::size_t sep = inner.find(":-");
            const std::string_view name = inner.substr(0, sep);
            out.from_env = true;
            if (!is_env_name(name)) {
                report(e.line, e.path,
                       "invalid environment variable reference (expected ${NAME} or "
                       "${NAME:-default})");
                ok = false;
            } else {
                std::optional<std::string> v = env_ ? env_(name) : std::nullopt;
                if (sep != std::string_view::npos) {
                    if (!v || v->empty()) {
                        v = std::string(inner.substr(sep + 2));
                    }
                } else if (!v) {
                    report(e.line, e.path,
                           "environment variable " + std::string(name) + " is not set");
                    ok = false;
                }
                if (v) {
                    out.text += *v;
                }
            }
            i = close + 1;
        }
        return ok;
    }

    std::string file_;
    const env_lookup& env_;
    std::string_view text_;
    std::vector<problem> problems_;
};

map_view::map_view(reader& r, const entry& e, std::initializer_list<std::string_view> known)
    : line_(e.key_line), path_(e.path) {
    if (!r.is_map(e)) {
        return;
    }
    for (const auto& kv : e.node) {
        const YAML::Node& key = kv.first;
        const int key_line = line_of(key);
        if (!key.IsScalar()) {
            r.report(key_line, path_, "a key must be a plain name");
            continue;
        }
        const std::string name = key.Scalar();
        const std::string path = join_path(path_, name);
        if (std::find(known.begin(), known.end(), name) == known.end()) {
            r.report(key_line, path, "unknown key");
            continue;
        }
        if (entries_.count(name) != 0) {
            r.report(key_line, path, "duplicate key");
            continue;
        }
        const int l = kv.second.IsNull() ? key_line : line_of(kv.second);
        entries_.emplace(name, entry{kv.second, l, key_line, path});
    }
}

// ---- typed readers: each leaves `out` untouched when the key is absent, null or wrong --------

bool read_string(reader& r, const map_view& m, std::string_view key, std::string& out,
                 bool non_empty = false) {
    auto e = m.get(key);
    if (!e) {
        return false;
    }
    auto v = r.value(*e);
    if (!v) {
        if (non_empty && e->node.IsNull()) {
            r.report(e->line, e->path, "must not be empty");
        }
        return false;
    }
    if (non_empty && v->text.empty()) {
        r.report(e->line, e->path, "must not be empty");
        return false;
    }
    out = v->text;
    return true;
}

/// Optional text: empty means unset.
void read_optional(reader& r, const map_view& m, std::string_view key,
                   std::optional<std::string>& out) {
    auto e = m.get(key);
    if (!e) {
        return;
    }
    if (e->node.IsNull()) {
        out.reset();
        return;
    }
    if (auto v = r.value(*e)) {
        if (v->text.empty()) {
            out.reset();
        } else {
            out = v->text;
        }
    }
}

bool check_url(reader& r, const entry& e, const scalar& v) {
    if (!is_http_url(v.text)) {
        r.report(e.line, e.path, "must be an http:// or https:// URL");
        return false;
    }
    return true;
}

void read_url(reader& r, const map_view& m, std::string_view key, std::string& out) {
    auto e = m.get(key);
    if (!e) {
        return;
    }
    if (auto v = r.value(*e); v && check_url(r, *e, *v)) {
        out = v->text;
    } else if (e->node.IsNull()) {
        r.report(e->line, e->path, "must be an http:// or https:// URL");
    }
}

/// An api_base_url carries the API key on every call, so it must be https://, unless its host
/// is loopback or `allow_http: true` (a key of the same section) accepts plain HTTP explicitly.
/// `url` is the value read (the default when the key is absent or was wrong).
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

void read_optional_url(reader& r, const map_view& m, std::string_view key,
                       std::optional<std::string>& out) {
    auto e = m.get(key);
    if (!e) {
        return;
    }
    if (e->node.IsNull()) {
        out.reset();
        return;
    }
    if (auto v = r.value(*e)) {
        if (v->text.empty()) {
            out.reset();
        } else if (check_url(r, *e, *v)) {
            out = v->text;
        }
    }
}

/// An integer in [min, max]; returns the line it was read from (0 when not set).
template <class T>
int read_int(reader& r, const map_view& m, std::string_view key, T& out, long long min,
             long long max) {
    auto e = m.get(key);
    if (!e) {
        return 0;
    }
    auto v = r.value(*e);
    if (!v) {
        return 0;
    }
    long long n = 0;
    const std::string& t = v->text;
    const char* first = t.data() + (!t.empty() && t.front() == '+' ? 1 : 0);
    const auto [end, ec] = std::from_chars(first, t.data() + t.size(), n);
    if (t.empty() || end != t.data() + t.size() || ec == std::errc::invalid_argument) {
        r.report(e->line, e->path,
                 "expected a whole number" + (v->from_env ? std::string() : ", got" + shown(*v)));
        return 0;
    }
    if (ec == std::errc::result_out_of_range || n < min || n > max) {
        std::string msg = max == no_upper_bound ? "must be at least " + std::to_string(min)
                                                : "must be from " + std::to_string(min) + " to " +
                                                      std::to_string(max);
        if (!v->from_env) {
            msg += " (got " + t + ")";
        }
        r.report(e->line, e->path, std::move(msg));
        return 0;
    }
    out = static_cast<T>(n);
    return e->line;
}

int read_ms(reader& r, const map_view& m, std::string_view key, milliseconds& out,
            long long min = 1) {
    long long n = 0;
    const int line = read_int(r, m, key, n, min, max_duration_ms);
    if (line != 0) {
        out = milliseconds(n);
    }
    return line;
}

void read_bool(reader& r, const map_view& m, std::string_view key, bool& out) {
    auto e = m.get(key);
    if (!e) {
        return;
    }
    auto v = r.value(*e);
    if (!v) {
        return;
    }
    const std::string l = to_lower(v->text);
    if (l == "true" || l == "yes" || l == "on") {
        out = true;
    } else if (l == "false" || l == "no" || l == "off") {
        out = false;
    } else {
        r.report(e->line, e->path, "expected true or false");
    }
}

/// A secret that must end up non-empty (when `required`).
void read_secret(reader& r, const map_view& m, std::string_view key, secret& out, bool required) {
    auto e = m.get(key);
    if (!e) {
        if (required) {
            r.report(m.line(), m.child(key), "is required");
        }
        return;
    }
    if (e->node.IsNull()) {
        if (required) {
            r.report(e->line, e->path, "is empty");
        }
        return;
    }
    auto v = r.value(*e);
    if (!v) {
        return;
    }
    if (required && v->text.empty()) {
        r.report(e->line, e->path, "is empty");
        return;
    }
    out = secret(v->text);
}

/// A list of secrets, each non-empty. Returns false when the key is absent or null.
bool read_secret_list(reader& r, const map_view& m, std::string_view key,
                      std::vector<secret>& out) {
    auto e = m.get(key);
    if (!e) {
        return false;
    }
    auto list = r.items(*e);
    if (!list) {
        return !e->node.IsNull();
    }
    std::vector<secret> values;
    for (const entry& item : *list) {
        if (item.node.IsNull()) {
            r.report(item.line, item.path, "is empty");
            continue;
        }
        auto v = r.value(item);
        if (!v) {
            continue;
        }
        if (v->text.empty()) {
            r.report(item.line, item.path, "is empty");
            continue;
        }
        values.emplace_back(v->text);
    }
    out = std::move(values);
    return true;
}

/// What every item of a string list must be, beyond non-empty: a check and the message's
/// "expected ..." part.
struct item_rule {
    std::function<bool(std::string_view)> valid;
    std::string expected;
};

bool is_cidr(std::string_view s) {
    return parse_cidr(s).has_value();
}

const item_rule decision_items{is_decision_name, "an UPPER_CASE decision such as ACCEPT"};
const item_rule address_items{is_cidr, "an IP address or CIDR such as 10.0.0.0/8"};

/// A list of non-empty strings (replaces the default when given).
void read_string_list(reader& r, const map_view& m, std::string_view key,
                      std::vector<std::string>& out, const item_rule& rule = {}) {
    auto e = m.get(key);
    if (!e) {
        return;
    }
    auto list = r.items(*e);
    if (!list) {
        if (e->node.IsNull()) {
            out.clear();
        }
        return;
    }
    std::vector<std::string> values;
    for (const entry& item : *list) {
        auto v = r.value(item);
        if (!v) {
            if (item.node.IsNull()) {
                r.report(item.line, item.path, "must not be empty");
            }
            continue;
        }
        if (v->text.empty()) {
            r.report(item.line, item.path, "must not be empty");
        } else if (rule.valid && !rule.valid(v->text)) {
            r.report(item.line, item.path,
                     std::string("expected ") + rule.expected + ", got" + shown(*v));
        } else {
            values.push_back(v->text);
        }
    }
    out = std::move(values);
}

// ---- sections ------------------------------------------------------------------------------

/// A PEM file named by server.tls.*: it must exist, be readable and look like PEM (the server
/// loads it fully at start).
void check_pem_file(reader& r, const entry& e, const std::string& path, const char* what) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) {
        r.report(e.line, e.path, std::string("no such file: ") + path);
        return;
    }
    std::ifstream in(path, std::ios::binary);
    std::string head(4096, '\0');
    in.read(head.data(), static_cast<std::streamsize>(head.size()));
    head.resize(static_cast<std::size_t>(std::max<std::streamsize>(in.gcount(), 0)));
    if (!in && !in.eof()) {
        r.report(e.line, e.path, "cannot read " + path);
    } else if (head.find("-----BEGIN") == std::string::npos) {
        r.report(e.line, e.path, path + " is not a PEM " + what);
    }
}

/// trusted_proxies, auth_failure_limit and tls.
void read_server_protection(reader& r, const map_view& m, server_config& s) {
    read_string_list(r, m, "trusted_proxies", s.trusted_proxies, address_items);
    if (auto le = m.get("auth_failure_limit")) {
        map_view lm(r, *le, {"max", "window_ms", "max_addresses"});
        read_int(r, lm, "max", s.auth_failure_limit.max, 0, 1'000'000);
        read_ms(r, lm, "window_ms", s.auth_failure_limit.window);
        read_int(r, lm, "max_addresses", s.auth_failure_limit.max_addresses, 1, 10'000'000);
    }
    if (auto te = m.get("tls"); te && !te->node.IsNull()) {
        map_view tm(r, *te, {"cert_file", "key_file"});
        if (!te->node.IsMap()) {
            return;
        }
        const auto read_file_key = [&](const char* key, const char* what, std::string& out) {
            auto fe = tm.get(key);
            if (!fe) {
                r.report(tm.line(), tm.child(key), "is required when tls is set");
                return false;
            }
            auto v = r.value(*fe);
            if (!v || v->text.empty()) {
                if (fe->node.IsNull() || v) {
                    r.report(fe->line, fe->path, "must not be empty");
                }
                return false;
            }
            const std::size_t before = r.problem_count();
            check_pem_file(r, *fe, v->text, what);
            out = v->text;
            return r.problem_count() == before;
        };
        server_config::tls_config tls;
        const bool cert_ok = read_file_key("cert_file", "certificate", tls.cert_file);
        const bool key_ok = read_file_key("key_file", "private key", tls.key_file);
        if (cert_ok && key_ok) {
            s.tls = std::move(tls);
        }
    }
}

bool is_any_address(const std::string& host) {
    return host == "0.0.0.0" || host == "::";
}

/// server.metrics_listen: absent, null or "" leaves /metrics on the main listener.
void read_metrics_listen(reader& r, const map_view& m, server_config& s) {
    auto e = m.get("metrics_listen");
    if (!e || e->node.IsNull()) {
        return;
    }
    auto v = r.value(*e);
    if (!v || v->text.empty()) {
        return;
    }
    std::string host;
    std::uint16_t port = 0;
    if (auto err = parse_listen(v->text, host, port)) {
        r.report(e->line, e->path, *err);
        return;
    }
    // Both listeners on one port cannot bind (port 0 picks a free port for each).
    if (port != 0 && port == s.port &&
        (host == s.host || is_any_address(host) || is_any_address(s.host))) {
        r.report(e->line, e->path,
                 "must not be the address of server.listen: give /metrics a port of its own");
        return;
    }
    s.metrics_listen = v->text;
    s.metrics_host = host;
    s.metrics_port = port;
}

void read_server(reader& r, const entry& e, server_config& s) {
    map_view m(
        r, e,
        {"listen", "threads", "max_body_bytes", "max_header_bytes", "read_timeout_ms",
         "idle_timeout_ms", "write_timeout_ms", "drain_timeout_ms", "max_connections",
         "header_timeout_ms", "trusted_proxies", "auth_failure_limit", "tls", "metrics_listen"});
    if (auto le = m.get("listen")) {
        if (le->node.IsNull()) {
            r.report(le->line, le->path, "must not be empty; expected host:port");
        } else if (auto v = r.value(*le)) {
            if (auto err = parse_listen(v->text, s.host, s.port)) {
                r.report(le->line, le->path, *err);
            } else {
                s.listen = v->text;
            }
        }
    }
    read_int(r, m, "threads", s.threads, 1, 1024);
    read_int(r, m, "max_body_bytes", s.max_body_bytes, 1, no_upper_bound);
    read_int(r, m, "max_header_bytes", s.max_header_bytes, 1024,
             std::numeric_limits<std::uint32_t>::max());
    read_ms(r, m, "read_timeout_ms", s.read_timeout);
    read_ms(r, m, "idle_timeout_ms", s.idle_timeout);
    read_ms(r, m, "write_timeout_ms", s.write_timeout);
    read_ms(r, m, "drain_timeout_ms", s.drain_timeout);
    read_int(r, m, "max_connections", s.max_connections, 1, 1'000'000);
    read_ms(r, m, "header_timeout_ms", s.header_timeout);
    read_server_protection(r, m, s);
    read_metrics_listen(r, m, s);
}

void read_ashby(reader& r, const entry& e, ashby_config& a) {
    map_view m(r, e,
               {"api_base_url", "api_key", "webhook_secrets", "connect_timeout_ms",
                "request_timeout_ms", "status_custom_field", "allow_http"});
    read_url(r, m, "api_base_url", a.api_base_url);
    read_bool(r, m, "allow_http", a.allow_http);
    check_api_url_scheme(r, m, a.api_base_url, a.allow_http);
    read_secret(r, m, "api_key", a.api_key, true);
    if (!read_secret_list(r, m, "webhook_secrets", a.webhook_secrets)) {
        auto se = m.get("webhook_secrets");
        r.report(se ? se->line : m.line(), m.child("webhook_secrets"),
                 "at least one webhook secret is required");
    } else if (auto se = m.get("webhook_secrets");
               se && se->node.IsSequence() && se->node.size() == 0) {
        r.report(se->line, se->path, "at least one webhook secret is required");
    }
    read_ms(r, m, "connect_timeout_ms", a.connect_timeout);
    read_ms(r, m, "request_timeout_ms", a.request_timeout);
    read_optional(r, m, "status_custom_field", a.status_custom_field);
}

void read_webhook_auth(reader& r, const map_view& parent, riskos_webhook_auth& w) {
    auto e = parent.get("webhook_auth");
    const entry section =
        e ? *e : entry{YAML::Node(), parent.line(), parent.line(), parent.child("webhook_auth")};
    const std::size_t problems_before = r.problem_count();
    map_view m(r, section, {"bearer_tokens", "basic"});
    read_secret_list(r, m, "bearer_tokens", w.bearer_tokens);
    if (auto be = m.get("basic")) {
        if (auto list = r.items(*be)) {
            std::vector<basic_credential> creds;
            for (const entry& item : *list) {
                if (item.node.IsNull()) {
                    r.report(item.line, item.path, "expected {username, password}");
                    continue;
                }
                if (item.node.IsScalar()) {
                    // "username:password", as in the Authorization header before base64.
                    auto v = r.value(item);
                    if (!v) {
                        continue;
                    }
                    const auto colon = v->text.find(':');
                    if (colon == std::string::npos || colon == 0 || colon + 1 == v->text.size()) {
                        r.report(item.line, item.path,
                                 "expected \"username:password\" or {username, password}");
                        continue;
                    }
                    creds.push_back({v->text.substr(0, colon), secret(v->text.substr(colon + 1))});
                    continue;
                }
                map_view cm(r, item, {"username", "password"});
                if (!item.node.IsMap()) {
                    continue;
                }
                basic_credential c;
                bool ok = true;
                if (!cm.has("username")) {
                    r.report(cm.line(), cm.child("username"), "is required");
                    ok = false;
                } else if (!read_string(r, cm, "username", c.username, true)) {
                    ok = false;
                } else if (c.username.find(':') != std::string::npos) {
                    r.report(cm.get("username")->line, cm.child("username"),
                             "must not contain ':'");
                    ok = false;
                }
                read_secret(r, cm, "password", c.password, true);
                if (ok && !c.password.empty()) {
                    creds.push_back(std::move(c));
                }
            }
            w.basic = std::move(creds);
        } else if (be->node.IsNull()) {
            w.basic.clear();
        }
    }
    // When a token or credential was given but is wrong, that problem says enough.
    if (r.problem_count() == problems_before && w.bearer_tokens.empty() && w.basic.empty()) {
        r.report(m.line(), m.path(), "at least one bearer token or basic credential is required");
    }
}

void read_docv(reader& r, const entry& e, docv_config& d) {
    map_view m(r, e,
               {"send_message", "language", "use_case_key", "document_type", "redirect_url",
                "redirect_method", "link_in_note", "link_lifetime_hours", "expiry_grace_ms"});
    read_bool(r, m, "send_message", d.send_message);
    read_string(r, m, "language", d.language, true);
    read_optional(r, m, "use_case_key", d.use_case_key);
    read_optional(r, m, "document_type", d.document_type);
    read_optional_url(r, m, "redirect_url", d.redirect_url);
    if (auto me = m.get("redirect_method")) {
        if (auto v = r.value(*me)) {
            const std::string method = to_upper(v->text);
            if (method == "GET" || method == "POST") {
                d.redirect_method = method;
            } else {
                r.report(me->line, me->path, "must be GET or POST");
            }
        }
    }
    read_bool(r, m, "link_in_note", d.link_in_note);
    long long hours = 0;
    if (read_int(r, m, "link_lifetime_hours", hours, 1, 24 * 365) != 0) {
        d.link_lifetime = std::chrono::hours(hours);
    }
    read_ms(r, m, "expiry_grace_ms", d.expiry_grace);
}

void read_riskos(reader& r, const entry& e, riskos_config& c) {
    map_view m(r, e,
               {"api_base_url", "api_key", "case_url_base", "api_version", "webhook_auth",
                "workflows", "docv", "connect_timeout_ms", "request_timeout_ms",
                "reconcile_after_ms", "reconcile_interval_ms", "allow_http"});
    read_url(r, m, "api_base_url", c.api_base_url);
    read_bool(r, m, "allow_http", c.allow_http);
    check_api_url_scheme(r, m, c.api_base_url, c.allow_http);
    read_secret(r, m, "api_key", c.api_key, true);
    read_url(r, m, "case_url_base", c.case_url_base);
    read_optional(r, m, "api_version", c.api_version);
    read_webhook_auth(r, m, c.webhook_auth);
    if (auto we = m.get("workflows")) {
        map_view wm(r, *we, {"screening", "document_verification"});
        read_string(r, wm, "screening", c.screening_workflow, true);
        read_string(r, wm, "document_verification", c.document_verification_workflow, true);
    }
    if (auto de = m.get("docv")) {
        read_docv(r, *de, c.docv);
    }
    read_ms(r, m, "connect_timeout_ms", c.connect_timeout);
    read_ms(r, m, "request_timeout_ms", c.request_timeout);
    read_ms(r, m, "reconcile_after_ms", c.reconcile_after);
    read_ms(r, m, "reconcile_interval_ms", c.reconcile_interval);
}

void read_triggers(reader& r, const entry& e, std::vector<trigger>& out) {
    auto list = r.items(e);
    if (!list) {
        if (e.node.IsNull()) {
            out.clear();
        }
        return;
    }
    std::vector<trigger> triggers;
    for (const entry& item : *list) {
        if (item.node.IsNull()) {
            r.report(item.line, item.path, "expected {action, stage?, flow}");
            continue;
        }
        map_view m(r, item, {"action", "stage", "flow"});
        if (!item.node.IsMap()) {
            continue;
        }
        trigger t;
        bool ok = true;
        if (auto ae = m.get("action")) {
            auto v = r.value(*ae);
            if (!v) {
                if (ae->node.IsNull()) {
                    r.report(ae->line, ae->path, "must not be empty");
                }
                ok = false;
            } else if (!is_known_ashby_action(v->text)) {
                r.report(ae->line, ae->path, "unknown Ashby webhook action" + shown(*v));
                ok = false;
            } else {
                t.action = v->text;
            }
        } else {
            r.report(m.line(), m.child("action"), "is required");
            ok = false;
        }
        read_optional(r, m, "stage", t.stage);
        if (auto fe = m.get("flow")) {
            auto v = r.value(*fe);
            std::optional<flow_kind> f = v ? parse_flow(v->text) : std::nullopt;
            if (!v) {
                if (fe->node.IsNull()) {
                    r.report(fe->line, fe->path, "must not be empty");
                }
                ok = false;
            } else if (!f) {
                r.report(fe->line, fe->path,
                         "unknown flow" + shown(*v) +
                             " (expected screening or "
                             "document_verification)");
                ok = false;
            } else {
                t.flow = *f;
            }
        } else {
            r.report(m.line(), m.child("flow"), "is required");
            ok = false;
        }
        if (ok) {
            triggers.push_back(std::move(t));
        }
    }
    out = std::move(triggers);
}

void read_consent(reader& r, const entry& e, consent_config& c) {
    map_view m(r, e, {"required", "question", "accepted", "tag"});
    read_bool(r, m, "required", c.required);
    read_string(r, m, "question", c.question, true);
    if (auto ae = m.get("accepted")) {
        if (auto list = r.items(*ae)) {
            std::vector<consent_answer> answers;
            for (const entry& item : *list) {
                auto v = r.value(item);
                if (!v) {
                    if (item.node.IsNull()) {
                        r.report(item.line, item.path, "must not be empty");
                    }
                    continue;
                }
                consent_answer a;
                const std::string l = to_lower(v->text);
                if (v->plain && (l == "true" || l == "false")) {
                    a.is_bool = true;
                    a.boolean = l == "true";
                } else if (v->text.empty()) {
                    r.report(item.line, item.path, "must not be empty");
                    continue;
                } else {
                    a.text = v->text;
                }
                answers.push_back(std::move(a));
            }
            c.accepted = std::move(answers);
        } else if (ae->node.IsNull()) {
            c.accepted.clear();
        }
    }
    read_optional(r, m, "tag", c.tag);
    if (c.required && c.accepted.empty()) {
        auto ae = m.get("accepted");
        r.report(ae ? ae->line : m.line(), m.child("accepted"),
                 "must list at least one accepted answer when consent.required is true");
    }
}

void read_tag_map(reader& r, const map_view& parent, std::string_view key, tag_map& out) {
    auto e = parent.get(key);
    if (!e) {
        return;
    }
    if (!r.is_map(*e)) {
        if (e->node.IsNull()) {
            out.clear();
        }
        return;
    }
    tag_map tags;
    for (const auto& kv : e->node) {
        const int key_line = line_of(kv.first);
        if (!kv.first.IsScalar()) {
            r.report(key_line, e->path, "a key must be a decision name");
            continue;
        }
        const std::string decision = kv.first.Scalar();
        const std::string path = join_path(e->path, decision);
        if (!is_decision_name(decision)) {
            r.report(key_line, path,
                     "'" + decision + "' is not an UPPER_CASE decision such as ACCEPT or REJECT");
            continue;
        }
        if (tags.count(decision) != 0) {
            r.report(key_line, path, "duplicate key");
            continue;
        }
        const entry value{kv.second, kv.second.IsNull() ? key_line : line_of(kv.second), key_line,
                          path};
        auto v = r.value(value);
        if (!v) {
            if (kv.second.IsNull()) {
                r.report(value.line, path, "tag title must not be empty");
            }
            continue;
        }
        if (v->text.empty()) {
            r.report(value.line, path, "tag title must not be empty");
            continue;
        }
        tags[decision] = v->text;
    }
    out = std::move(tags);
}

void read_tags(reader& r, const entry& e, tags_config& t) {
    map_view m(r, e, {"screening", "document_verification"});
    read_tag_map(r, m, "screening", t.screening);
    read_tag_map(r, m, "document_verification", t.document_verification);
}

void read_notes(reader& r, const entry& e, notes_config& n) {
    map_view m(r, e, {"notify_on", "is_private"});
    read_string_list(r, m, "notify_on", n.notify_on, decision_items);
    read_bool(r, m, "is_private", n.is_private);
}

void read_country(reader& r, const map_view& m, std::string_view key, std::string& out,
                  bool allow_empty) {
    auto e = m.get(key);
    if (!e) {
        return;
    }
    auto v = r.value(*e);
    if (!v) {
        if (e->node.IsNull() && allow_empty) {
            out.clear();
        } else if (e->node.IsNull()) {
            r.report(e->line, e->path, "must be a two-letter country code such as US");
        }
        return;
    }
    if (v->text.empty() && allow_empty) {
        out.clear();
    } else if (!is_alpha2(v->text)) {
        r.report(e->line, e->path, "must be a two-letter country code such as US");
    } else {
        out = to_upper(v->text);
    }
}

void read_mapping(reader& r, const entry& e, mapping_config& c) {
    map_view m(r, e,
               {"default_phone_region", "default_country", "custom_fields", "required_fields"});
    read_country(r, m, "default_phone_region", c.default_phone_region, false);
    read_country(r, m, "default_country", c.default_country, true);
    if (auto ce = m.get("custom_fields")) {
        if (auto list = r.items(*ce)) {
            std::vector<field_mapping> fields;
            for (const entry& item : *list) {
                if (item.node.IsNull()) {
                    r.report(item.line, item.path, "expected {ashby_field, riskos_field}");
                    continue;
                }
                map_view fm(r, item, {"ashby_field", "riskos_field", "transform"});
                if (!item.node.IsMap()) {
                    continue;
                }
                field_mapping f;
                bool ok = true;
                for (std::string_view k : {"ashby_field", "riskos_field"}) {
                    if (!fm.has(k)) {
                        r.report(fm.line(), fm.child(k), "is required");
                        ok = false;
                    }
                }
                ok = (!fm.has("ashby_field") ||
                      read_string(r, fm, "ashby_field", f.ashby_field, true)) &&
                     ok;
                if (fm.has("riskos_field")) {
                    if (!read_string(r, fm, "riskos_field", f.riskos_field, true)) {
                        ok = false;
                    } else if (!is_field_path(f.riskos_field)) {
                        r.report(fm.get("riskos_field")->line, fm.child("riskos_field"),
                                 "must be a dotted field path such as address.postal_code");
                        ok = false;
                    }
                }
                if (auto te = fm.get("transform"); te && r.is_map(*te)) {
                    for (const auto& kv : te->node) {
                        const int key_line = line_of(kv.first);
                        if (!kv.first.IsScalar()) {
                            r.report(key_line, te->path, "a key must be a single value");
                            ok = false;
                            continue;
                        }
                        const std::string from = kv.first.Scalar();
                        const std::string path = join_path(te->path, from);
                        const entry value{kv.second,
                                          kv.second.IsNull() ? key_line : line_of(kv.second),
                                          key_line, path};
                        if (kv.second.IsNull()) {
                            f.transform[from] = "";
                        } else if (auto v = r.value(value)) {
                            f.transform[from] = v->text;
                        } else {
                            ok = false;
                        }
                    }
                }
                if (ok) {
                    fields.push_back(std::move(f));
                }
            }
            c.custom_fields = std::move(fields);
        } else if (ce->node.IsNull()) {
            c.custom_fields.clear();
        }
    }
    // A name the mapping never fills would hold every screening back as "missing".
    const item_rule mapped_fields{
        [&c](std::string_view f) {
            return is_standard_field(f) ||
                   std::any_of(c.custom_fields.begin(), c.custom_fields.end(),
                               [&](const field_mapping& m) { return m.riskos_field == f; });
        },
        "a field the mapping fills (given_name, family_name, email, phone_number, ip_address, "
        "address, address.locality, address.major_admin_division, address.country) or the "
        "riskos_field of a mapping.custom_fields entry"};
    read_string_list(r, m, "required_fields", c.required_fields, mapped_fields);
}

/// A data key as the file writes it: 64 hex digits, or base64 (standard or URL-safe alphabet,
/// padding optional). The decoded bytes, or nullopt when it is neither.
std::optional<std::string> decode_data_key(std::string_view s) {
    if (s.size() == 64) {
        if (auto bytes = hex_decode(s)) {
            return bytes;
        }
    }
    return base64_decode(s, base64_alphabet::standard_or_url);
}

/// store.encryption: { keys: [{id, key}, ...] }. Absent or null: not encrypted.
void read_encryption(reader& r, const map_view& parent, store_encryption_config& out) {
    auto e = parent.get("encryption");
    if (!e || e->node.IsNull()) {
        return;
    }
    map_view m(r, *e, {"keys"});
    if (!e->node.IsMap()) {
        return;
    }
    constexpr const char* need_key =
        "at least one key is required (or remove store.encryption and set "
        "store.allow_unencrypted: true to store data unencrypted)";
    auto ke = m.get("keys");
    if (!ke || ke->node.IsNull()) {
        r.report(ke ? ke->line : m.line(), m.child("keys"), need_key);
        return;
    }
    auto list = r.items(*ke);
    if (!list) {
        return;
    }
    if (list->empty()) {
        r.report(ke->line, ke->path, need_key);
        return;
    }
    std::vector<data_key_config> keys;
    std::map<std::string, std::string> ids;  // id -> path of the key that has it
    bool ok = true;
    for (const entry& item : *list) {
        if (item.node.IsNull()) {
            r.report(item.line, item.path, "expected {id, key}");
            ok = false;
            continue;
        }
        map_view km(r, item, {"id", "key"});
        if (!item.node.IsMap()) {
            ok = false;
            continue;
        }
        data_key_config k;
        if (!km.has("id")) {
            r.report(km.line(), km.child("id"), "is required");
            ok = false;
        } else if (!read_string(r, km, "id", k.id, true)) {
            ok = false;
        } else if (!is_token(k.id)) {
            r.report(km.get("id")->line, km.child("id"),
                     "must be 1 to 64 letters, digits, '.', '_' or '-'");
            ok = false;
        } else if (auto [it, fresh] = ids.emplace(k.id, item.path); !fresh) {
            r.report(km.get("id")->line, km.child("id"),
                     "duplicate key id (also the id of " + it->second + ")");
            ok = false;
        }
        if (!km.has("key")) {
            r.report(km.line(), km.child("key"), "is required");
            ok = false;
            continue;
        }
        const entry key_entry = *km.get("key");
        auto v = r.value(key_entry);
        if (!v) {
            if (key_entry.node.IsNull()) {
                r.report(key_entry.line, key_entry.path, "is empty");
            }
            ok = false;
            continue;
        }
        if (v->text.empty()) {
            r.report(key_entry.line, key_entry.path, "is empty");
            ok = false;
            continue;
        }
        // Never echo the value: it is the key.
        auto bytes = decode_data_key(v->text);
        if (!bytes || bytes->size() != 32) {
            r.report(key_entry.line, key_entry.path,
                     "must be 32 bytes written as base64 (44 characters, e.g. from "
                     "`openssl rand -base64 32`) or as 64 hex digits");
            ok = false;
            continue;
        }
        k.key = secret(std::move(*bytes));
        keys.push_back(std::move(k));
    }
    if (ok) {
        out.keys = std::move(keys);
    }
}

void read_store(reader& r, const entry& e, store_config& s) {
    map_view m(r, e,
               {"sqlite_path", "postgres_url", "postgres_pool_size", "max_pending_writes",
                "lease_ms", "retention_days", "encryption", "allow_unencrypted"});
    std::string sqlite;
    bool sqlite_bad = false;
    if (auto se = m.get("sqlite_path"); se && !se->node.IsNull()) {
        if (auto v = r.value(*se)) {
            sqlite = v->text;
        } else {
            sqlite_bad = true;
        }
    }
    secret pg;
    bool pg_bad = false;
    if (auto pe = m.get("postgres_url"); pe && !pe->node.IsNull()) {
        if (auto v = r.value(*pe)) {
            pg = secret(v->text);
        } else {
            pg_bad = true;
        }
    }
    const bool sqlite_given = m.get("sqlite_path").has_value();
    const bool pg_given = m.get("postgres_url").has_value();
    if (!sqlite_bad && !pg_bad) {
        if (!sqlite.empty() && !pg.empty()) {
            r.report(m.get("postgres_url")->line, m.path(),
                     "set exactly one of sqlite_path or postgres_url, not both");
        } else if (!pg.empty()) {
            s.postgres_url = std::move(pg);
            s.sqlite_path.reset();
        } else if (!sqlite.empty()) {
            s.sqlite_path = sqlite;
            s.postgres_url.reset();
        } else if (sqlite_given || pg_given) {
            const auto first = sqlite_given ? m.get("sqlite_path") : m.get("postgres_url");
            r.report(first->line, m.path(),
                     "set exactly one of sqlite_path or postgres_url (both are empty)");
        }
    }
    read_int(r, m, "postgres_pool_size", s.postgres_pool_size, 1, 1000);
    read_int(r, m, "max_pending_writes", s.max_pending_writes, 1, 100'000'000);
    read_ms(r, m, "lease_ms", s.lease);
    read_int(r, m, "retention_days", s.retention_days, 1, 36'500);
    read_encryption(r, m, s.encryption);
    read_bool(r, m, "allow_unencrypted", s.allow_unencrypted);
    // Encryption is the default, not an option: the store holds names, emails, phones and
    // addresses. A store.encryption that is there but wrong has been reported already.
    const auto enc = m.get("encryption");
    if (!s.encryption.enabled() && !s.allow_unencrypted && (!enc || enc->node.IsNull())) {
        r.report(enc ? enc->line : m.line(), m.child("encryption"),
                 "is required: the store holds applicants' personal data. Add "
                 "keys: [{id: \"1\", key: \"${RISKBRIDGE_DATA_KEY}\"}] with a key made by "
                 "`openssl rand -base64 32`, or set store.allow_unencrypted: true to keep it "
                 "in clear");
    }
}

void read_workers(reader& r, const entry& e, workers_config& w) {
    map_view m(
        r, e, {"threads", "max_attempts", "backoff_base_ms", "backoff_max_ms", "poll_interval_ms"});
    read_int(r, m, "threads", w.threads, 1, 1024);
    read_int(r, m, "max_attempts", w.max_attempts, 1, 1000);
    // 0 is allowed: retries at once (tests, or an upstream known to recover quickly).
    const int base_line = read_ms(r, m, "backoff_base_ms", w.backoff_base, 0);
    const int max_line = read_ms(r, m, "backoff_max_ms", w.backoff_max, 0);
    read_ms(r, m, "poll_interval_ms", w.poll_interval);
    if (w.backoff_base > w.backoff_max) {
        const int line = base_line != 0 ? base_line : (max_line != 0 ? max_line : m.line());
        r.report(line, m.child(base_line != 0 ? "backoff_base_ms" : "backoff_max_ms"),
                 "backoff_base_ms (" + std::to_string(w.backoff_base.count()) +
                     ") must not exceed backoff_max_ms (" + std::to_string(w.backoff_max.count()) +
                     ")");
    }
}

void read_logging(reader& r, const entry& e, logging_config& l) {
    map_view m(r, e, {"level", "format"});
    if (auto le = m.get("level")) {
        if (auto v = r.value(*le)) {
            static constexpr std::array<std::string_view, 7> levels{
                "trace", "debug", "info", "warn", "error", "critical", "off"};
            const std::string lv = to_lower(v->text);
            if (std::find(levels.begin(), levels.end(), lv) != levels.end()) {
                l.level = lv;
            } else {
                r.report(le->line, le->path,
                         "must be one of trace, debug, info, warn, error, critical, off");
            }
        }
    }
    if (auto fe = m.get("format")) {
        if (auto v = r.value(*fe)) {
            const std::string f = to_lower(v->text);
            if (f == "json" || f == "text") {
                l.format = f;
            } else {
                r.report(fe->line, fe->path, "must be json or text");
            }
        }
    }
}

void read_config(reader& r, const YAML::Node& root, config& cfg) {
    const entry top{root, root.IsNull() ? 0 : line_of(root), 0, ""};
    if (!root.IsNull() && !root.IsMap()) {
        r.report(
            top.line, whole_file,
            std::string("expected a mapping of sections at the top level, got ") + type_name(root));
        return;
    }
    map_view m(r, top,
               {"server", "ashby", "riskos", "triggers", "consent", "tags", "notes", "mapping",
                "store", "workers", "logging"});
    // Required sections are read even when absent, so their required keys are reported.
    const auto section = [&](std::string_view key) {
        auto e = m.get(key);
        return e ? *e : entry{YAML::Node(), 0, 0, std::string(key)};
    };
    read_server(r, section("server"), cfg.server);
    read_ashby(r, section("ashby"), cfg.ashby);
    read_riskos(r, section("riskos"), cfg.riskos);
    if (auto e = m.get("triggers")) {
        read_triggers(r, *e, cfg.triggers);
    }
    read_consent(r, section("consent"), cfg.consent);
    read_tags(r, section("tags"), cfg.tags);
    read_notes(r, section("notes"), cfg.notes);
    read_mapping(r, section("mapping"), cfg.mapping);
    read_store(r, section("store"), cfg.store);
    read_workers(r, section("workers"), cfg.workers);
    read_logging(r, section("logging"), cfg.logging);
}

// ---- dump ----------------------------------------------------------------------------------

void put(YAML::Emitter& out, const char* key, const std::string& value) {
    out << YAML::Key << key << YAML::Value << YAML::DoubleQuoted << value;
}

void put(YAML::Emitter& out, const char* key, const std::optional<std::string>& value) {
    out << YAML::Key << key << YAML::Value;
    if (value) {
        out << YAML::DoubleQuoted << *value;
    } else {
        out << YAML::Null;
    }
}

void put(YAML::Emitter& out, const char* key, const secret& value) {
    out << YAML::Key << key << YAML::Value << YAML::DoubleQuoted << value.redacted();
}

void put(YAML::Emitter& out, const char* key, long long value) {
    out << YAML::Key << key << YAML::Value << value;
}

void put(YAML::Emitter& out, const char* key, bool value) {
    out << YAML::Key << key << YAML::Value << value;
}

void put(YAML::Emitter& out, const char* key, milliseconds value) {
    put(out, key, static_cast<long long>(value.count()));
}

void put(YAML::Emitter& out, const char* key, const std::vector<secret>& values) {
    out << YAML::Key << key << YAML::Value << YAML::BeginSeq;
    for (const auto& v : values) {
        out << YAML::DoubleQuoted << v.redacted();
    }
    out << YAML::EndSeq;
}

void put(YAML::Emitter& out, const char* key, const std::vector<std::string>& values) {
    out << YAML::Key << key << YAML::Value << YAML::Flow << YAML::BeginSeq;
    for (const auto& v : values) {
        out << YAML::DoubleQuoted << v;
    }
    out << YAML::EndSeq;
}

void put(YAML::Emitter& out, const char* key, const std::map<std::string, std::string>& values) {
    out << YAML::Key << key << YAML::Value << YAML::BeginMap;
    for (const auto& [k, v] : values) {
        out << YAML::Key << YAML::DoubleQuoted << k << YAML::Value << YAML::DoubleQuoted << v;
    }
    out << YAML::EndMap;
}

void begin(YAML::Emitter& out, const char* key) {
    out << YAML::Key << key << YAML::Value << YAML::BeginMap;
}

void emit(YAML::Emitter& out, const config& cfg) {
    out << YAML::BeginMap;

    const server_config& s = cfg.server;
    begin(out, "server");
    put(out, "listen", s.listen);
    put(out, "threads", static_cast<long long>(s.threads));
    put(out, "max_body_bytes", static_cast<long long>(s.max_body_bytes));
    put(out, "max_header_bytes", static_cast<long long>(s.max_header_bytes));
    put(out, "read_timeout_ms", s.read_timeout);
    put(out, "idle_timeout_ms", s.idle_timeout);
    put(out, "write_timeout_ms", s.write_timeout);
    put(out, "drain_timeout_ms", s.drain_timeout);
    put(out, "max_connections", static_cast<long long>(s.max_connections));
    put(out, "header_timeout_ms", s.header_timeout);
    put(out, "trusted_proxies", s.trusted_proxies);
    begin(out, "auth_failure_limit");
    put(out, "max", static_cast<long long>(s.auth_failure_limit.max));
    put(out, "window_ms", s.auth_failure_limit.window);
    put(out, "max_addresses", static_cast<long long>(s.auth_failure_limit.max_addresses));
    out << YAML::EndMap;
    out << YAML::Key << "tls" << YAML::Value;
    if (s.tls) {
        out << YAML::BeginMap;
        put(out, "cert_file", s.tls->cert_file);
        put(out, "key_file", s.tls->key_file);
        out << YAML::EndMap;
    } else {
        out << YAML::Null;
    }
    put(out, "metrics_listen", s.metrics_listen);
    out << YAML::EndMap;

    const ashby_config& a = cfg.ashby;
    begin(out, "ashby");
    put(out, "api_base_url", a.api_base_url);
    put(out, "api_key", a.api_key);
    put(out, "webhook_secrets", a.webhook_secrets);
    put(out, "connect_timeout_ms", a.connect_timeout);
    put(out, "request_timeout_ms", a.request_timeout);
    put(out, "status_custom_field", a.status_custom_field);
    put(out, "allow_http", a.allow_http);
    out << YAML::EndMap;

    const riskos_config& r = cfg.riskos;
    begin(out, "riskos");
    put(out, "api_base_url", r.api_base_url);
    put(out, "api_key", r.api_key);
    put(out, "case_url_base", r.case_url_base);
    put(out, "api_version", r.api_version);
    begin(out, "webhook_auth");
    put(out, "bearer_tokens", r.webhook_auth.bearer_tokens);
    out << YAML::Key << "basic" << YAML::Value << YAML::BeginSeq;
    for (const auto& b : r.webhook_auth.basic) {
        out << YAML::BeginMap;
        put(out, "username", b.username);
        put(out, "password", b.password);
        out << YAML::EndMap;
    }
    out << YAML::EndSeq << YAML::EndMap;
    begin(out, "workflows");
    put(out, "screening", r.screening_workflow);
    put(out, "document_verification", r.document_verification_workflow);
    out << YAML::EndMap;
    begin(out, "docv");
    put(out, "send_message", r.docv.send_message);
    put(out, "language", r.docv.language);
    put(out, "use_case_key", r.docv.use_case_key);
    put(out, "document_type", r.docv.document_type);
    put(out, "redirect_url", r.docv.redirect_url);
    put(out, "redirect_method", r.docv.redirect_method);
    put(out, "link_in_note", r.docv.link_in_note);
    put(out, "link_lifetime_hours",
        static_cast<long long>(
            std::chrono::duration_cast<std::chrono::hours>(r.docv.link_lifetime).count()));
    put(out, "expiry_grace_ms", r.docv.expiry_grace);
    out << YAML::EndMap;
    put(out, "connect_timeout_ms", r.connect_timeout);
    put(out, "request_timeout_ms", r.request_timeout);
    put(out, "reconcile_after_ms", r.reconcile_after);
    put(out, "reconcile_interval_ms", r.reconcile_interval);
    put(out, "allow_http", r.allow_http);
    out << YAML::EndMap;

    out << YAML::Key << "triggers" << YAML::Value << YAML::BeginSeq;
    for (const auto& t : cfg.triggers) {
        out << YAML::Flow << YAML::BeginMap;
        put(out, "action", t.action);
        if (t.stage) {
            put(out, "stage", *t.stage);
        }
        put(out, "flow", std::string(to_string(t.flow)));
        out << YAML::EndMap;
    }
    out << YAML::EndSeq;

    const consent_config& c = cfg.consent;
    begin(out, "consent");
    put(out, "required", c.required);
    put(out, "question", c.question);
    out << YAML::Key << "accepted" << YAML::Value << YAML::Flow << YAML::BeginSeq;
    for (const auto& ans : c.accepted) {
        if (ans.is_bool) {
            out << ans.boolean;
        } else {
            out << YAML::DoubleQuoted << ans.text;
        }
    }
    out << YAML::EndSeq;
    put(out, "tag", c.tag);
    out << YAML::EndMap;

    begin(out, "tags");
    put(out, "screening", cfg.tags.screening);
    put(out, "document_verification", cfg.tags.document_verification);
    out << YAML::EndMap;

    begin(out, "notes");
    put(out, "notify_on", cfg.notes.notify_on);
    put(out, "is_private", cfg.notes.is_private);
    out << YAML::EndMap;

    const mapping_config& mp = cfg.mapping;
    begin(out, "mapping");
    put(out, "default_phone_region", mp.default_phone_region);
    put(out, "default_country", mp.default_country);
    out << YAML::Key << "custom_fields" << YAML::Value << YAML::BeginSeq;
    for (const auto& f : mp.custom_fields) {
        out << YAML::BeginMap;
        put(out, "ashby_field", f.ashby_field);
        put(out, "riskos_field", f.riskos_field);
        put(out, "transform", f.transform);
        out << YAML::EndMap;
    }
    out << YAML::EndSeq;
    put(out, "required_fields", mp.required_fields);
    out << YAML::EndMap;

    const store_config& st = cfg.store;
    begin(out, "store");
    put(out, "sqlite_path", st.sqlite_path);
    out << YAML::Key << "postgres_url" << YAML::Value;
    if (st.postgres_url) {
        out << YAML::DoubleQuoted << st.postgres_url->redacted();
    } else {
        out << YAML::Null;
    }
    put(out, "postgres_pool_size", static_cast<long long>(st.postgres_pool_size));
    put(out, "max_pending_writes", static_cast<long long>(st.max_pending_writes));
    put(out, "lease_ms", st.lease);
    put(out, "retention_days", static_cast<long long>(st.retention_days));
    out << YAML::Key << "encryption" << YAML::Value;
    if (st.encryption.enabled()) {
        out << YAML::BeginMap << YAML::Key << "keys" << YAML::Value << YAML::BeginSeq;
        for (const auto& k : st.encryption.keys) {
            out << YAML::Flow << YAML::BeginMap;
            put(out, "id", k.id);
            put(out, "key", k.key);
            out << YAML::EndMap;
        }
        out << YAML::EndSeq << YAML::EndMap;
    } else {
        out << YAML::Null;
    }
    put(out, "allow_unencrypted", st.allow_unencrypted);
    out << YAML::EndMap;

    const workers_config& w = cfg.workers;
    begin(out, "workers");
    put(out, "threads", static_cast<long long>(w.threads));
    put(out, "max_attempts", static_cast<long long>(w.max_attempts));
    put(out, "backoff_base_ms", w.backoff_base);
    put(out, "backoff_max_ms", w.backoff_max);
    put(out, "poll_interval_ms", w.poll_interval);
    out << YAML::EndMap;

    begin(out, "logging");
    put(out, "level", cfg.logging.level);
    put(out, "format", cfg.logging.format);
    out << YAML::EndMap;

    out << YAML::EndMap;
}

std::optional<std::string> read_file(const std::string& path) {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) {
        return std::nullopt;
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        return std::nullopt;
    }
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (in.bad()) {
        return std::nullopt;
    }
    return text;
}

/// The key path a line of YAML text sits under, from the block-style keys above it (a syntax
/// error leaves no tree to ask): "ashby.api_key" for the line of that key or for one inside
/// its value; "config" before the first key.
std::string key_path_at(std::string_view text, int line) {
    std::vector<std::pair<std::size_t, std::string>> stack;  // (indent, key)
    int n = 0;
    std::size_t pos = 0;
    while (pos <= text.size() && ++n <= line) {
        const std::size_t end = std::min(text.find('\n', pos), text.size());
        std::string_view l = text.substr(pos, end - pos);
        pos = end + 1;
        std::size_t indent = l.find_first_not_of(' ');
        if (indent == std::string_view::npos || l[indent] == '#') {
            continue;
        }
        if (l.compare(indent, 2, "- ") == 0) {  // a list item's first key
            indent = l.find_first_not_of(' ', indent + 2);
            if (indent == std::string_view::npos) {
                continue;
            }
        }
        std::size_t k = indent;
        while (k < l.size() && (std::isalnum(static_cast<unsigned char>(l[k])) != 0 ||
                                l[k] == '_' || l[k] == '-')) {
            ++k;
        }
        if (k == indent || k >= l.size() || l[k] != ':') {
            continue;  // not `key:` (a continuation, a scalar item, a flow collection)
        }
        while (!stack.empty() && stack.back().first >= indent) {
            stack.pop_back();
        }
        stack.emplace_back(indent, std::string(l.substr(indent, k - indent)));
    }
    std::string path;
    for (const auto& [indent, key] : stack) {
        path += (path.empty() ? "" : ".") + key;
    }
    return path.empty() ? whole_file : path;
}

}  // namespace

std::string format_problem(const problem& p) {
    std::string out = p.file + ":" + std::to_string(p.line) + ": ";
    if (!p.key_path.empty()) {
        out += p.key_path + ": ";
    }
    return out + p.message;
}

env_lookup process_env() {
    return [](std::string_view name) -> std::optional<std::string> {
        const char* v = std::getenv(std::string(name).c_str());
        if (v == nullptr) {
            return std::nullopt;
        }
        return std::string(v);
    };
}

load_result load_config(const std::string& path, const env_lookup& env) {
    std::optional<std::string> text;
    try {
        text = read_file(path);
    } catch (const std::exception&) {
        text.reset();
    }
    if (!text) {
        load_result res;
        res.cfg.source_path = path;
        res.problems.push_back({path, 1, whole_file, "cannot read file"});
        return res;
    }
    return load_config_text(*text, path, env);
}

load_result load_config_text(std::string_view yaml_text, const std::string& path,
                             const env_lookup& env) {
    load_result res;
    res.cfg.source_path = path;
    reader r(path, env);
    r.set_text(yaml_text);
    try {
        const YAML::Node root = YAML::Load(std::string(yaml_text));
        read_config(r, root, res.cfg);
    } catch (const YAML::Exception& e) {
        const int line = e.mark.is_null() ? 1 : e.mark.line + 1;
        r.report(line, key_path_at(yaml_text, line), "YAML syntax error: " + e.msg);
    } catch (const std::exception&) {
        r.report(1, whole_file, "internal error while reading the configuration");
    }
    res.problems = r.take_problems();
    return res;
}

std::string redacted_dump(const config& cfg) {
    try {
        YAML::Emitter out;
        emit(out, cfg);
        std::string source = cfg.source_path;
        std::replace(source.begin(), source.end(), '\n', ' ');
        std::string header = "# effective configuration";
        if (!source.empty()) {
            header += " from " + source;
        }
        return header + " (secrets redacted)\n" + std::string(out.c_str()) + "\n";
    } catch (const std::exception&) {
        return "# the configuration could not be written\n";
    }
}

}  // namespace riskbridge::config
