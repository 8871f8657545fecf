#pragma once

#include <filesystem>
#include <string>

namespace riskbridge::testing {

/// A fresh directory under the system temp dir, removed with its contents on destruction.
class temp_dir {
public:
    temp_dir();
    ~temp_dir();
    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;
    const std::filesystem::path& path() const noexcept { return path_; }
    std::string file(const std::string& name) const { return (path_ / name).string(); }

private:
    std::filesystem::path path_;
};

inline std::string source_dir() {
    return RISKBRIDGE_SOURCE_DIR;
}
inline std::string fixtures_dir() {
    return RISKBRIDGE_FIXTURES_DIR;
}
inline std::string daemon_binary() {
    return RISKBRIDGE_BINARY;
}

}  // namespace riskbridge::testing
