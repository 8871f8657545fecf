#include "sim/common.hpp"

#include <cctype>

#include "riskbridge/core/text.hpp"
#include "riskbridge/observability/log.hpp"
#include "riskbridge/security/digest.hpp"

namespace riskbridge::sim::detail {

http::response json_response(unsigned status, const json& body) {
    http::response r;
    r.status = status;
    r.body = dump(body);
    return r;
}

namespace {

std::string format_uuid(std::string hex) {
    hex.resize(32, '0');
    hex[12] = '4';
    hex[16] = "89ab"[std::stoi(std::string(1, hex[16]), nullptr, 16) & 3];
    return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" +
           hex.substr(16, 4) + "-" + hex.substr(20, 12);
}

}  // namespace

std::string uuid_from(std::string_view text) {
    return format_uuid(security::sha256_hex(text));
}

std::string id_source::next() {
    std::uint64_t a = 0;
    std::uint64_t b = 0;
    {
        std::lock_guard lock(mutex_);
        a = rng_();
        b = rng_();
    }
    static constexpr char digits[] = "0123456789abcdef";
    std::string hex;
    for (int i = 15; i >= 0; --i) {
        hex += digits[(a >> (i * 4)) & 15];
    }
    for (int i = 15; i >= 0; --i) {
        hex += digits[(b >> (i * 4)) & 15];
    }
    return format_uuid(hex);
}

std::string email_local_part(std::string_view email) {
    const auto at = email.find('@');
    std::string out(email.substr(0, at));
    for (auto& c : out) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return out;
}

std::string now_text(const clock* clk) {
    return format_rfc3339(clk != nullptr ? clk->now() : system_clock().now());
}

const std::string* string_field(const json& body, const char* key) {
    if (!body.is_object()) {
        return nullptr;
    }
    auto it = body.find(key);
    if (it == body.end() || !it->is_string() || it->get_ref<const std::string&>().empty()) {
        return nullptr;
    }
    return &it->get_ref<const std::string&>();
}

std::string text_at(const json& body, const char* key) {
    const std::string* value = string_field(body, key);
    return value != nullptr ? *value : std::string{};
}

std::optional<std::string_view> credentials_after(std::string_view header,
                                                  std::string_view scheme) {
    if (header.size() <= scheme.size() || !iequals(header.substr(0, scheme.size()), scheme) ||
        header[scheme.size()] != ' ') {
        return std::nullopt;
    }
    return header.substr(scheme.size() + 1);
}

std::unique_ptr<clients::http_client> make_webhook_sender(std::string user_agent) {
    clients::curl_options o;
    o.connect_timeout = webhook_connect_timeout;
    o.total_timeout = webhook_total_timeout;
    o.user_agent = std::move(user_agent);
    return clients::make_curl_client(o);
}

clients::http_call json_post(std::string url, std::string body, std::string header_name,
                             std::string header_value) {
    clients::http_call c;
    c.method = clients::http_method::post;
    c.url = std::move(url);
    c.headers = {{"Content-Type", "application/json"},
                 {std::move(header_name), std::move(header_value)}};
    c.body = std::move(body);
    return c;
}

sim_host::sim_host(std::string name, std::string host, std::uint16_t port, int threads,
                   std::uint64_t seed)
    : name_(std::move(name)),
      host_(std::move(host)),
      configured_port_(port),
      threads_(threads),
      faults_(seed) {}

sim_host::~sim_host() {
    stop();
}

result<void> sim_host::start(host_handlers handlers) {
    if (running_.load()) {
        return make_error(errc::conflict, name_ + " simulator already running");
    }
    handlers_ = std::move(handlers);
    delayed_ = std::make_unique<scheduler>();
    outbox_ = std::make_unique<scheduler>();
    config::server_config cfg;  // limits and timeouts: the server's defaults (config.hpp)
    cfg.host = host_;
    cfg.port = configured_port_;
    cfg.listen = host_ + ":" + std::to_string(configured_port_);
    cfg.threads = threads_;
    cfg.drain_timeout = drain_timeout;
    server_ = http::make_server(cfg, [this](http::request req, http::respond_fn respond) {
        handle(std::move(req), std::move(respond));
    });
    if (auto started = server_->start(); !started) {
        server_.reset();
        outbox_.reset();
        delayed_.reset();
        return started.error();
    }
    running_.store(true);
    log::info("sim_started", {{"sim", name_}, {"port", static_cast<unsigned>(server_->port())}});
    return {};
}

void sim_host::stop() {
    if (!running_.exchange(false)) {
        return;
    }
    outbox_->stop();   // a webhook still queued is not sent; a DocV capture stops where it is
    delayed_->stop();  // answers owed are sent now
    server_->drain(drain_timeout);
    log::info("sim_stopped", {{"sim", name_}});
}

std::uint16_t sim_host::port() const {
    return server_ ? server_->port() : 0;
}

std::string sim_host::base_url() const {
    const std::string h = host_ == "0.0.0.0" ? std::string("127.0.0.1") : host_;
    return "http://" + h + ":" + std::to_string(port());
}

int sim_host::calls(const std::string& key) const {
    std::lock_guard lock(mutex_);
    auto it = calls_.find(key);
    return it == calls_.end() ? 0 : it->second;
}

std::map<std::string, int> sim_host::call_counts() const {
    std::lock_guard lock(mutex_);
    return calls_;
}

std::string sim_host::state_text(json fields) const {
    json calls = json::object();
    for (const auto& [k, n] : call_counts()) {
        calls[k] = n;
    }
    fields["calls"] = std::move(calls);
    fields["faults"] = json::parse(faults_.to_json_text(), nullptr, false);
    return dump(fields, 2);
}

void sim_host::handle(http::request req, http::respond_fn respond) {
    const std::string_view path = req.path();
    if (path.rfind("/_sim/", 0) == 0) {
        if (path == "/_sim/faults") {
            if (req.method == "GET") {
                http::response r;
                r.body = faults_.to_json_text();
                respond(std::move(r));
            } else if (req.method == "POST") {
                auto applied = faults_.apply_json(req.body);
                if (!applied) {
                    respond(http::json_error(400, "bad_faults", applied.error().message));
                } else {
                    http::response r;
                    r.body = faults_.to_json_text();
                    respond(std::move(r));
                }
            } else {
                respond(http::json_error(405, "method_not_allowed", "GET or POST"));
            }
            return;
        }
        if (path == "/_sim/state" && req.method == "GET" && handlers_.state) {
            http::response r;
            r.body = handlers_.state();
            respond(std::move(r));
            return;
        }
        if (!handlers_.control || !handlers_.control(req, respond)) {
            respond(http::json_error(404, "not_found", "no such simulator endpoint"));
        }
        return;
    }

    {
        std::lock_guard lock(mutex_);
        ++calls_[handlers_.key(req)];
    }
    const fault_decision f = faults_.next();
    http::response answer;
    switch (f.kind) {
        case fault::error_500:
            answer = http::json_error(500, "internal_error", "injected fault");
            break;
        case fault::rate_limited:
            answer = http::json_error(429, "rate_limited", "injected fault");
            answer.headers.emplace_back("Retry-After",
                                        std::to_string(faults_.settings().retry_after_seconds));
            break;
        case fault::drop:
            answer.close_without_answer = true;
            break;
        case fault::lost_reply:
            (void)handlers_.api(req);  // the effect happens, the answer is lost
            answer.close_without_answer = true;
            break;
        case fault::none:
            answer = handlers_.api(req);
            break;
    }
    if (f.kind != fault::none) {
        log::debug("sim_fault", {{"sim", name_}, {"fault", to_string(f.kind)}});
    }
    if (f.delay.count() > 0) {
        auto shared = std::make_shared<http::response>(std::move(answer));
        delayed_->post_after(
            f.delay, [respond, shared] { respond(std::move(*shared)); },
            /*run_on_stop=*/true);
        return;
    }
    respond(std::move(answer));
}

}  // namespace riskbridge::sim::detail
