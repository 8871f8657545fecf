#include "riskbridge/http/server.hpp"

#include "http/asio.hpp"

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "riskbridge/observability/log.hpp"
#include "riskbridge/security/digest.hpp"

namespace riskbridge::http {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;
using asio::awaitable;
using asio::use_awaitable;
using boost::system::error_code;

/// Calls the (possibly asynchronous) request handler and resumes the coroutine on its own
/// executor when the answer arrives, from whichever thread gives it.
template <class Token>
auto async_call(const request_handler& handler, request req, Token&& token) {
    return asio::async_initiate<Token, void(response)>(
        [&handler](auto completion, request r) {
            using completion_t = decltype(completion);
            auto ex = asio::get_associated_executor(completion);
            auto shared = std::make_shared<completion_t>(std::move(completion));
            handler(std::move(r), [shared, ex](response answer) {
                asio::post(ex, [shared, answer = std::move(answer)]() mutable {
                    (*shared)(std::move(answer));
                });
            });
        },
        token, std::move(req));
}

std::string peer_address(const tcp::socket& s) {
    error_code ec;
    const auto ep = s.remote_endpoint(ec);
    return ec ? std::string("unknown") : ep.address().to_string();
}

/// The path as logged: no query string (it could carry anything), bounded length.
std::string loggable_path(std::string_view target) {
    const auto q = target.find('?');
    std::string_view p = q == std::string_view::npos ? target : target.substr(0, q);
    if (p.size() > 100) {
        p = p.substr(0, 100);
    }
    std::string out;
    out.reserve(p.size());
    for (const char c : p) {
        out.push_back(std::isgraph(static_cast<unsigned char>(c)) ? c : '?');
    }
    return out;
}

bhttp::response<bhttp::string_body> to_beast(response r, unsigned version, bool keep_alive,
                                             const std::string& request_id, bool head) {
    bhttp::response<bhttp::string_body> res{static_cast<bhttp::status>(r.status), version};
    res.set(bhttp::field::server, "riskbridge");
    res.set(bhttp::field::content_type, r.content_type);
    res.set("X-Request-Id", request_id);
    for (const auto& [k, v] : r.headers) {
        res.set(k, v);
    }
    res.keep_alive(keep_alive);
    if (head) {
        res.content_length(r.body.size());
    } else {
        res.body() = std::move(r.body);
        res.prepare_payload();
    }
    return res;
}

struct session_state {
    beast::tcp_stream stream;
    std::uint64_t id;
    std::atomic<bool> idle{true};

    session_state(tcp::socket s, std::uint64_t i) : stream(std::move(s)), id(i) {}
};

class server_impl final : public server {
public:
    server_impl(const config::server_config& cfg, request_handler handler,
                observability::metrics* metrics)
        : cfg_(cfg),
          handler_(std::move(handler)),
          metrics_(metrics),
          work_(asio::make_work_guard(ioc_)),
          acceptor_(asio::make_strand(ioc_)) {}

    ~server_impl() override { force_stop(); }

    result<void> start() override {
        error_code ec;
        const auto address = asio::ip::make_address(cfg_.host, ec);
        if (ec) {
            // A host name: resolve it once at start-up.
            tcp::resolver resolver(ioc_);
            auto results = resolver.resolve(cfg_.host, std::to_string(cfg_.port), ec);
            if (ec || results.empty()) {
                return make_error(errc::invalid_argument,
                                  "cannot resolve listen host " + cfg_.host);
            }
            endpoint_ = results.begin()->endpoint();
        } else {
            endpoint_ = tcp::endpoint(address, cfg_.port);
        }
        acceptor_.open(endpoint_.protocol(), ec);
        if (!ec) {
            acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
        }
        if (!ec) {
            acceptor_.bind(endpoint_, ec);
        }
        if (!ec) {
            acceptor_.listen(asio::socket_base::max_listen_connections, ec);
        }
        if (ec) {
            return make_error(errc::unavailable,
                              "cannot listen on " + cfg_.listen + ": " + ec.message());
        }
        port_ = acceptor_.local_endpoint(ec).port();
        asio::co_spawn(acceptor_.get_executor(), accept_loop(), asio::detached);
        const int n = std::max(1, cfg_.threads);
        threads_.reserve(static_cast<std::size_t>(n));
        for (int i = 0; i < n; ++i) {
            threads_.emplace_back([this] { run_io(); });
        }
        log::info("server_listening", {{"address", endpoint_.address().to_string()},
                                       {"port", static_cast<unsigned>(port_)},
                                       {"threads", n},
                                       {"max_connections", cfg_.max_connections}});
        return {};
    }

