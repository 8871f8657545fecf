#include "riskbridge/http/server.hpp"

#include "http/asio.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>
#include <type_traits>
#include <unordered_map>
#include <vector>

#include "riskbridge/core/thread_name.hpp"
#include "riskbridge/http/client_address.hpp"
#include "riskbridge/observability/log.hpp"
#include "riskbridge/security/digest.hpp"

namespace riskbridge::http {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using tls_stream = beast::ssl_stream<beast::tcp_stream>;
using steady = std::chrono::steady_clock;
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

/// Where a connection is in its current request.
enum class phase {
    /// Waiting for the first byte of a request (a new connection, its TLS handshake included,
    /// or a keep-alive one between requests): closed by the drain, and first to make room at
    /// the connection cap.
    idle,
    /// Part of a request's line and headers has arrived, not all of it: makes room at the cap
    /// when no connection is idle (a client this slow is either broken or an attack).
    head,
    /// The headers are complete: the body is read, the request handled and answered. Never
    /// closed to make room; the drain lets it finish.
    request,
};

/// One connection: a plain TCP stream or a TLS stream over one.
struct session_state {
    std::optional<beast::tcp_stream> plain;
    std::optional<tls_stream> tls;
    std::uint64_t id;
    steady::time_point accepted_at = steady::now();
    std::atomic<phase> at{phase::idle};
    /// Since when it has been without a request in progress: its accept, or the answer to its
    /// previous request. At the cap, the one waiting the longest makes room first.
    std::atomic<steady::rep> waiting_since{steady::now().time_since_epoch().count()};
    std::atomic<bool> evicted{false};  ///< chosen to make room; not counted against the cap
    /// It has been answered at least once: idle now means kept alive between requests.
    std::atomic<bool> kept_alive{false};

    session_state(tcp::socket s, std::uint64_t i, ssl::context* ctx) : id(i) {
        if (ctx != nullptr) {
            tls.emplace(std::move(s), *ctx);
        } else {
            plain.emplace(std::move(s));
        }
    }
    beast::tcp_stream& lowest() { return plain ? *plain : tls->next_layer(); }
    bool idle() const { return at.load() == phase::idle; }
};

class server_impl final : public server {
public:
    server_impl(const config::server_config& cfg, request_handler handler,
                observability::metrics* metrics)
        : cfg_(cfg),
          handler_(std::move(handler)),
          metrics_(metrics),
          trusted_(cfg.trusted_proxies),
          header_timeout_(std::min(cfg.header_timeout, cfg.read_timeout)),
          work_(asio::make_work_guard(ioc_)),
          acceptor_(asio::make_strand(ioc_)) {}

    ~server_impl() override { force_stop(); }

    result<void> start() override {
        if (cfg_.tls) {
            if (auto ctx = make_tls_context(*cfg_.tls); !ctx) {
                return ctx.error();
            } else {
                tls_ctx_ = std::move(ctx).value();
            }
        }
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
            threads_.emplace_back([this, i] {
                set_thread_name(cfg_.thread_name + "-" + std::to_string(i));
                run_io();
            });
        }
        log::info("server_listening", {{"address", endpoint_.address().to_string()},
                                       {"port", static_cast<unsigned>(port_)},
                                       {"threads", n},
                                       {"tls", tls_ctx_ != nullptr},
                                       {"trusted_proxies", cfg_.trusted_proxies.size()},
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
        s.connections_evicted = evicted_.load();
        s.tls_handshake_failures = tls_failures_.load();
        s.requests = requests_.load();
        s.read_timeouts = read_timeouts_.load();
        s.bad_requests = bad_requests_.load();
        s.too_large = too_large_.load();
        s.active_connections = active_connections();
        return s;
    }

private:
    /// TLS 1.2 and later only, no renegotiation, no compression; the key must match the
    /// certificate. Messages name the files, never their contents.
    static result<std::unique_ptr<ssl::context>> make_tls_context(
        const config::server_config::tls_config& tls) {
        auto ctx = std::make_unique<ssl::context>(ssl::context::tls_server);
        error_code ec;
        ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                             ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                             ssl::context::no_tlsv1_1 | ssl::context::single_dh_use,
                         ec);
        SSL_CTX* native = ctx->native_handle();
        if (ec || SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION) != 1) {
            return make_error(errc::internal, "cannot set up TLS");
        }
        SSL_CTX_set_options(native, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);
        // An encrypted key would make OpenSSL prompt on the terminal: fail instead.
        ctx->set_password_callback(
            [](std::size_t, ssl::context::password_purpose) { return std::string(); }, ec);
        ctx->use_certificate_chain_file(tls.cert_file, ec);
        if (ec) {
            return make_error(errc::invalid_argument, "server.tls.cert_file: cannot load " +
                                                          tls.cert_file + ": " + ec.message());
        }
        ctx->use_private_key_file(tls.key_file, ssl::context::pem, ec);
        if (ec && ec.category() == asio::error::get_ssl_category() &&
            ERR_GET_REASON(static_cast<unsigned long>(ec.value())) == X509_R_KEY_VALUES_MISMATCH) {
            return make_error(errc::invalid_argument, "server.tls.key_file: " + tls.key_file +
                                                          " does not match the certificate in " +
                                                          tls.cert_file);
        }
        if (ec) {
            return make_error(errc::invalid_argument, "server.tls.key_file: cannot load " +
                                                          tls.key_file + ": " + ec.message() +
                                                          " (an unencrypted PEM key is expected)");
        }
        if (SSL_CTX_check_private_key(native) != 1) {
            return make_error(errc::invalid_argument, "server.tls.key_file: " + tls.key_file +
                                                          " does not match the certificate in " +
                                                          tls.cert_file);
        }
        return ctx;
    }

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

