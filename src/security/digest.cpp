#include "riskbridge/security/digest.hpp"

#include <array>
#include <chrono>
#include <cstdint>
#include <vector>

#include <openssl/evp.h>
#include <openssl/rand.h>

namespace riskbridge::security {

namespace {

std::string to_hex(const unsigned char* data, std::size_t n) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out(n * 2, '0');
    for (std::size_t i = 0; i < n; ++i) {
        out[2 * i] = digits[data[i] >> 4];
        out[2 * i + 1] = digits[data[i] & 0x0f];
    }
    return out;
}

}  // namespace

std::string sha256_hex(std::string_view data) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
    unsigned int len = 0;
    if (EVP_Digest(data.data(), data.size(), md.data(), &len, EVP_sha256(), nullptr) != 1) {
        return {};
    }
    return to_hex(md.data(), len);
}

std::string unique_hex_id() {
    struct generator {
        std::uint64_t state = 0;
        generator() {
            if (RAND_bytes(reinterpret_cast<unsigned char*>(&state), sizeof state) != 1) {
                state = static_cast<std::uint64_t>(
                    std::chrono::steady_clock::now().time_since_epoch().count());
            }
        }
        std::uint64_t next() noexcept {  // splitmix64: a bijection of a Weyl sequence
            std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
            z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
            z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
            return z ^ (z >> 31);
        }
    };
    thread_local generator gen;
    std::array<unsigned char, sizeof(std::uint64_t)> bytes{};
    std::uint64_t v = gen.next();
    for (auto& b : bytes) {
        b = static_cast<unsigned char>(v & 0xff);
        v >>= 8;
    }
    return to_hex(bytes.data(), bytes.size());
}

std::string random_hex(std::size_t bytes) {
    std::vector<unsigned char> buf(bytes);
    if (RAND_bytes(buf.data(), static_cast<int>(buf.size())) != 1) {
        return {};
    }
    return to_hex(buf.data(), buf.size());
}

}  // namespace riskbridge::security