    std::uint16_t port() const override { return port_; }

    bool drain(std::chrono::milliseconds deadline) override {
        if (stopped_.load()) {
            return true;
        }
        draining_.store(true);
        asio::post(acceptor_.get_executor(), [this] {
            error_code ec;
            acceptor_.close(ec);
        });
        close_connections(/*idle_only=*/true);
        bool clean;
        {
            std::unique_lock lock(mutex_);
            clean = drained_.wait_for(lock, deadline, [this] { return sessions_.empty(); });
        }
        log::info("server_drained", {{"clean", clean}, {"remaining", active_connections()}});
        force_stop();
        return clean;
    }

    void force_stop() override {
        if (stopped_.exchange(true)) {
            return;
        }
        draining_.store(true);
        asio::post(acceptor_.get_executor(), [this] {
            error_code ec;
            acceptor_.close(ec);
        });
        close_connections(/*idle_only=*/false);
        work_.reset();
        ioc_.stop();
        for (auto& t : threads_) {
            if (t.joinable()) {
                t.join();
            }
        }
        threads_.clear();
    }

    server_stats stats() const override {
        server_stats s;
        s.connections_accepted = accepted_.load();
        s.connections_rejected = rejected_.load();
        s.requests = requests_.load();
        s.read_timeouts = read_timeouts_.load();
        s.bad_requests = bad_requests_.load();
        s.too_large = too_large_.load();
        s.active_connections = active_connections();
        return s;
    }

private:
    void run_io() {
        for (;;) {
            try {
                ioc_.run();
                return;
            } catch (const std::exception&) {
                // A handler threw: log and keep serving (the session that threw is gone).
                log::error("io_thread_exception", {});
            }
        }
    }

    int active_connections() const {
        std::lock_guard lock(mutex_);
        return static_cast<int>(sessions_.size());
    }

    void close_connections(bool idle_only) {
        std::vector<std::shared_ptr<session_state>> targets;
        {
            std::lock_guard lock(mutex_);
            for (auto& [id, weak] : sessions_) {
                if (auto s = weak.lock(); s && (!idle_only || s->idle.load())) {
                    targets.push_back(std::move(s));
                }
            }
        }
        for (auto& s : targets) {
            asio::post(s->stream.get_executor(), [s, idle_only] {
                if (!idle_only || s->idle.load()) {
                    error_code ec;
                    s->stream.socket().shutdown(tcp::socket::shutdown_both, ec);
                    s->stream.close();
                }
            });
        }
    }

    awaitable<void> accept_loop() {
        for (;;) {
            tcp::socket socket(asio::make_strand(ioc_));
            error_code ec;
            co_await acceptor_.async_accept(socket, asio::redirect_error(use_awaitable, ec));
            if (ec) {
                if (ec == asio::error::operation_aborted || !acceptor_.is_open() ||
                    draining_.load()) {
                    co_return;
                }
                log::warn("accept_failed", {{"error", ec.message()}});
                // Out of descriptors and the like: back off briefly instead of spinning.
                asio::steady_timer timer(acceptor_.get_executor(), std::chrono::milliseconds(50));
                co_await timer.async_wait(asio::redirect_error(use_awaitable, ec));
                continue;
            }
            std::shared_ptr<session_state> session;
            {
                std::lock_guard lock(mutex_);
                if (static_cast<int>(sessions_.size()) >= cfg_.max_connections) {
                    ++rejected_;
                    refused("too_many_connections");
                } else {
                    session = std::make_shared<session_state>(std::move(socket), ++next_id_);
                    sessions_.emplace(session->id, session);
                }
            }
            if (!session) {
                socket.close(ec);
                continue;
            }
            ++accepted_;
            session->stream.socket().set_option(tcp::no_delay(true), ec);
            asio::co_spawn(session->stream.get_executor(), run_session(session), asio::detached);
        }
    }

