#pragma once

// Structured logging: one JSON object per line on stdout.
//
// Every line is {"ts","level","event", <context fields>, <fields>}. Fields carry ids, counts,
// enums and error codes only: never names, emails, phones, addresses, document data, request
// bodies, signatures or secrets. That rule is the caller's; review every new field.

#include <concepts>
#include <cstdint>
#include <initializer_list>
#include <iosfwd>
#include <string>
#include <string_view>
#include <variant>

namespace riskbridge::log {

enum class level { trace, debug, info, warn, error, critical, off };
enum class format { json, text };

/// Parses "trace", "debug", "info", "warn"/"warning", "error", "critical", "off".
bool parse_level(std::string_view text, level& out) noexcept;

struct field {
    using value_type = std::variant<std::string_view, long long, unsigned long long, double, bool>;

    std::string_view key;
    value_type value;

    field(std::string_view k, std::string_view v) : key(k), value(v) {}
    field(std::string_view k, const std::string& v) : key(k), value(std::string_view{v}) {}
    field(std::string_view k, const char* v) : key(k), value(std::string_view{v}) {}
    field(std::string_view k, bool v) : key(k), value(v) {}
    field(std::string_view k, double v) : key(k), value(v) {}
    template <std::signed_integral I>
    field(std::string_view k, I v) : key(k), value(static_cast<long long>(v)) {}
    template <std::unsigned_integral I>
    requires(!std::same_as<I, bool>) field(std::string_view k, I v)
        : key(k), value(static_cast<unsigned long long>(v)) {}
};

/// Sets up the process logger on stdout. Safe to call more than once (the last call wins).
void init(level lvl, format fmt = format::json);
/// Sends log lines to a stream instead (tests). The stream must outlive logging.
void init_to_stream(std::ostream& out, level lvl, format fmt = format::json);
void set_level(level lvl);
bool enabled(level lvl) noexcept;
void flush();

void write(level lvl, std::string_view event, std::initializer_list<field> fields = {});
/// Process lifecycle lines (starting, ready, shutdown, stopped): written at "info" whatever
/// the configured level (unless it is off), so operators and tools always see them.
void lifecycle(std::string_view event, std::initializer_list<field> fields = {});
/// Writes without consulting the level (used by write() and lifecycle()).
void write_unfiltered(level lvl, std::string_view event, std::initializer_list<field> fields);

inline void trace(std::string_view ev, std::initializer_list<field> f = {}) {
    write(level::trace, ev, f);
}
inline void debug(std::string_view ev, std::initializer_list<field> f = {}) {
    write(level::debug, ev, f);
}
inline void info(std::string_view ev, std::initializer_list<field> f = {}) {
    write(level::info, ev, f);
}
inline void warn(std::string_view ev, std::initializer_list<field> f = {}) {
    write(level::warn, ev, f);
}
inline void error(std::string_view ev, std::initializer_list<field> f = {}) {
    write(level::error, ev, f);
}

/// Adds a field to every line written by this thread while the object lives (job_id,
/// candidate_id, ...). Nested scopes stack; the same key in an inner scope shadows the outer.
class scoped_context {
public:
    scoped_context(std::string key, std::string value);
    ~scoped_context();
    scoped_context(const scoped_context&) = delete;
    scoped_context& operator=(const scoped_context&) = delete;
};

}  // namespace riskbridge::log
