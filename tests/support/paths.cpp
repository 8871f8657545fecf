#include "support/paths.hpp"

#include <cstdlib>
#include <stdexcept>
#include <system_error>

namespace riskbridge::testing {

temp_dir::temp_dir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "riskbridge-test-XXXXXX").string();
    if (mkdtemp(tmpl.data()) == nullptr) {
        throw std::runtime_error("mkdtemp failed");
    }
    path_ = tmpl;
}

temp_dir::~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
}

}  // namespace riskbridge::testing
