#pragma once

// What a configuration value must look like: names, country codes, URLs and their hosts, IP
// addresses, CIDRs, host:port, field paths, data keys, and the checks that report on a value
// read (a URL, an API URL's scheme, a PEM file). Private to the config module.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "config/yaml_reader.hpp"

namespace riskbridge::config::detail {

/// UPPER_CASE decision names: ACCEPT, REVIEW, REJECT, RESUBMIT, ...
bool is_decision_name(std::string_view s);

/// A decision written with upper-case letters and underscores only (no digits): ACCEPT,
/// RESUBMIT, MANUAL_REVIEW.
bool is_decision_word(std::string_view s);

/// Ashby's candidate fraud statuses (candidate.setFraudStatus): Fraudulent, NotFraudulent or
/// Unsure, exactly so.
bool is_ashby_fraud_status(std::string_view s);

/// What an event type RiskOS may send looks like: letters, digits, '_', '.' and '-', 1 to
/// max_event_name_chars characters.
inline constexpr std::size_t max_event_name_chars = 64;
bool is_event_name(std::string_view s);

bool is_alpha2(std::string_view s);

bool is_http_url(std::string_view s);

/// The host of an http:// or https:// URL: what comes between "://" and the next '/', '?' or
/// '#', without user info or port, an IPv6 literal without its brackets, in lower case.
std::string url_host(std::string_view url);

/// localhost, 127.0.0.0/8 or ::1: traffic to it never leaves this host.
bool is_loopback_host(const std::string& host);

/// A dotted path of identifiers, e.g. address.postal_code.
bool is_field_path(std::string_view s);

/// The fields of data.individual (and ip_address) the mapping fills from Ashby's own data;
/// any other needs a mapping.custom_fields entry.
bool is_standard_field(std::string_view s);

bool is_ipv4(const std::string& s);

bool is_ipv6(const std::string& s);

bool is_hostname(std::string_view s);

/// Parses `host:port` or `[ipv6]:port`; returns a message when it is malformed.
std::optional<std::string> parse_listen(const std::string& s, std::string& host,
                                        std::uint16_t& port);

bool is_cidr(std::string_view s);

bool is_any_address(const std::string& host);

/// A data key as the file writes it: 64 hex digits, or base64 (standard or URL-safe alphabet,
/// padding optional). The decoded bytes, or nullopt when it is neither.
std::optional<std::string> decode_data_key(std::string_view s);

bool check_url(reader& r, const entry& e, const scalar& v);

/// An api_base_url carries the API key on every call, so it must be https://, unless its host
/// is loopback or `allow_http: true` (a key of the same section) accepts plain HTTP explicitly.
/// `url` is the value read (the default when the key is absent or was wrong).
void check_api_url_scheme(reader& r, const map_view& m, const std::string& url, bool allow_http);

/// A PEM file named by server.tls.*: it must exist, be readable and look like PEM (the server
/// loads it fully at start).
void check_pem_file(reader& r, const entry& e, const std::string& path, const char* what);

}  // namespace riskbridge::config::detail
