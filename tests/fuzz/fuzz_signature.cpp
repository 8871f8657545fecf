// The Ashby-Signature header: the input's first line is the header value, the rest the body.
// A header made from a configured secret must verify; the fuzzed one must never verify unless
// it is exactly that (hex digits in any case, spaces around it); constant_time_equal must agree
// with ==.

#include <algorithm>
#include <cctype>

#include "fuzz_common.hpp"
#include "riskbridge/security/hmac.hpp"

using namespace riskbridge;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const std::vector<config::secret> secrets{config::secret("first-secret"),
                                                     config::secret("second-secret")};
    const std::string_view text = fuzz::as_text(data, size);
    const auto nl = text.find('\n');
    const std::string_view header = text.substr(0, nl);
    const std::string_view body = nl == std::string_view::npos ? "" : text.substr(nl + 1);

    const auto status = security::verify_ashby_signature(header, body, secrets);
    (void)security::to_string(status);
    const std::string good = "sha256=" + security::hmac_sha256_hex("second-secret", body);
    const std::string also = "sha256=" + security::hmac_sha256_hex("first-secret", body);
    if (status == security::signature_status::valid) {
        // Surrounding spaces and tabs are not part of a header's value, and hex digits are
        // case-insensitive (hmac.cpp); the prefix is not.
        const auto first = header.find_first_not_of(" \t");
        const auto last = header.find_last_not_of(" \t");
        const std::string_view value =
            first == std::string_view::npos ? "" : header.substr(first, last - first + 1);
        std::string lowered(value);
        std::transform(lowered.begin(), lowered.end(), lowered.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        fuzz::check(value.starts_with("sha256=") && (lowered == good || lowered == also),
                    "a signature accepted that no secret made");
    }
    fuzz::check(
        security::verify_ashby_signature(good, body, secrets) == security::signature_status::valid,
        "a correct signature rejected");
    fuzz::check(security::constant_time_equal(header, body) == (header == body),
                "constant_time_equal disagrees with ==");
    return 0;
}
