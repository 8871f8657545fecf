#include "support/daemon_config.hpp"

#include <fstream>

namespace riskbridge::testing {

std::string daemon_config::write(const temp_dir& dir, const std::string& name) const {
    const std::string path = dir.file(name + ".yaml");
    std::ofstream(path) << "server: { listen: \"127.0.0.1:0\", threads: 2 }\n"
                        << "ashby: { api_base_url: \"" << upstream << "\", api_key: k, "
                        << (ashby_extra.empty() ? "" : ashby_extra + ", ") << "webhook_secrets: [\""
                        << webhook_secret << "\"] }\n"
                        << "riskos: { api_base_url: \"" << upstream
                        << "\", api_key: k, webhook_auth: { bearer_tokens: [t] } }\n"
                        << "store: " << store << "\n"
                        << "workers: " << workers << "\n"
                        << "logging: { level: " << log_level << " }\n";
    return path;
}

}  // namespace riskbridge::testing
