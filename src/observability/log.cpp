#include "riskbridge/observability/log.hpp"

#include <algorithm>
#include <atomic>
#include <iterator>
#include <mutex>
#include <ostream>
#include <type_traits>
#include <utility>
#include <vector>

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "riskbridge/core/clock.hpp"

namespace riskbridge::log {

namespace {

std::mutex g_mutex;
std::shared_ptr<spdlog::logger> g_logger;  // guarded by g_mutex for replacement
std::atomic<int> g_level{static_cast<int>(level::info)};
std::atomic<int> g_format{static_cast<int>(format::json)};

/// This thread's context fields, oldest first, each with the scope that added it.
struct context_entry {
    const scoped_context* owner;
    std::string key;
    std::string value;
};
thread_local std::vector<context_entry> t_context;

spdlog::level::level_enum to_spdlog(level l) {
    switch (l) {
        case level::trace:
            return spdlog::level::trace;
        case level::debug:
            return spdlog::level::debug;
        case level::info:
            return spdlog::level::info;
        case level::warn:
            return spdlog::level::warn;
        case level::error:
            return spdlog::level::err;
        case level::critical:
            return spdlog::level::critical;
        case level::off:
            return spdlog::level::off;
    }
    return spdlog::level::info;
}

std::string_view level_name(level l) {
    switch (l) {
        case level::trace:
            return "trace";
        case level::debug:
            return "debug";
        case level::info:
            return "info";
        case level::warn:
            return "warn";
        case level::error:
            return "error";
        case level::critical:
            return "critical";
        case level::off:
            return "off";
    }
    return "info";
}

void install(std::shared_ptr<spdlog::sinks::sink> sink, level lvl, format fmt) {
    auto logger = std::make_shared<spdlog::logger>("riskbridge", std::move(sink));
    logger->set_pattern("%v");
    logger->set_level(spdlog::level::trace);  // filtering happens in write()
    logger->flush_on(spdlog::level::trace);
    std::lock_guard lock(g_mutex);
    g_logger = std::move(logger);
    g_level.store(static_cast<int>(lvl));
    g_format.store(static_cast<int>(fmt));
}

std::shared_ptr<spdlog::logger> current() {
    std::lock_guard lock(g_mutex);
    if (!g_logger) {
        auto logger = std::make_shared<spdlog::logger>(
            "riskbridge", std::make_shared<spdlog::sinks::stdout_sink_mt>());
        logger->set_pattern("%v");
        logger->set_level(spdlog::level::trace);
        logger->flush_on(spdlog::level::trace);
        g_logger = std::move(logger);
    }
    return g_logger;
}

/// The keys every line starts with. A context or call-site field with one of these names
/// would silently replace them (or, in text format, break the line), so it is written under
/// `_<key>` instead.
bool is_reserved(std::string_view key) noexcept {
    return key == "ts" || key == "level" || key == "event";
}

std::string field_key(std::string_view key) {
    return is_reserved(key) ? "_" + std::string(key) : std::string(key);
}

/// Text format: a bare value when it is a plain word, JSON-quoted (so escaped) when it is
/// empty or holds spaces, quotes, '=' or control characters; a value can never break the line.
std::string text_value(const nlohmann::ordered_json& v) {
    if (v.is_string()) {
        const auto& s = v.get_ref<const std::string&>();
        const bool plain = !s.empty() && std::none_of(s.begin(), s.end(), [](char c) {
            const auto u = static_cast<unsigned char>(c);
            return u <= 0x20 || u == 0x7f || c == '"' || c == '=';
        });
        if (plain) {
            return s;
        }
    }
    return v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void put(nlohmann::ordered_json& obj, std::string_view key, const field::value_type& v) {
    std::visit(
        [&](const auto& x) {
            using T = std::decay_t<decltype(x)>;
            if constexpr (std::is_same_v<T, std::string_view>) {
                obj[field_key(key)] = std::string(x);
            } else {
                obj[field_key(key)] = x;
            }
        },
        v);
}

}  // namespace

bool parse_level(std::string_view text, level& out) noexcept {
    static constexpr std::pair<std::string_view, level> names[] = {
        {"trace", level::trace},       {"debug", level::debug},  {"info", level::info},
        {"warn", level::warn},         {"warning", level::warn}, {"error", level::error},
        {"critical", level::critical}, {"off", level::off}};
    for (const auto& [name, l] : names) {
        if (name == text) {
            out = l;
            return true;
        }
    }
    return false;
}

void init(level lvl, format fmt) {
    install(std::make_shared<spdlog::sinks::stdout_sink_mt>(), lvl, fmt);
}

void init_to_stream(std::ostream& out, level lvl, format fmt) {
    install(std::make_shared<spdlog::sinks::ostream_sink_mt>(out, true), lvl, fmt);
}

void set_level(level lvl) {
    g_level.store(static_cast<int>(lvl));
}

bool enabled(level lvl) noexcept {
    return lvl != level::off && static_cast<int>(lvl) >= g_level.load(std::memory_order_relaxed);
}

void flush() {
    current()->flush();
}

void write(level lvl, std::string_view event, std::initializer_list<field> fields) {
    if (!enabled(lvl)) {
        return;
    }
    write_unfiltered(lvl, event, fields);
}

void lifecycle(std::string_view event, std::initializer_list<field> fields) {
    if (g_level.load(std::memory_order_relaxed) != static_cast<int>(level::off)) {
        write_unfiltered(level::info, event, fields);
    }
}

void write_unfiltered(level lvl, std::string_view event, std::initializer_list<field> fields) {
    const std::string ts = format_rfc3339(system_clock().now());
    nlohmann::ordered_json obj;
    obj["ts"] = ts;
    obj["level"] = std::string(level_name(lvl));
    obj["event"] = std::string(event);
    for (const auto& e : t_context) {
        obj[field_key(e.key)] = e.value;
    }
    for (const auto& f : fields) {
        put(obj, f.key, f.value);
    }
    std::string line;
    if (static_cast<format>(g_format.load()) == format::json) {
        line = obj.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    } else {
        line = ts + " " + std::string(level_name(lvl)) + " " + std::string(event);
        for (auto it = obj.begin(); it != obj.end(); ++it) {
            if (is_reserved(it.key())) {
                continue;
            }
            line += " " + it.key() + "=" + text_value(*it);
        }
    }
    current()->log(to_spdlog(lvl), "{}", line);
}

scoped_context::scoped_context(std::string key, std::string value) {
    t_context.push_back({this, std::move(key), std::move(value)});
}

scoped_context::~scoped_context() {
    // Usually the last entry; but a scope owned by a longer-lived object (a job's ids, added
    // while a handler's own scope was open) may end after a younger one: remove exactly ours.
    for (auto it = t_context.rbegin(); it != t_context.rend(); ++it) {
        if (it->owner == this) {
            t_context.erase(std::next(it).base());
            return;
        }
    }
}

}  // namespace riskbridge::log
