// check_framing, which decides on a request's Transfer-Encoding before any of its body is read:
// the first byte says whether Content-Length is present (bit 0) and whether the request is
// HTTP/1.0 (bit 1); each following line is the value of one Transfer-Encoding header line. The
// framing must be accepted exactly when there is no Transfer-Encoding, or when the values
// together name the one coding `chunked` (any letter case, spaces and tabs around it) in an
// HTTP/1.1 request without Content-Length.

#include <algorithm>
#include <cctype>
#include <vector>

#include "fuzz_common.hpp"
#include "riskbridge/http/message.hpp"

using namespace riskbridge;

namespace {

/// The list elements of every value, trimmed of spaces and tabs and lowercased.
std::vector<std::string> elements(const std::vector<std::string_view>& values) {
    std::vector<std::string> out;
    for (const auto value : values) {
        std::size_t start = 0;
        for (;;) {
            const auto comma = value.find(',', start);
            std::string e(
                value.substr(start, comma == std::string_view::npos ? value.npos : comma - start));
            const auto first = e.find_first_not_of(" \t");
            const auto last = e.find_last_not_of(" \t");
            e = first == std::string::npos ? "" : e.substr(first, last - first + 1);
            std::transform(e.begin(), e.end(), e.begin(),
                           [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
            out.push_back(std::move(e));
            if (comma == std::string_view::npos) {
                break;
            }
            start = comma + 1;
        }
    }
    return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) {
        return 0;
    }
    const bool has_content_length = (data[0] & 1) != 0;
    const unsigned version = (data[0] & 2) != 0 ? 10 : 11;
    std::string_view text = fuzz::as_text(data + 1, size - 1);
    std::vector<std::string_view> values;
    while (!text.empty()) {
        const auto nl = text.find('\n');
        values.push_back(text.substr(0, nl));
        text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    }

    const http::framing verdict = http::check_framing(values, has_content_length, version);
    (void)http::to_string(verdict);
    const auto list = elements(values);
    const bool expected = values.empty() || (!has_content_length && version == 11 &&
                                             list.size() == 1 && list.front() == "chunked");
    fuzz::check(
        (verdict == http::framing::ok) == expected,
        expected ? "a single chunked refused" : "a framing accepted that is not one chunked");
    return 0;
}
