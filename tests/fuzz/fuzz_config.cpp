// The YAML configuration loader, from text: substitution of ${VAR} and ${VAR:-default},
// parsing, validation, and the redacted dump of whatever loaded.

#include <optional>

#include "fuzz_common.hpp"
#include "riskbridge/config/loader.hpp"

using namespace riskbridge;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const bool quiet = (fuzz::quiet_logs(), true);
    (void)quiet;
    static const config::env_lookup env = [](std::string_view name) -> std::optional<std::string> {
        if (name == "ASHBY_API_KEY" || name == "RISKOS_API_KEY" || name == "SECRET") {
            return std::string("value-of-") + std::string(name);
        }
        if (name == "EMPTY") {
            return std::string();
        }
        return std::nullopt;
    };
    const auto loaded = config::load_config_text(fuzz::as_text(data, size), "fuzz.yaml", env);
    for (const auto& p : loaded.problems) {
        fuzz::check(p.line >= 0, "a problem with a negative line");
        (void)config::format_problem(p);
    }
    if (loaded.ok()) {
        const std::string dump = config::redacted_dump(loaded.cfg);
        for (const auto& s : loaded.cfg.ashby.webhook_secrets) {
            if (s.reveal().size() >= 8) {
                fuzz::check(dump.find(s.reveal()) == std::string::npos,
                            "a webhook secret in the redacted dump");
            }
        }
    }
    return 0;
}