    void session_ended(std::uint64_t id) {
        std::lock_guard lock(mutex_);
        sessions_.erase(id);
        if (sessions_.empty()) {
            drained_.notify_all();
        }
    }

    /// Answers an error that ends the connection, then closes it gracefully: the peer may
    /// still be sending a body we refused, so read and discard for a moment to let it see
    /// the answer instead of a reset.
    awaitable<void> answer_and_close(beast::tcp_stream& stream, beast::flat_buffer& buffer,
                                     const response& r, const std::string& request_id) {
        error_code ec;
        auto res = to_beast(r, 11, false, request_id, false);
        stream.expires_after(cfg_.write_timeout);
        co_await bhttp::async_write(stream, res, asio::redirect_error(use_awaitable, ec));
        if (ec) {
            co_return;
        }
        stream.socket().shutdown(tcp::socket::shutdown_send, ec);
        stream.expires_after(std::chrono::milliseconds(1000));
        std::size_t discarded = 0;
        buffer.consume(buffer.size());
        while (!ec && discarded < 4 * 1024 * 1024) {
            const auto n = co_await stream.async_read_some(buffer.prepare(16 * 1024),
                                                           asio::redirect_error(use_awaitable, ec));
            discarded += n;
        }
    }

    awaitable<void> run_session(std::shared_ptr<session_state> state) {
        auto& stream = state->stream;
        const std::string remote = peer_address(stream.socket());
        beast::flat_buffer buffer(static_cast<std::size_t>(cfg_.max_header_bytes) + 64 * 1024);
        bool first = true;
        for (;;) {
            error_code ec;
            // Wait for the first byte of the next request: the read deadline for a new
            // connection, the idle timeout between keep-alive requests.
            if (buffer.size() == 0) {
                state->idle.store(true);
                if (draining_.load()) {
                    break;
                }
                stream.expires_after(first ? cfg_.read_timeout : cfg_.idle_timeout);
                const auto n = co_await stream.async_read_some(
                    buffer.prepare(4096), asio::redirect_error(use_awaitable, ec));
                if (ec) {
                    if (ec == beast::error::timeout && first) {
                        ++read_timeouts_;
                        refused("timeout");
                    }
                    break;
                }
                buffer.commit(n);
            }
            state->idle.store(false);
            const auto started = std::chrono::steady_clock::now();
            // The whole request must arrive within read_timeout from here: a client that
            // trickles bytes is cut off.
            stream.expires_after(cfg_.read_timeout);
            first = false;
            const std::string request_id = security::random_hex(8);

            bhttp::request_parser<bhttp::string_body> parser;
            parser.header_limit(cfg_.max_header_bytes);
            parser.body_limit(cfg_.max_body_bytes);
            co_await bhttp::async_read_header(stream, buffer, parser,
                                              asio::redirect_error(use_awaitable, ec));
            if (!ec) {
                const auto expect = parser.get()[bhttp::field::expect];
                if (beast::iequals(expect, "100-continue") && !parser.is_done()) {
                    bhttp::response<bhttp::empty_body> cont{bhttp::status::continue_,
                                                            parser.get().version()};
                    co_await bhttp::async_write(stream, cont,
                                                asio::redirect_error(use_awaitable, ec));
                }
            }
            if (!ec && !parser.is_done()) {
                co_await bhttp::async_read(stream, buffer, parser,
                                           asio::redirect_error(use_awaitable, ec));
            }
            if (ec) {
                co_await on_read_error(stream, buffer, ec, request_id, remote);
                break;
            }
            ++requests_;

            auto msg = parser.release();
            request req;
            req.method = std::string(msg.method_string());
            req.target = std::string(msg.target());
            req.headers.reserve(16);
            for (const auto& field : msg) {
                req.headers.emplace_back(std::string(field.name_string()),
                                         std::string(field.value()));
            }
            req.body = std::move(msg.body());
            req.remote_address = remote;
            req.request_id = request_id;
            const bool head = msg.method() == bhttp::verb::head;
            const std::string path = loggable_path(req.target);
            const std::string method = req.method.size() <= 10 ? req.method : "?";
            const std::size_t bytes_in = req.body.size();

            stream.expires_never();  // the store may take a moment; no socket op pending
            response answer = co_await async_call(handler_, std::move(req), use_awaitable);

            if (answer.close_without_answer) {
                break;
            }
            const bool keep_alive = msg.keep_alive() && !draining_.load();
            const unsigned status = answer.status;
            auto res = to_beast(std::move(answer), msg.version(), keep_alive, request_id, head);
            stream.expires_after(cfg_.write_timeout);
            co_await bhttp::async_write(stream, res, asio::redirect_error(use_awaitable, ec));
            const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(
                                    std::chrono::steady_clock::now() - started)
                                    .count();
            log::debug("http_request", {{"request_id", request_id},
                                        {"method", method},
                                        {"path", path},
                                        {"status", status},
                                        {"bytes_in", bytes_in},
                                        {"duration_us", micros}});
            if (ec || !keep_alive) {
                break;
            }
        }
        error_code ignored;
        stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
        stream.close();
        session_ended(state->id);
    }