    static void close_now(session_state& s) {
        error_code ec;
        s.lowest().socket().shutdown(tcp::socket::shutdown_both, ec);
        s.lowest().close();
    }

    void close_connections(bool idle_only) {
        std::vector<std::shared_ptr<session_state>> targets;
        {
            std::lock_guard lock(mutex_);
            for (auto& [id, weak] : sessions_) {
                if (auto s = weak.lock(); s && (!idle_only || s->idle())) {
                    targets.push_back(std::move(s));
                }
            }
        }
        for (auto& s : targets) {
            asio::post(s->lowest().get_executor(), [s, idle_only] {
                if (!idle_only || s->idle()) {
                    close_now(*s);
                }
            });
        }
    }

    /// At the cap, the connection that makes room, not already chosen (mutex_ held): the
    /// kept-alive one idle the longest; when none is, the one that has been sending its headers
    /// the longest. A new connection that has not sent its first byte yet counts as sending
    /// its headers since its accept: the newest, a client that just connected, goes last, so
    /// slow clients that keep reconnecting cannot push it out. None when every connection has
    /// a complete request in progress.
    std::shared_ptr<session_state> pick_victim() {
        std::shared_ptr<session_state> victim;
        bool victim_idle = false;
        steady::rep oldest = 0;
        for (auto& [id, weak] : sessions_) {
            auto s = weak.lock();
            if (!s || s->evicted.load()) {
                continue;
            }
            const phase at = s->at.load();
            if (at == phase::request) {
                continue;
            }
            const bool idle = at == phase::idle && s->kept_alive.load();
            const auto since = s->waiting_since.load();
            if (!victim || (idle && !victim_idle) || (idle == victim_idle && since < oldest)) {
                victim = std::move(s);
                victim_idle = idle;
                oldest = since;
            }
        }
        return victim;
    }

