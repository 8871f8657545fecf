// The listener: binds, accepts, holds the connection cap (a new connection at the cap makes
// an idle or slow one give way), drains and stops. Each connection is served by
// server_session.cpp; TLS is set up by server_tls.cpp.

#include "riskbridge/http/server.hpp"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <vector>

#include "http/asio.hpp"
#include "http/server_session.hpp"
#include "http/server_tls.hpp"
#include "riskbridge/core/thread_name.hpp"
#include "riskbridge/observability/log.hpp"

namespace riskbridge::http {

namespace {

namespace asio = boost::asio;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using asio::awaitable;
using asio::use_awaitable;
using boost::system::error_code;
using detail::phase;
using detail::session_state;
using detail::steady;

/// How long the accept loop waits after a failed accept (out of descriptors and the like).
constexpr auto accept_retry_delay = std::chrono::milliseconds{50};

class server_impl final : public server {
public:
    server_impl(const config::server_config& cfg, request_handler handler,
                observability::metrics* metrics)
        : ctx_(cfg, std::move(handler), metrics),
          cfg_(ctx_.cfg),
          iocs_(make_contexts(std::max(1, cfg_.threads))),
          acceptor_(asio::make_strand(*iocs_.front())) {}

    ~server_impl() override { force_stop(); }

    result<void> start() override {
        if (cfg_.tls) {
            if (auto ctx = detail::make_tls_context(*cfg_.tls); !ctx) {
                return ctx.error();
            } else {
                tls_ctx_ = std::move(ctx).value();
            }
        }
        error_code ec;
        const auto address = asio::ip::make_address(cfg_.host, ec);
        if (ec) {
            // A host name: resolve it once at start-up.
            tcp::resolver resolver(*iocs_.front());
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
        const int n = static_cast<int>(iocs_.size());
        threads_.reserve(iocs_.size());
        for (int i = 0; i < n; ++i) {
            threads_.emplace_back([this, i] {
                set_thread_name(cfg_.thread_name + "-" + std::to_string(i));
                run_io(*iocs_[static_cast<std::size_t>(i)]);
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
        ctx_.draining.store(true);
        close_acceptor();
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
        ctx_.draining.store(true);
        close_acceptor();
        close_connections(/*idle_only=*/false);
        for (auto& io : iocs_) {
            io->work.reset();
            io->stop();
        }
        for (auto& t : threads_) {
            if (t.joinable()) {
                t.join();
            }
        }
        threads_.clear();
    }

    server_stats stats() const override {
        server_stats s;
        s.connections_accepted = ctx_.counters.accepted.load();
        s.connections_rejected = ctx_.counters.rejected.load();
        s.connections_evicted = ctx_.counters.evicted.load();
        s.tls_handshake_failures = ctx_.counters.tls_failures.load();
        s.requests = ctx_.counters.requests.load();
        s.read_timeouts = ctx_.counters.read_timeouts.load();
        s.bad_requests = ctx_.counters.bad_requests.load();
        s.too_large = ctx_.counters.too_large.load();
        s.active_connections = active_connections();
        return s;
    }

private:
    /// Stops accepting (on the acceptor's strand).
    void close_acceptor() {
        asio::post(acceptor_.get_executor(), [this] {
            error_code ec;
            acceptor_.close(ec);
        });
    }

    void run_io(asio::io_context& ioc) {
        for (;;) {
            try {
                ioc.run();
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
                if (auto s = weak.lock(); s && (!idle_only || s->idle())) {
                    targets.push_back(std::move(s));
                }
            }
        }
        for (auto& s : targets) {
            asio::post(s->lowest().get_executor(), [s, idle_only] {
                if (!idle_only || s->idle()) {
                    s->close_now();
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
                ++ctx_.counters.evicted;  // counted only when it happens
                ctx_.refused(at == phase::idle ? "idle_evicted" : "headers_evicted");
                victim->close_now();
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
            // Each connection lives on one thread's context, taken in turn: its handlers never
            // run concurrently and never hop between threads (no strand, no shared scheduler).
            tcp::socket socket(*iocs_[next_context_++ % iocs_.size()]);
            error_code ec;
            co_await acceptor_.async_accept(socket, asio::redirect_error(use_awaitable, ec));
            if (ec) {
                if (ec == asio::error::operation_aborted || !acceptor_.is_open() ||
                    ctx_.draining.load()) {
                    co_return;
                }
                log::warn("accept_failed", {{"error", ec.message()}});
                // Out of descriptors and the like: back off briefly instead of spinning.
                asio::steady_timer timer(acceptor_.get_executor(), accept_retry_delay);
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
                    ++ctx_.counters.rejected;
                    ctx_.refused("too_many_connections");
                }
            }
            if (victim) {
                evict(std::move(victim));
            }
            if (!session) {
                socket.close(ec);
                continue;
            }
            ++ctx_.counters.accepted;
            session->lowest().socket().set_option(tcp::no_delay(true), ec);
            asio::co_spawn(session->lowest().get_executor(), serve_connection(session),
                           asio::detached);
        }
    }

    awaitable<void> serve_connection(std::shared_ptr<session_state> session) {
        co_await detail::run_session(ctx_, session);
        session_ended(*session);
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

    detail::session_context ctx_;  ///< shared with every session
    const config::server_config& cfg_;
    std::unique_ptr<ssl::context> tls_ctx_;
    /// One single-threaded context per I/O thread, kept busy by its work guard until stopped.
    struct io_thread_context : asio::io_context {
        io_thread_context() : asio::io_context(1), work(asio::make_work_guard(*this)) {}
        std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
    };
    static std::vector<std::unique_ptr<io_thread_context>> make_contexts(int n) {
        std::vector<std::unique_ptr<io_thread_context>> v;
        for (int i = 0; i < n; ++i) {
            v.push_back(std::make_unique<io_thread_context>());
        }
        return v;
    }

    std::vector<std::unique_ptr<io_thread_context>> iocs_;
    std::size_t next_context_ = 0;  ///< the accept loop's, on the acceptor's strand
    tcp::acceptor acceptor_;
    tcp::endpoint endpoint_;
    std::uint16_t port_ = 0;
    std::vector<std::thread> threads_;

    mutable std::mutex mutex_;
    std::condition_variable drained_;
    std::unordered_map<std::uint64_t, std::weak_ptr<session_state>> sessions_;
    std::uint64_t next_id_ = 0;
    int evicting_ = 0;  ///< sessions chosen for eviction that have not ended yet

    std::atomic<bool> stopped_{false};
};

}  // namespace

std::unique_ptr<server> make_server(const config::server_config& cfg, request_handler handler,
                                    observability::metrics* metrics) {
    return std::make_unique<server_impl>(cfg, std::move(handler), metrics);
}

}  // namespace riskbridge::http
