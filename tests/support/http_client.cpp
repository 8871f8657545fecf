#include "support/http_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>

namespace riskbridge::testing {

namespace {

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

std::string trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
        s.remove_suffix(1);
    return std::string(s);
}

}  // namespace

std::string build_request(std::string_view method, std::string_view target, std::string_view body,
                          const header_list& headers, bool keep_alive) {
    std::string out;
    out.append(method).append(" ").append(target).append(" HTTP/1.1\r\nHost: 127.0.0.1\r\n");
    bool has_length = false;
    for (const auto& [k, v] : headers) {
        out.append(k).append(": ").append(v).append("\r\n");
        if (lower(k) == "content-length" || lower(k) == "transfer-encoding")
            has_length = true;
    }
    if (!has_length && (!body.empty() || method == "POST" || method == "PUT")) {
        out.append("Content-Length: ").append(std::to_string(body.size())).append("\r\n");
    }
    if (!keep_alive)
        out.append("Connection: close\r\n");
    out.append("\r\n").append(body);
    return out;
}

http_connection::~http_connection() {
    close();
}

http_connection::http_connection(http_connection&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), buffer_(std::move(other.buffer_)) {}

http_connection& http_connection::operator=(http_connection&& other) noexcept {
    if (this != &other) {
        close();
        fd_ = std::exchange(other.fd_, -1);
        buffer_ = std::move(other.buffer_);
    }
    return *this;
}

bool http_connection::connect(std::uint16_t port) {
    close();
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0)
        return false;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        close();
        return false;
    }
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return true;
}

bool http_connection::send_raw(std::string_view bytes) {
    while (!bytes.empty() && fd_ >= 0) {
        const auto n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return false;
        }
        bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return bytes.empty();
}

bool http_connection::fill(std::chrono::steady_clock::time_point deadline) {
    if (fd_ < 0)
        return false;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0)
        return false;
    pollfd p{fd_, POLLIN, 0};
    const int r = ::poll(&p, 1, static_cast<int>(left.count()));
    if (r <= 0)
        return false;
    char buf[16384];
    const auto n = ::recv(fd_, buf, sizeof buf, 0);
    if (n <= 0)
        return false;
    buffer_.append(buf, static_cast<std::size_t>(n));
    return true;
}

std::optional<http_reply> http_connection::read_reply(std::chrono::milliseconds timeout,
                                                      bool return_interim) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::size_t end;
    while ((end = buffer_.find("\r\n\r\n")) == std::string::npos) {
        if (!fill(deadline))
            return std::nullopt;
    }
    http_reply reply;
    std::string_view head(buffer_.data(), end);
    const auto first_eol = head.find("\r\n");
    std::string_view status_line = head.substr(0, first_eol);
    if (status_line.size() < 12 || status_line.substr(0, 5) != "HTTP/")
        return std::nullopt;
    reply.status = std::atoi(std::string(status_line.substr(9, 3)).c_str());
    std::string_view rest =
        first_eol == std::string_view::npos ? std::string_view{} : head.substr(first_eol + 2);
    while (!rest.empty()) {
        const auto eol = rest.find("\r\n");
        std::string_view line = rest.substr(0, eol);
        const auto colon = line.find(':');
        if (colon != std::string_view::npos) {
            reply.headers[lower(std::string(line.substr(0, colon)))] = trim(line.substr(colon + 1));
        }
        if (eol == std::string_view::npos)
            break;
        rest.remove_prefix(eol + 2);
    }
    buffer_.erase(0, end + 4);
    if (reply.status == 100 && !return_interim) {  // interim answer: the real one follows
        return read_reply(std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now()));
    }
    if (auto te = reply.header("transfer-encoding"); lower(te) == "chunked") {
        for (;;) {
            std::size_t eol;
            while ((eol = buffer_.find("\r\n")) == std::string::npos) {
                if (!fill(deadline))
                    return std::nullopt;
            }
            const std::size_t size = std::stoul(buffer_.substr(0, eol), nullptr, 16);
            while (buffer_.size() < eol + 2 + size + 2) {
                if (!fill(deadline))
                    return std::nullopt;
            }
            reply.body.append(buffer_, eol + 2, size);
            buffer_.erase(0, eol + 2 + size + 2);
            if (size == 0)
                break;
        }
        return reply;
    }
    std::size_t length = 0;
    if (auto cl = reply.header("content-length"); !cl.empty())
        length = std::stoul(cl);
    while (buffer_.size() < length) {
        if (!fill(deadline))
            return std::nullopt;
    }
    reply.body = buffer_.substr(0, length);
    buffer_.erase(0, length);
    return reply;
}

std::optional<http_reply> http_connection::request(std::string_view method, std::string_view target,
                                                   std::string_view body,
                                                   const header_list& headers,
                                                   std::chrono::milliseconds timeout) {
    if (!send_raw(build_request(method, target, body, headers)))
        return std::nullopt;
    return read_reply(timeout);
}

bool http_connection::wait_closed(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (fd_ >= 0) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0)
            return false;
        pollfd p{fd_, POLLIN, 0};
        const int r = ::poll(&p, 1, static_cast<int>(left.count()));
        if (r < 0)
            return false;
        if (r == 0)
            continue;
        char buf[4096];
        const auto n = ::recv(fd_, buf, sizeof buf, 0);
        if (n <= 0)
            return true;
    }
    return true;
}

void http_connection::close() {
    if (fd_ >= 0) {
        ::close(fd_);
        fd_ = -1;
    }
    buffer_.clear();
}

std::optional<http_reply> http_request(std::uint16_t port, std::string_view method,
                                       std::string_view target, std::string_view body,
                                       const header_list& headers,
                                       std::chrono::milliseconds timeout) {
    http_connection c;
    if (!c.connect(port))
        return std::nullopt;
    if (!c.send_raw(build_request(method, target, body, headers, false)))
        return std::nullopt;
    return c.read_reply(timeout);
}

}  // namespace riskbridge::testing