    awaitable<void> on_read_error(beast::tcp_stream& stream, beast::flat_buffer& buffer,
                                  error_code ec, const std::string& request_id,
                                  const std::string& remote) {
        if (ec == bhttp::error::end_of_stream || ec == asio::error::eof ||
            ec == asio::error::operation_aborted || ec == asio::error::connection_reset) {
            co_return;
        }
        if (ec == beast::error::timeout) {
            ++read_timeouts_;
            refused("timeout");
            log::info("http_read_timeout", {{"request_id", request_id}, {"remote", remote}});
            co_return;
        }
        response r;
        if (ec == bhttp::error::body_limit) {
            ++too_large_;
            refused("body_too_large");
            r = json_error(413, "payload_too_large",
                           "body exceeds " + std::to_string(cfg_.max_body_bytes) + " bytes");
        } else if (ec == bhttp::error::header_limit || ec == bhttp::error::buffer_overflow) {
            ++too_large_;
            refused("headers_too_large");
            r = json_error(431, "headers_too_large", "request headers are too large");
        } else {
            ++bad_requests_;
            refused("bad_request");
            r = json_error(400, "bad_request", "malformed HTTP request");
        }
        log::info("http_rejected", {{"request_id", request_id},
                                    {"remote", remote},
                                    {"status", r.status},
                                    {"reason", ec.message()}});
        co_await answer_and_close(stream, buffer, r, request_id);
    }

    void refused(std::string_view reason) {
        if (metrics_ != nullptr) {
            metrics_->http_refused(reason);
        }
    }

    config::server_config cfg_;
    request_handler handler_;
    observability::metrics* metrics_;
    asio::io_context ioc_;
    asio::executor_work_guard<asio::io_context::executor_type> work_;
    tcp::acceptor acceptor_;
    tcp::endpoint endpoint_;
    std::uint16_t port_ = 0;
    std::vector<std::thread> threads_;

    mutable std::mutex mutex_;
    std::condition_variable drained_;
    std::unordered_map<std::uint64_t, std::weak_ptr<session_state>> sessions_;
    std::uint64_t next_id_ = 0;

    std::atomic<bool> draining_{false};
    std::atomic<bool> stopped_{false};
    std::atomic<std::uint64_t> accepted_{0}, rejected_{0}, requests_{0}, read_timeouts_{0},
        bad_requests_{0}, too_large_{0};
};

}  // namespace

std::unique_ptr<server> make_server(const config::server_config& cfg, request_handler handler,
                                    observability::metrics* metrics) {
    return std::make_unique<server_impl>(cfg, std::move(handler), metrics);
}

}  // namespace riskbridge::http
