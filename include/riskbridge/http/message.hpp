#pragma once

// Plain HTTP messages, free of Beast, so request handling is a function of the request that
// tests call without sockets.

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace riskbridge::http {

struct request {
    std::string method;  ///< "GET", "POST", ...
    std::string target;  ///< path and query as received
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    std::string remote_address;  ///< peer ip, for logs and rate limits
    std::string request_id;      ///< assigned by the server, echoed as X-Request-Id

    /// Case-insensitive header lookup; the first match wins.
    std::optional<std::string_view> header(std::string_view name) const;
    /// target without the query string
    std::string_view path() const;
};

struct response {
    unsigned status = 200;
    std::string body;
    std::string content_type = "application/json";
    std::vector<std::pair<std::string, std::string>> headers;
    /// Close the connection without writing anything (the simulators' "dropped connection"
    /// fault); the daemon's own handler never sets it.
    bool close_without_answer = false;
};

/// {"status": status_word} or {"error": code, "message": message} bodies with a status code.
response json_status(unsigned status, std::string_view status_word);
response json_error(unsigned status, std::string_view code, std::string_view message);
/// 404 for a path no route serves.
response not_found();
/// 405 with `Allow: <allow>`; `message` says which method to use.
response method_not_allowed(std::string_view message, std::string_view allow);

/// Whether a request's body framing can be trusted, judged on its headers before any of the
/// body is read. Where this server and a proxy in front of it could disagree on where the body
/// ends, bytes meant as body could be taken for a second request (request smuggling), so the
/// only Transfer-Encoding accepted is a single `chunked`; everything else ends the connection.
enum class framing {
    ok,                        ///< no Transfer-Encoding, or exactly `chunked` in HTTP/1.1
    bad_transfer_encoding,     ///< a coding other than one final `chunked`: none, several, empty
    with_content_length,       ///< Transfer-Encoding and Content-Length together
    http10_transfer_encoding,  ///< Transfer-Encoding in an HTTP/1.0 request
};
const char* to_string(framing f) noexcept;

/// `transfer_encodings` holds the value of every Transfer-Encoding field line, in order (several
/// lines are one comma-separated list); `version` is 10 or 11. Codings compare without letter
/// case; any parameter, empty list element or second coding makes the framing bad.
framing check_framing(const std::vector<std::string_view>& transfer_encodings,
                      bool has_content_length, unsigned version);

}  // namespace riskbridge::http
