// See server_session.hpp.

#include "http/server_session.hpp"

#include <algorithm>
#include <cctype>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "riskbridge/observability/log.hpp"
#include "riskbridge/security/digest.hpp"

namespace riskbridge::http::detail {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using asio::awaitable;
using asio::use_awaitable;
using boost::system::error_code;
using request_head = bhttp::request<bhttp::string_body>;

/// Read buffer room beyond the header limit, so a body's first bytes fit with the headers.
constexpr std::size_t read_buffer_slack_bytes = 64 * 1024;
/// The first read of a request, while waiting for its first byte.
constexpr std::size_t first_read_bytes = 4096;
/// HTTP/1.1, as Beast numbers versions: the version of answers that end the connection.
constexpr unsigned http_1_1 = 11;
/// Header fields room is made for up front (most requests have fewer).
constexpr std::size_t usual_header_fields = 16;
/// The longest path and method logged; a longer method is logged as "?".
constexpr std::size_t max_logged_path_chars = 100;
constexpr std::size_t max_logged_method_chars = 10;
/// After an answer that ends the connection: how long, and how much, of what the peer still
/// sends is read and discarded, so that it sees the answer instead of a reset.
constexpr auto close_linger = std::chrono::milliseconds{1000};
constexpr std::size_t max_discarded_bytes = 4 * 1024 * 1024;
constexpr std::size_t discard_read_bytes = 16 * 1024;
/// How long the TLS close_notify exchange may take when a session ends.
constexpr auto tls_shutdown_timeout = std::chrono::milliseconds{1000};

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
    if (p.size() > max_logged_path_chars) {
        p = p.substr(0, max_logged_path_chars);
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

long long micros_since(steady::time_point t) {
    return std::chrono::duration_cast<std::chrono::microseconds>(steady::now() - t).count();
}

/// The body framing of a request whose headers have been parsed (see http::check_framing);
/// `parser_chunked` is whether Beast will read the body as chunked, which must agree.
framing body_framing(const request_head& head, bool parser_chunked) {
    std::vector<std::string_view> transfer_encodings;
    for (const auto& field : head) {
        if (field.name() == bhttp::field::transfer_encoding) {
            transfer_encodings.emplace_back(field.value().data(), field.value().size());
        }
    }
    const bool has_content_length = head.find(bhttp::field::content_length) != head.end();
    framing verdict = http::check_framing(transfer_encodings, has_content_length, head.version());
    if (verdict == framing::ok && !transfer_encodings.empty() && !parser_chunked) {
        verdict = framing::bad_transfer_encoding;  // Beast reads it otherwise: refuse
    }
    return verdict;
}

/// Who the connection's peer is, worked out once per connection: its normalised address, and
/// whether it is a trusted proxy whose X-Forwarded-For is read at all.
struct peer_info {
    std::string address;  ///< as the socket reports it
    std::string client;   ///< normalised
    bool is_proxy = false;
};

/// The handler's request from the parsed headers (the body comes later). The client address
/// comes from X-Forwarded-For only when the peer is a trusted proxy.
request to_request(session_context& ctx, const request_head& head, const peer_info& peer,
                   const std::string& request_id) {
    request req;
    req.method = std::string(head.method_string());
    req.target = std::string(head.target());
    req.headers.reserve(usual_header_fields);
    std::vector<std::string_view> forwarded_for;
    for (const auto& field : head) {
        req.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
        if (beast::iequals(field.name_string(), "X-Forwarded-For")) {
            if (peer.is_proxy) {
                forwarded_for.emplace_back(field.value().data(), field.value().size());
            } else if (!ctx.forwarded_for_ignored.exchange(true)) {
                // Once per process: behind a balancer missing from trusted_proxies, every
                // client looks like the balancer, and one client's failed authentications would
                // get everyone refused.
                log::warn("forwarded_for_ignored",
                          {{"remote", peer.client},
                           {"hint", "list the load balancer in server.trusted_proxies"}});
            }
        }
    }
    req.remote_address = forwarded_for.empty()
                             ? peer.client
                             : client_address(peer.address, forwarded_for, ctx.trusted);
    req.request_id = request_id;
    return req;
}

/// The handler's verdict on the headers alone; nullopt to read the body. Never throws (a
/// throw here would end the session without its bookkeeping).
std::optional<response> check_headers(const session_context& ctx, const request& req) {
    if (!ctx.handler.on_headers) {
        return std::nullopt;
    }
    try {
        return ctx.handler.on_headers(req);
    } catch (const std::exception&) {
        log::error("handler_exception", {{"request_id", req.request_id}});
        return json_error(500, "internal_error", "the request could not be handled");
    }
}

/// A request as logged: its method (when short), its path without the query, its id.
struct request_line {
    std::string request_id;
    std::string method;
    std::string path;

    request_line(const std::string& id, const request& req)
        : request_id(id),
          method(req.method.size() <= max_logged_method_chars ? req.method : "?"),
          path(loggable_path(req.target)) {}

    void log(unsigned status, std::size_t bytes_in, steady::time_point started) const {
        log::debug("http_request", {{"request_id", request_id},
                                    {"method", method},
                                    {"path", path},
                                    {"status", status},
                                    {"bytes_in", bytes_in},
                                    {"duration_us", micros_since(started)}});
    }
};

/// Answers an error that ends the connection, then closes it gracefully: the peer may still be
/// sending a body we refused, so read and discard for a moment to let it see the answer
/// instead of a reset.
template <class Stream>
awaitable<void> answer_and_close(const session_context& ctx, Stream& stream,
                                 beast::flat_buffer& buffer, const response& r,
                                 const std::string& request_id) {
    auto& lowest = beast::get_lowest_layer(stream);
    error_code ec;
    auto res = to_beast(r, http_1_1, false, request_id, false);
    lowest.expires_after(ctx.cfg.write_timeout);
    co_await bhttp::async_write(stream, res, asio::redirect_error(use_awaitable, ec));
    if (ec) {
        co_return;
    }
    if constexpr (std::is_same_v<Stream, beast::tcp_stream>) {
        // (TLS says goodbye with close_notify when the session ends instead.)
        lowest.socket().shutdown(tcp::socket::shutdown_send, ec);
    }
    lowest.expires_after(close_linger);
    std::size_t discarded = 0;
    buffer.consume(buffer.size());
    while (!ec && discarded < max_discarded_bytes) {
        const auto n = co_await stream.async_read_some(buffer.prepare(discard_read_bytes),
                                                       asio::redirect_error(use_awaitable, ec));
        discarded += n;
    }
}

template <class Stream>
awaitable<void> on_read_error(session_context& ctx, Stream& stream, beast::flat_buffer& buffer,
                              error_code ec, const std::string& request_id,
                              const std::string& remote) {
    // bad_descriptor: the socket was closed under the read (an idle connection evicted just as
    // its next request arrived): nothing to answer, nothing to count.
    if (ec == bhttp::error::end_of_stream || ec == asio::error::eof ||
        ec == asio::error::operation_aborted || ec == asio::error::connection_reset ||
        ec == asio::error::bad_descriptor || ec == ssl::error::stream_truncated) {
        co_return;
    }
    if (ec == beast::error::timeout) {
        ++ctx.counters.read_timeouts;
        ctx.refused("timeout");
        log::info("http_read_timeout", {{"request_id", request_id}, {"remote", remote}});
        co_return;
    }
    if (ec.category() == asio::error::get_ssl_category()) {
        co_return;  // a broken TLS record: nothing can be answered on it
    }
    response r;
    if (ec == bhttp::error::body_limit) {
        ++ctx.counters.too_large;
        ctx.refused("body_too_large");
        r = json_error(413, "payload_too_large",
                       "body exceeds " + std::to_string(ctx.cfg.max_body_bytes) + " bytes");
    } else if (ec == bhttp::error::header_limit || ec == bhttp::error::buffer_overflow) {
        ++ctx.counters.too_large;
        ctx.refused("headers_too_large");
        r = json_error(431, "headers_too_large", "request headers are too large");
    } else {
        ++ctx.counters.bad_requests;
        ctx.refused("bad_request");
        r = json_error(400, "bad_request", "malformed HTTP request");
    }
    log::info("http_rejected", {{"request_id", request_id},
                                {"remote", remote},
                                {"status", r.status},
                                {"reason", ec.message()}});
    co_await answer_and_close(ctx, stream, buffer, r, request_id);
}

/// Request after request on one connection, until it closes, fails or the drain ends it.
template <class Stream>
awaitable<void> serve(session_context& ctx, Stream& stream, session_state& state,
                      const std::string& peer_addr) {
    auto& lowest = beast::get_lowest_layer(stream);
    peer_info peer{peer_addr, client_address(peer_addr, {}, ctx.trusted),
                   !ctx.trusted.empty() && ctx.trusted.contains(peer_addr)};
    beast::flat_buffer buffer(static_cast<std::size_t>(ctx.cfg.max_header_bytes) +
                              read_buffer_slack_bytes);
    bool first = true;
    for (;;) {
        error_code ec;
        // Wait for the first byte of the next request: within the header timeout of a new
        // connection, the idle timeout between keep-alive requests.
        steady::time_point started = steady::now();
        if (buffer.size() == 0) {
            state.kept_alive.store(!first);
            state.at.store(phase::idle);
            if (ctx.draining.load()) {
                break;
            }
            if (first) {
                lowest.expires_at(state.accepted_at + ctx.header_timeout);
            } else {
                lowest.expires_after(ctx.cfg.idle_timeout);
            }
            const auto n = co_await stream.async_read_some(buffer.prepare(first_read_bytes),
                                                           asio::redirect_error(use_awaitable, ec));
            if (ec) {
                if (ec == beast::error::timeout && first) {
                    ++ctx.counters.read_timeouts;
                    ctx.refused("timeout");
                }
                break;
            }
            buffer.commit(n);
            started = steady::now();
        }
        state.at.store(phase::head);
        // The header block must arrive within the header timeout (counted from the connection
        // for its first request) and the whole request within read_timeout of its first byte:
        // a client that trickles bytes is cut off.
        lowest.expires_at((first ? state.accepted_at : started) + ctx.header_timeout);
        first = false;
        const std::string request_id = security::unique_hex_id();

        bhttp::request_parser<bhttp::string_body> parser;
        parser.header_limit(ctx.cfg.max_header_bytes);
        parser.body_limit(ctx.cfg.max_body_bytes);
        co_await bhttp::async_read_header(stream, buffer, parser,
                                          asio::redirect_error(use_awaitable, ec));
        if (ec) {
            co_await on_read_error(ctx, stream, buffer, ec, request_id, peer.address);
            break;
        }
        if (!lowest.socket().is_open()) {
            break;  // closed to make room just as its headers completed: nothing to answer
        }
        state.at.store(phase::request);
        lowest.expires_at(started + ctx.cfg.read_timeout);
        ++ctx.counters.requests;

        // Where the body ends must be beyond doubt before anything after the headers is read:
        // otherwise a body could pass for a second request (smuggling).
        const auto& head = parser.get();
        if (const framing verdict = body_framing(head, parser.chunked()); verdict != framing::ok) {
            ++ctx.counters.bad_requests;
            ctx.refused("bad_request");
            log::info("http_rejected", {{"request_id", request_id},
                                        {"remote", peer.address},
                                        {"status", 400},
                                        {"reason", to_string(verdict)}});
            co_await answer_and_close(ctx, stream, buffer,
                                      json_error(400, "bad_request", to_string(verdict)),
                                      request_id);
            break;
        }

        request req = to_request(ctx, head, peer, request_id);
        const bool head_only = head.method() == bhttp::verb::head;
        const request_line line(request_id, req);

        // What the headers alone decide (credentials that are not valid), before any body is
        // taken: answered, and the connection closed, so the body is never buffered.
        if (auto refusal = check_headers(ctx, req)) {
            co_await answer_and_close(ctx, stream, buffer, *refusal, request_id);
            line.log(refusal->status, 0, started);
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
            co_await on_read_error(ctx, stream, buffer, ec, request_id, peer.address);
            break;
        }

        auto msg = parser.release();
        req.body = std::move(msg.body());
        const std::size_t bytes_in = req.body.size();

        lowest.expires_never();  // the store may take a moment; no socket op pending
        response answer = co_await async_call(ctx.handler, std::move(req), use_awaitable);

        if (answer.close_without_answer) {
            break;
        }
        const bool keep_alive = msg.keep_alive() && !ctx.draining.load();
        const unsigned status = answer.status;
        auto res = to_beast(std::move(answer), msg.version(), keep_alive, request_id, head_only);
        // The connection's wait for its next request counts from here, before the client can
        // see this answer: connections answered one after the other rank in that order.
        state.waiting_since.store(steady::now().time_since_epoch().count());
        lowest.expires_after(ctx.cfg.write_timeout);
        co_await bhttp::async_write(stream, res, asio::redirect_error(use_awaitable, ec));
        line.log(status, bytes_in, started);
        if (ec || !keep_alive) {
            break;
        }
    }
}

}  // namespace

session_state::session_state(tcp::socket s, std::uint64_t i, ssl::context* ctx) : id(i) {
    if (ctx != nullptr) {
        tls.emplace(std::move(s), *ctx);
    } else {
        plain.emplace(std::move(s));
    }
}

void session_state::close_now() {
    error_code ec;
    lowest().socket().shutdown(tcp::socket::shutdown_both, ec);
    lowest().close();
}

session_context::session_context(const config::server_config& c, request_handler h,
                                 observability::metrics* m)
    : cfg(c),
      handler(std::move(h)),
      metrics(m),
      trusted(c.trusted_proxies),
      header_timeout(std::min(c.header_timeout, c.read_timeout)) {}

void session_context::refused(std::string_view reason) const {
    if (metrics != nullptr) {
        metrics->http_refused(reason);
    }
}

awaitable<void> run_session(session_context& ctx, std::shared_ptr<session_state> state) {
    const std::string peer = peer_address(state->lowest().socket());
    auto& lowest = state->lowest();
    if (state->tls) {
        // The handshake shares the header deadline of the first request.
        lowest.expires_at(state->accepted_at + ctx.header_timeout);
        error_code ec;
        co_await state->tls->async_handshake(ssl::stream_base::server,
                                             asio::redirect_error(use_awaitable, ec));
        if (ec) {
            ++ctx.counters.tls_failures;
            ctx.refused("tls_handshake");
            log::debug("tls_handshake_failed", {{"remote", peer}, {"error", ec.message()}});
        } else {
            co_await serve(ctx, *state->tls, *state, peer);
            lowest.expires_after(tls_shutdown_timeout);
            co_await state->tls->async_shutdown(asio::redirect_error(use_awaitable, ec));
        }
    } else {
        co_await serve(ctx, *state->plain, *state, peer);
    }
    error_code ignored;
    lowest.socket().shutdown(tcp::socket::shutdown_send, ignored);
    lowest.close();
}

}  // namespace riskbridge::http::detail
