#pragma once

// Reading files as raw bytes and searching text: what the tests that look for personal data in
// a store's files and a daemon's logs share.

#include <fstream>
#include <sstream>
#include <string>

namespace riskbridge::testing {

/// The whole file, byte for byte; empty when it cannot be read.
inline std::string file_bytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

inline bool contains(const std::string& text, const std::string& needle) {
    return text.find(needle) != std::string::npos;
}

}  // namespace riskbridge::testing
