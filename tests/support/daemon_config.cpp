#include "support/daemon_config.hpp"

#include <fstream>
#include <random>

namespace riskbridge::testing {

std::string throwaway_encryption() {
    std::random_device rd;
    static constexpr char hex[] = "0123456789abcdef";
    std::string key;
    for (int i = 0; i < 64; ++i) {
        key.push_back(hex[rd() % 16]);
    }
    return "encryption: { keys: [{ id: test, key: \"" + key + "\" }] }";
}

std::string with_throwaway_encryption(const std::string& store_yaml) {
    const std::size_t close = store_yaml.rfind('}');
    if (close == std::string::npos) {
        return store_yaml;
    }
    return store_yaml.substr(0, close) + ", " + throwaway_encryption() + " " +
           store_yaml.substr(close);
}

std::string daemon_config::write(const temp_dir& dir, const std::string& name) const {
    const std::string path = dir.file(name + ".yaml");
    std::ofstream(path) << "server: { listen: \"127.0.0.1:0\", threads: 2 }\n"
                        << "ashby: { api_base_url: \"" << upstream << "\", api_key: k, "
                        << (ashby_extra.empty() ? "" : ashby_extra + ", ") << "webhook_secrets: [\""
                        << webhook_secret << "\"] }\n"
                        << "riskos: { api_base_url: \"" << upstream
                        << "\", api_key: k, webhook_auth: { bearer_tokens: [t] } }\n"
                        << "store: "
                        << (store.find("encryption") != std::string::npos ||
                                    store.find("allow_unencrypted") != std::string::npos
                                ? store
                                : with_throwaway_encryption(store))
                        << "\n"
                        << "workers: " << workers << "\n"
                        << "logging: { level: " << log_level << " }\n";
    return path;
}

}  // namespace riskbridge::testing
