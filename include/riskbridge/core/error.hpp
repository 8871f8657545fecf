#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace riskbridge {

/// What went wrong, as a value the caller can branch on. No exceptions cross module
/// boundaries for expected failures; messages never carry personal data or secrets.
enum class errc {
    invalid_argument,  ///< the caller passed something malformed
    parse_error,       ///< untrusted input did not parse
    not_found,
    conflict,      ///< a uniqueness or state precondition failed
    unauthorized,  ///< credentials missing or rejected
    unavailable,   ///< a dependency is down or refused; retry later
    overloaded,    ///< back-pressure: a queue is full; retry later
    timeout,
    io_error,
    transient,  ///< an upstream failure worth retrying
    permanent,  ///< an upstream failure that retrying will not fix
    internal,
};

std::string_view to_string(errc code) noexcept;

struct error {
    errc code = errc::internal;
    std::string message;

    error() = default;
    error(errc c, std::string m) : code(c), message(std::move(m)) {}
};

/// A value or an error: the one return type for expected failures across modules (Boost 1.74
/// has no boost::system::result; std::expected is C++23). `E` is riskbridge::error unless a
/// module needs a richer error (clients::upstream_error for upstream calls, flows' job outcome
/// for a step that ends the job early).
template <class T, class E = error>
class result {
public:
    result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT
    result(E e) : v_(std::in_place_index<1>, std::move(e)) {}          // NOLINT

    bool has_value() const noexcept { return v_.index() == 0; }
    explicit operator bool() const noexcept { return has_value(); }

    T& value() & { return std::get<0>(v_); }
    const T& value() const& { return std::get<0>(v_); }
    T&& value() && { return std::get<0>(std::move(v_)); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }

    const E& error() const& { return std::get<1>(v_); }
    E&& error() && { return std::get<1>(std::move(v_)); }

private:
    std::variant<T, E> v_;
};

template <class E>
class result<void, E> {
public:
    result() = default;
    result(E e) : err_(std::move(e)), ok_(false) {}  // NOLINT

    bool has_value() const noexcept { return ok_; }
    explicit operator bool() const noexcept { return ok_; }
    const E& error() const& { return err_; }
    E&& error() && { return std::move(err_); }

private:
    E err_{};
    bool ok_ = true;
};

inline error make_error(errc code, std::string message) {
    return error{code, std::move(message)};
}

}  // namespace riskbridge
