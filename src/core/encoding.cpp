#include "riskbridge/core/encoding.hpp"

#include <array>
#include <cstdint>

namespace riskbridge {

namespace {

constexpr std::string_view base64_digits =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr unsigned char not_a_digit = 64;

/// 0-63 for a digit of the alphabet, not_a_digit for anything else.
constexpr std::array<unsigned char, 256> digit_table(bool url_too) {
    std::array<unsigned char, 256> t{};
    t.fill(not_a_digit);
    for (std::size_t i = 0; i < base64_digits.size(); ++i) {
        t[static_cast<unsigned char>(base64_digits[i])] = static_cast<unsigned char>(i);
    }
    if (url_too) {
        t[static_cast<unsigned char>('-')] = 62;
        t[static_cast<unsigned char>('_')] = 63;
    }
    return t;
}

constexpr auto standard_table = digit_table(false);
constexpr auto url_table = digit_table(true);

int hex_value(char c) noexcept {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

}  // namespace

std::string base64_encode(std::string_view bytes) {
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    std::size_t i = 0;
    const auto byte = [&](std::size_t k) {
        return static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[k]));
    };
    for (; i + 3 <= bytes.size(); i += 3) {
        const std::uint32_t v = byte(i) << 16 | byte(i + 1) << 8 | byte(i + 2);
        for (const int shift : {18, 12, 6, 0}) {
            out += base64_digits[(v >> shift) & 63];
        }
    }
    const std::size_t rest = bytes.size() - i;
    if (rest > 0) {
        const std::uint32_t v = byte(i) << 16 | (rest == 2 ? byte(i + 1) << 8 : 0);
        out += base64_digits[(v >> 18) & 63];
        out += base64_digits[(v >> 12) & 63];
        out += rest == 2 ? base64_digits[(v >> 6) & 63] : '=';
        out += '=';
    }
    return out;
}

std::optional<std::string> base64_decode(std::string_view text, base64_alphabet alphabet,
                                         base64_padding padding_rule) {
    const auto& table = alphabet == base64_alphabet::standard ? standard_table : url_table;
    if (padding_rule == base64_padding::required && text.size() % 4 != 0) {
        return std::nullopt;
    }
    std::size_t padding = 0;
    while (!text.empty() && text.back() == '=' && padding < 3) {
        text.remove_suffix(1);
        ++padding;
    }
    if (padding > 2 || (padding > 0 && (text.size() + padding) % 4 != 0) || text.size() % 4 == 1) {
        return std::nullopt;
    }
    std::string out;
    out.reserve(text.size() * 3 / 4);
    std::uint32_t acc = 0;
    int bits = 0;
    for (const char c : text) {
        const unsigned char v = table[static_cast<unsigned char>(c)];
        if (v == not_a_digit) {
            return std::nullopt;
        }
        acc = (acc << 6) | v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(static_cast<char>((acc >> bits) & 0xffU));
        }
    }
    if ((acc & ((1U << bits) - 1U)) != 0) {
        return std::nullopt;  // stray bits: not the encoding of whole bytes
    }
    return out;
}

std::optional<std::string> hex_decode(std::string_view text) {
    if (text.size() % 2 != 0) {
        return std::nullopt;
    }
    std::string out;
    out.reserve(text.size() / 2);
    for (std::size_t i = 0; i < text.size(); i += 2) {
        const int hi = hex_value(text[i]);
        const int lo = hex_value(text[i + 1]);
        if (hi < 0 || lo < 0) {
            return std::nullopt;
        }
        out.push_back(static_cast<char>(hi * 16 + lo));
    }
    return out;
}

bool is_token(std::string_view s, std::size_t max_size) noexcept {
    if (s.empty() || s.size() > max_size) {
        return false;
    }
    for (const char c : s) {
        const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                           (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
        if (!plain) {
            return false;
        }
    }
    return true;
}

}  // namespace riskbridge
