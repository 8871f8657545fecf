#include "riskbridge/sim/faults.hpp"

#include <algorithm>
#include <optional>

#include <nlohmann/json.hpp>

namespace riskbridge::sim {

namespace {

using nlohmann::json;

/// The longest "slow" delay and Retry-After the JSON form accepts (larger values are cut).
constexpr std::uint64_t max_slow_ms = 3'600'000;           // an hour
constexpr std::uint64_t max_retry_after_seconds = 86'400;  // a day
/// An unknown key is quoted in the error up to this length.
constexpr std::size_t max_key_in_error_chars = 40;
/// Rounding slack when checking that the error rates add up to at most 1.
constexpr double rate_sum_tolerance = 1e-9;

double uniform(std::mt19937_64& rng) {
    // 53 random bits in [0, 1): the same on every platform for a given seed.
    return static_cast<double>(rng() >> 11) * (1.0 / 9007199254740992.0);
}

}  // namespace

const char* to_string(fault f) noexcept {
    switch (f) {
        case fault::none:
            return "none";
        case fault::error_500:
            return "error_500";
        case fault::rate_limited:
            return "rate_limited";
        case fault::drop:
            return "drop";
        case fault::lost_reply:
            return "lost_reply";
    }
    return "none";
}

fault_injector::fault_injector(std::uint64_t seed) : rng_(seed) {}

void fault_injector::set(const fault_settings& settings) {
    std::lock_guard lock(mutex_);
    settings_ = settings;
}

fault_settings fault_injector::settings() const {
    std::lock_guard lock(mutex_);
    return settings_;
}

void fault_injector::reseed(std::uint64_t seed) {
    std::lock_guard lock(mutex_);
    rng_.seed(seed);
}

void fault_injector::force_next(fault_decision decision, int count) {
    std::lock_guard lock(mutex_);
    for (int i = 0; i < count; ++i) {
        forced_.push_back(decision);
    }
}

void fault_injector::clear() {
    std::lock_guard lock(mutex_);
    settings_ = fault_settings{};
    forced_.clear();
}

fault_decision fault_injector::next() {
    std::lock_guard lock(mutex_);
    fault_decision d;
    if (!forced_.empty()) {
        d = forced_.front();
        forced_.pop_front();
    } else {
        // Two draws per request whatever the settings, so a sequence is reproducible.
        const double u = uniform(rng_);
        const double v = uniform(rng_);
        double edge = settings_.drop_rate;
        if (u < edge) {
            d.kind = fault::drop;
        } else if (u < (edge += settings_.error_rate)) {
            d.kind = fault::error_500;
        } else if (u < (edge += settings_.rate_limit_rate)) {
            d.kind = fault::rate_limited;
        } else if (u < (edge += settings_.lost_reply_rate)) {
            d.kind = fault::lost_reply;
        }
        if (v < settings_.slow_rate) {
            d.delay = settings_.slow_delay;
        }
    }
    ++counts_[d.kind];
    return d;
}

std::map<fault, std::uint64_t> fault_injector::counts() const {
    std::lock_guard lock(mutex_);
    return counts_;
}

result<void> fault_injector::apply_json(std::string_view json_text) {
    const json j = json::parse(json_text, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
        return make_error(errc::invalid_argument, "faults: expected a JSON object");
    }
    std::lock_guard lock(mutex_);
    fault_settings s = settings_;
    std::optional<std::uint64_t> seed;
    for (const auto& [key, value] : j.items()) {
        double* rate = nullptr;
        if (key == "error_rate") {
            rate = &s.error_rate;
        } else if (key == "rate_limit_rate") {
            rate = &s.rate_limit_rate;
        } else if (key == "drop_rate") {
            rate = &s.drop_rate;
        } else if (key == "lost_reply_rate") {
            rate = &s.lost_reply_rate;
        } else if (key == "slow_rate") {
            rate = &s.slow_rate;
        }
        if (rate != nullptr) {
            if (!value.is_number() || value.get<double>() < 0.0 || value.get<double>() > 1.0) {
                return make_error(errc::invalid_argument, "faults: " + key + " must be in [0, 1]");
            }
            *rate = value.get<double>();
        } else if (key == "slow_ms" || key == "retry_after_seconds" || key == "seed") {
            if (!value.is_number_unsigned() &&
                !(value.is_number_integer() && value.get<long long>() >= 0)) {
                return make_error(errc::invalid_argument,
                                  "faults: " + key + " must be a non-negative integer");
            }
            const auto n = value.get<std::uint64_t>();
            if (key == "slow_ms") {
                s.slow_delay = milliseconds{static_cast<long long>(std::min(n, max_slow_ms))};
            } else if (key == "retry_after_seconds") {
                s.retry_after_seconds = static_cast<int>(std::min(n, max_retry_after_seconds));
            } else {
                seed = n;
            }
        } else {
            return make_error(
                errc::invalid_argument,
                "faults: unknown key '" + key.substr(0, max_key_in_error_chars) + "'");
        }
    }
    const double total = s.error_rate + s.rate_limit_rate + s.drop_rate + s.lost_reply_rate;
    if (total > 1.0 + rate_sum_tolerance) {
        return make_error(errc::invalid_argument, "faults: the error rates add up to more than 1");
    }
    settings_ = s;
    if (seed) {
        rng_.seed(*seed);
    }
    return {};
}

std::string fault_injector::to_json_text() const {
    std::lock_guard lock(mutex_);
    json counts = json::object();
    for (const auto& [k, n] : counts_) {
        counts[to_string(k)] = n;
    }
    return json{{"error_rate", settings_.error_rate},
                {"rate_limit_rate", settings_.rate_limit_rate},
                {"retry_after_seconds", settings_.retry_after_seconds},
                {"drop_rate", settings_.drop_rate},
                {"lost_reply_rate", settings_.lost_reply_rate},
                {"slow_rate", settings_.slow_rate},
                {"slow_ms", settings_.slow_delay.count()},
                {"forced_pending", forced_.size()},
                {"counts", counts}}
        .dump();
}

}  // namespace riskbridge::sim
