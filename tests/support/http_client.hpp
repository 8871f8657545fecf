#pragma once

// A deliberately small blocking HTTP/1.1 client over POSIX sockets for integration tests: it
// can send exactly the bytes a test wants (slow, partial, malformed) and read one answer.

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace riskbridge::testing {

struct http_reply {
    int status = 0;
    std::map<std::string, std::string> headers;  ///< names lower-cased
    std::string body;
    std::string header(const std::string& lower_name) const {
        auto it = headers.find(lower_name);
        return it == headers.end() ? std::string{} : it->second;
    }
};

using header_list = std::vector<std::pair<std::string, std::string>>;

/// The bytes of one request with Host and Content-Length set.
std::string build_request(std::string_view method, std::string_view target, std::string_view body,
                          const header_list& headers = {}, bool keep_alive = true);

class http_connection {
public:
    http_connection() = default;
    ~http_connection();
    http_connection(http_connection&& other) noexcept;
    http_connection& operator=(http_connection&& other) noexcept;
    http_connection(const http_connection&) = delete;
    http_connection& operator=(const http_connection&) = delete;

    /// Connects to 127.0.0.1:port; false on failure.
    bool connect(std::uint16_t port);
    bool is_open() const noexcept { return fd_ >= 0; }
    bool send_raw(std::string_view bytes);
    /// Reads one response (Content-Length or chunked body). nullopt on timeout, EOF or junk.
    /// Interim 1xx answers are skipped unless `return_interim`.
    std::optional<http_reply> read_reply(std::chrono::milliseconds timeout,
                                         bool return_interim = false);
    /// Sends a request and reads its answer.
    std::optional<http_reply> request(std::string_view method, std::string_view target,
                                      std::string_view body = {}, const header_list& headers = {},
                                      std::chrono::milliseconds timeout = std::chrono::seconds(10));
    /// True when the peer closes the connection (EOF or reset) within `timeout`; any bytes
    /// that arrive meanwhile are discarded.
    bool wait_closed(std::chrono::milliseconds timeout);
    void close();

private:
    bool fill(std::chrono::steady_clock::time_point deadline);
    int fd_ = -1;
    std::string buffer_;
};

/// One request on a fresh connection.
std::optional<http_reply> http_request(
    std::uint16_t port, std::string_view method, std::string_view target,
    std::string_view body = {}, const header_list& headers = {},
    std::chrono::milliseconds timeout = std::chrono::seconds(10));

}  // namespace riskbridge::testing
