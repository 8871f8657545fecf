#pragma once

// The Ashby and RiskOS clients of the flows: one set per worker at a time (curl handles are
// never shared between threads), kept alive across jobs by client_pool.

#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "riskbridge/clients/ashby/ashby_client.hpp"
#include "riskbridge/clients/http_client.hpp"
#include "riskbridge/clients/riskos/riskos_client.hpp"
#include "riskbridge/config/config.hpp"
#include "riskbridge/core/clock.hpp"

namespace riskbridge::flows {

enum class upstream { ashby, riskos };

/// Makes the HTTP client for one upstream (tests hand in fakes). Default: libcurl with the
/// configured timeouts.
using http_factory = std::function<std::unique_ptr<clients::http_client>(upstream)>;

/// The clients one worker uses for one job.
struct flow_clients {
    std::unique_ptr<clients::http_client> ashby_http;
    std::unique_ptr<clients::http_client> riskos_http;
    clients::ashby::ashby_client ashby;
    clients::riskos::riskos_client riskos;

    /// `observer` is told about every call of both clients (metrics).
    flow_clients(const config::config& cfg, const clock& clk, const http_factory& make,
                 const clients::upstream_observer& observer = {});
};

/// Hands each caller a set of clients no other thread is using; returns it to an idle list
/// when the lease ends, so connections are kept alive across jobs. Thread-safe.
class client_pool {
public:
    client_pool(const config::config& cfg, const clock& clk, http_factory make,
                clients::upstream_observer observer = {});

    class lease {
    public:
        lease(client_pool& pool, std::unique_ptr<flow_clients> c)
            : pool_(&pool), clients_(std::move(c)) {}
        ~lease();
        lease(lease&& other) noexcept = default;
        lease& operator=(lease&&) = delete;
        lease(const lease&) = delete;
        lease& operator=(const lease&) = delete;
        flow_clients& operator*() const { return *clients_; }
        flow_clients* operator->() const { return clients_.get(); }

    private:
        client_pool* pool_;
        std::unique_ptr<flow_clients> clients_;
    };

    lease acquire();
    std::size_t created() const;

private:
    const config::config& cfg_;
    const clock& clk_;
    http_factory make_;
    clients::upstream_observer observer_;
    mutable std::mutex mutex_;
    std::vector<std::unique_ptr<flow_clients>> idle_;
    std::size_t created_ = 0;
};

}  // namespace riskbridge::flows
