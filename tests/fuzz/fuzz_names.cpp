// The name splitter: never throws, and UTF-8 in gives UTF-8 out (no character is split).

#include "fuzz_common.hpp"
#include "riskbridge/clients/riskos/evaluation.hpp"
#include "riskbridge/flows/names.hpp"

using namespace riskbridge;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text = fuzz::as_text(data, size);
    const flows::person_name n = flows::split_name(text);
    if (fuzz::valid_utf8(text)) {
        for (const std::string* part : {&n.given, &n.middle, &n.family, &n.suffix}) {
            fuzz::check(fuzz::valid_utf8(*part), "a name part that is not UTF-8");
        }
        // The request clips names to 240 characters, also without splitting one.
        fuzz::check(fuzz::valid_utf8(clients::riskos::clip_utf8(text, 7)),
                    "clip_utf8 split a character");
    }
    fuzz::check(n.family.empty() || !n.given.empty(), "a family name without a given name");
    return 0;
}
