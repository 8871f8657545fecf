#include "riskbridge/flows/client_pool.hpp"

namespace riskbridge::flows {

namespace {

std::unique_ptr<clients::http_client> make_http(const config::config& cfg, const clock& clk,
                                                const http_factory& make, upstream which) {
    if (make) {
        return make(which);
    }
    clients::curl_options o;
    o.clk = &clk;
    if (which == upstream::ashby) {
        o.connect_timeout = cfg.ashby.connect_timeout;
        o.total_timeout = cfg.ashby.request_timeout;
    } else {
        o.connect_timeout = cfg.riskos.connect_timeout;
        o.total_timeout = cfg.riskos.request_timeout;
    }
    return clients::make_curl_client(o);
}

clients::ashby::ashby_options ashby_options_from(const config::config& cfg, const clock& clk,
                                                 const clients::upstream_observer& observer) {
    clients::ashby::ashby_options o;
    o.observer = observer;
    o.base_url = cfg.ashby.api_base_url;
    o.api_key = cfg.ashby.api_key.reveal();
    o.clk = &clk;
    return o;
}

clients::riskos::riskos_options riskos_options_from(const config::config& cfg, const clock& clk,
                                                    const clients::upstream_observer& observer) {
    clients::riskos::riskos_options o;
    o.observer = observer;
    o.base_url = cfg.riskos.api_base_url;
    o.api_key = cfg.riskos.api_key.reveal();
    o.api_version = cfg.riskos.api_version;
    o.clk = &clk;
    return o;
}

}  // namespace

flow_clients::flow_clients(const config::config& cfg, const clock& clk, const http_factory& make,
                           const clients::upstream_observer& observer)
    : ashby_http(make_http(cfg, clk, make, upstream::ashby)),
      riskos_http(make_http(cfg, clk, make, upstream::riskos)),
      ashby(*ashby_http, ashby_options_from(cfg, clk, observer)),
      riskos(*riskos_http, riskos_options_from(cfg, clk, observer)) {}

client_pool::client_pool(const config::config& cfg, const clock& clk, http_factory make,
                         clients::upstream_observer observer)
    : cfg_(cfg), clk_(clk), make_(std::move(make)), observer_(std::move(observer)) {}

client_pool::lease::~lease() {
    if (clients_ && pool_ != nullptr) {
        std::lock_guard lock(pool_->mutex_);
        pool_->idle_.push_back(std::move(clients_));
    }
}

client_pool::lease client_pool::acquire() {
    {
        std::lock_guard lock(mutex_);
        if (!idle_.empty()) {
            auto c = std::move(idle_.back());
            idle_.pop_back();
            return lease(*this, std::move(c));
        }
        ++created_;
    }
    return lease(*this, std::make_unique<flow_clients>(cfg_, clk_, make_, observer_));
}

std::size_t client_pool::created() const {
    std::lock_guard lock(mutex_);
    return created_;
}

}  // namespace riskbridge::flows
