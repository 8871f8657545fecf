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

}  // namespace riskbridge::http