    /// Closes a connection to make room for a new one; if its request head completed in the
    /// meantime it is kept (the cap is then exceeded by one until a connection ends).
    void evict(std::shared_ptr<session_state> victim) {
        asio::post(victim->lowest().get_executor(), [this, victim] {
            // On the session's strand: its phase cannot change under this check.
            const phase at = victim->at.load();
            if (at != phase::request) {
                ++evicted_;  // counted only when it happens
                refused(at == phase::idle ? "idle_evicted" : "headers_evicted");
                close_now(*victim);
                return;
            }
            std::lock_guard lock(mutex_);
            if (victim->evicted.exchange(false)) {
                --evicting_;
            }
        });
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
            // At the cap, a new connection replaces the one idle the longest, or else the one
            // that has been sending its headers the longest (idle or slow clients cannot lock
            // others out); when every connection has a complete request in progress, the new
            // one is closed at once.
            std::shared_ptr<session_state> session;
            std::shared_ptr<session_state> victim;
            {
                std::lock_guard lock(mutex_);
                const int live = static_cast<int>(sessions_.size()) - evicting_;
                if (live >= cfg_.max_connections) {
                    victim = pick_victim();
                    if (victim) {
                        victim->evicted.store(true);
                        ++evicting_;
                    }
                }
                if (live < cfg_.max_connections || victim) {
                    session = std::make_shared<session_state>(std::move(socket), ++next_id_,
                                                              tls_ctx_.get());
                    sessions_.emplace(session->id, session);
                } else {
                    ++rejected_;
                    refused("too_many_connections");
                }
            }
            if (victim) {
                evict(std::move(victim));
            }
            if (!session) {
                socket.close(ec);
                continue;
            }
            ++accepted_;
            session->lowest().socket().set_option(tcp::no_delay(true), ec);
            asio::co_spawn(session->lowest().get_executor(), run_session(session), asio::detached);
        }
    }

    void session_ended(session_state& s) {
        std::lock_guard lock(mutex_);
        if (s.evicted.exchange(false)) {
            --evicting_;
        }
        sessions_.erase(s.id);
        if (sessions_.empty()) {
            drained_.notify_all();
        }
    }

    /// Answers an error that ends the connection, then closes it gracefully: the peer may
    /// still be sending a body we refused, so read and discard for a moment to let it see
    /// the answer instead of a reset.
    template <class Stream>
    awaitable<void> answer_and_close(Stream& stream, beast::flat_buffer& buffer, const response& r,
                                     const std::string& request_id) {
        auto& lowest = beast::get_lowest_layer(stream);
        error_code ec;
        auto res = to_beast(r, 11, false, request_id, false);
        lowest.expires_after(cfg_.write_timeout);
        co_await bhttp::async_write(stream, res, asio::redirect_error(use_awaitable, ec));
        if (ec) {
            co_return;
        }
        if constexpr (std::is_same_v<Stream, beast::tcp_stream>) {
            // (TLS says goodbye with close_notify when the session ends instead.)
            lowest.socket().shutdown(tcp::socket::shutdown_send, ec);
        }
        lowest.expires_after(std::chrono::milliseconds(1000));
        std::size_t discarded = 0;
        buffer.consume(buffer.size());
        while (!ec && discarded < 4 * 1024 * 1024) {
            const auto n = co_await stream.async_read_some(buffer.prepare(16 * 1024),
                                                           asio::redirect_error(use_awaitable, ec));
            discarded += n;
        }
    }

    awaitable<void> run_session(std::shared_ptr<session_state> state) {
        const std::string peer = peer_address(state->lowest().socket());
        auto& lowest = state->lowest();
        if (state->tls) {
            // The handshake shares the header deadline of the first request.
            lowest.expires_at(state->accepted_at + header_timeout_);
            error_code ec;
            co_await state->tls->async_handshake(ssl::stream_base::server,
                                                 asio::redirect_error(use_awaitable, ec));
            if (ec) {
                ++tls_failures_;
                refused("tls_handshake");
                log::debug("tls_handshake_failed", {{"remote", peer}, {"error", ec.message()}});
            } else {
                co_await serve(*state->tls, *state, peer);
                lowest.expires_after(std::chrono::milliseconds(1000));
                co_await state->tls->async_shutdown(asio::redirect_error(use_awaitable, ec));
            }
        } else {
            co_await serve(*state->plain, *state, peer);
        }
        error_code ignored;
        lowest.socket().shutdown(tcp::socket::shutdown_send, ignored);
        lowest.close();
        session_ended(*state);
    }

    template <class Stream>
    awaitable<void> serve(Stream& stream, session_state& state, const std::string& peer) {
        auto& lowest = beast::get_lowest_layer(stream);
        // Once per connection: the peer's normalised address, and whether it is a trusted
        // proxy whose X-Forwarded-For is read at all.
        const std::string peer_client = client_address(peer, {}, trusted_);
        const bool peer_is_proxy = !trusted_.empty() && trusted_.contains(peer);
        beast::flat_buffer buffer(static_cast<std::size_t>(cfg_.max_header_bytes) + 64 * 1024);
        bool first = true;
        for (;;) {
            error_code ec;
            // Wait for the first byte of the next request: within the header timeout of a new
            // connection, the idle timeout between keep-alive requests.
            steady::time_point started = steady::now();
            if (buffer.size() == 0) {
                state.kept_alive.store(!first);
                state.at.store(phase::idle);
                if (draining_.load()) {
                    break;
                }
                if (first) {
                    lowest.expires_at(state.accepted_at + header_timeout_);
                } else {
                    lowest.expires_after(cfg_.idle_timeout);
                }
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
                started = steady::now();
            }
            state.at.store(phase::head);
            // The header block must arrive within the header timeout (counted from the
            // connection for its first request) and the whole request within read_timeout
            // of its first byte: a client that trickles bytes is cut off.
            const auto header_deadline = (first ? state.accepted_at : started) + header_timeout_;
            lowest.expires_at(header_deadline);
            first = false;
            const std::string request_id = security::random_hex(8);

            bhttp::request_parser<bhttp::string_body> parser;
            parser.header_limit(cfg_.max_header_bytes);
            parser.body_limit(cfg_.max_body_bytes);
            co_await bhttp::async_read_header(stream, buffer, parser,
                                              asio::redirect_error(use_awaitable, ec));
            if (ec) {
                co_await on_read_error(stream, buffer, ec, request_id, peer);
                break;
            }
            if (!lowest.socket().is_open()) {
                break;  // closed to make room just as its headers completed: nothing to answer
            }
            state.at.store(phase::request);
            lowest.expires_at(started + cfg_.read_timeout);
            ++requests_;

            // Where the body ends must be beyond doubt before anything after the headers is
            // read: otherwise a body could pass for a second request (smuggling).
            const auto& head = parser.get();
            if (const framing verdict = body_framing(head, parser.chunked());
                verdict != framing::ok) {
                ++bad_requests_;
                refused("bad_request");
                log::info("http_rejected", {{"request_id", request_id},
                                            {"remote", peer},
                                            {"status", 400},
                                            {"reason", to_string(verdict)}});
                co_await answer_and_close(
                    stream, buffer, json_error(400, "bad_request", to_string(verdict)), request_id);
                break;
            }

            request req;
            req.method = std::string(head.method_string());
            req.target = std::string(head.target());
            req.headers.reserve(16);
            std::vector<std::string_view> forwarded_for;
            for (const auto& field : head) {
                req.headers.emplace_back(std::string(field.name_string()),
                                         std::string(field.value()));
                if (beast::iequals(field.name_string(), "X-Forwarded-For")) {
                    if (peer_is_proxy) {
                        forwarded_for.emplace_back(field.value().data(), field.value().size());
                    } else if (!forwarded_for_ignored_.exchange(true)) {
                        // Once per process: behind a balancer missing from trusted_proxies,
                        // every client looks like the balancer, and one client's failed
                        // authentications would get everyone refused.
                        log::warn("forwarded_for_ignored",
                                  {{"remote", peer_client},
                                   {"hint", "list the load balancer in server.trusted_proxies"}});
                    }
                }
            }
            req.remote_address =
                forwarded_for.empty() ? peer_client : client_address(peer, forwarded_for, trusted_);
            req.request_id = request_id;
            const bool head_only = head.method() == bhttp::verb::head;
            const std::string path = loggable_path(req.target);
            const std::string method = req.method.size() <= 10 ? req.method : "?";

            // What the headers alone decide (credentials that are not valid), before any body
            // is taken: answered, and the connection closed, so the body is never buffered.
            if (auto refusal = check_headers(req)) {
                const unsigned status = refusal->status;
                co_await answer_and_close(stream, buffer, *refusal, request_id);
                log::debug("http_request", {{"request_id", request_id},
                                            {"method", method},
                                            {"path", path},
                                            {"status", status},
                                            {"bytes_in", 0},
                                            {"duration_us", micros_since(started)}});
                break;
            }

            const auto expect = head[bhttp::field::expect];
            if (beast::iequals(expect, "100-continue") && !parser.is_done()) {
                bhttp::response<bhttp::empty_body> cont{bhttp::status::continue_, head.version()};
                co_await bhttp::async_write(stream, cont, asio::redirect_error(use_awaitable, ec));
            }
            if (!ec && !parser.is_done()) {
                co_await bhttp::async_read(stream, buffer, parser,
                                           asio::redirect_error(use_awaitable, ec));
            }
            if (ec) {
                co_await on_read_error(stream, buffer, ec, request_id, peer);
                break;
            }

            auto msg = parser.release();
            req.body = std::move(msg.body());
            const std::size_t bytes_in = req.body.size();

            lowest.expires_never();  // the store may take a moment; no socket op pending
            response answer = co_await async_call(handler_, std::move(req), use_awaitable);

            if (answer.close_without_answer) {
                break;
            }
            const bool keep_alive = msg.keep_alive() && !draining_.load();
            const unsigned status = answer.status;
            auto res =
                to_beast(std::move(answer), msg.version(), keep_alive, request_id, head_only);
            // The connection's wait for its next request counts from here, before the client
            // can see this answer: connections answered one after the other rank in that order.
            state.waiting_since.store(steady::now().time_since_epoch().count());
            lowest.expires_after(cfg_.write_timeout);
            co_await bhttp::async_write(stream, res, asio::redirect_error(use_awaitable, ec));
            log::debug("http_request", {{"request_id", request_id},
                                        {"method", method},
                                        {"path", path},
                                        {"status", status},
                                        {"bytes_in", bytes_in},
                                        {"duration_us", micros_since(started)}});
            if (ec || !keep_alive) {
                break;
            }
        }
    }

    static long long micros_since(steady::time_point t) {
        return std::chrono::duration_cast<std::chrono::microseconds>(steady::now() - t).count();
    }

    /// The body framing of a request whose headers have been parsed (see http::check_framing);
    /// `parser_chunked` is whether Beast will read the body as chunked, which must agree.
    static framing body_framing(const bhttp::request<bhttp::string_body>& head,
                                bool parser_chunked) {
        std::vector<std::string_view> transfer_encodings;
        for (const auto& field : head) {
            if (field.name() == bhttp::field::transfer_encoding) {
                transfer_encodings.emplace_back(field.value().data(), field.value().size());
            }
        }
        const bool has_content_length = head.find(bhttp::field::content_length) != head.end();
        framing verdict =
            http::check_framing(transfer_encodings, has_content_length, head.version());
        if (verdict == framing::ok && !transfer_encodings.empty() && !parser_chunked) {
            verdict = framing::bad_transfer_encoding;  // Beast reads it otherwise: refuse
        }
        return verdict;
    }

    /// The handler's verdict on the headers alone; nullopt to read the body. Never throws (a
    /// throw here would end the session without its bookkeeping).
    std::optional<response> check_headers(const request& req) {
        if (!handler_.on_headers) {
            return std::nullopt;
        }
        try {
            return handler_.on_headers(req);
        } catch (const std::exception&) {
            log::error("handler_exception", {{"request_id", req.request_id}});
            return json_error(500, "internal_error", "the request could not be handled");
        }
    }

    template <class Stream>
    awaitable<void> on_read_error(Stream& stream, beast::flat_buffer& buffer, error_code ec,
                                  const std::string& request_id, const std::string& remote) {
        // bad_descriptor: the socket was closed under the read (an idle connection evicted
        // just as its next request arrived): nothing to answer, nothing to count.
        if (ec == bhttp::error::end_of_stream || ec == asio::error::eof ||
            ec == asio::error::operation_aborted || ec == asio::error::connection_reset ||
            ec == asio::error::bad_descriptor || ec == ssl::error::stream_truncated) {
            co_return;
        }
        if (ec == beast::error::timeout) {
            ++read_timeouts_;
            refused("timeout");
            log::info("http_read_timeout", {{"request_id", request_id}, {"remote", remote}});
            co_return;
        }
        if (ec.category() == asio::error::get_ssl_category()) {
            co_return;  // a broken TLS record: nothing can be answered on it
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
    address_set trusted_;
    std::chrono::milliseconds header_timeout_;
    std::unique_ptr<ssl::context> tls_ctx_;
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
    int evicting_ = 0;  ///< sessions chosen for eviction that have not ended yet

    std::atomic<bool> draining_{false};
    std::atomic<bool> stopped_{false};
    std::atomic<bool> forwarded_for_ignored_{false};
    std::atomic<std::uint64_t> accepted_{0}, rejected_{0}, evicted_{0}, tls_failures_{0},
        requests_{0}, read_timeouts_{0}, bad_requests_{0}, too_large_{0};
};

}  // namespace

std::unique_ptr<server> make_server(const config::server_config& cfg, request_handler handler,
                                    observability::metrics* metrics) {
    return std::make_unique<server_impl>(cfg, std::move(handler), metrics);
}

}  // namespace riskbridge::http
