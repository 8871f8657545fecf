// request::path(): the route a request target names, in origin form or absolute form.

#include "riskbridge/http/message.hpp"

#include <gtest/gtest.h>

namespace riskbridge::http {
namespace {

std::string path_of(const std::string& target) {
    request r;
    r.target = target;
    return std::string(r.path());
}

TEST(RequestPath, OriginFormWithoutItsQuery) {
    EXPECT_EQ(path_of("/webhooks/ashby"), "/webhooks/ashby");
    EXPECT_EQ(path_of("/webhooks/ashby?x=1"), "/webhooks/ashby");
    EXPECT_EQ(path_of("/"), "/");
}

TEST(RequestPath, AbsoluteFormIsThePathAfterTheAuthority) {
    EXPECT_EQ(path_of("http://127.0.0.1:8080/webhooks/ashby"), "/webhooks/ashby");
    EXPECT_EQ(path_of("HTTPS://riskbridge.example/webhooks/riskos?a=b"), "/webhooks/riskos");
    EXPECT_EQ(path_of("http://riskbridge.example"), "/");
    EXPECT_EQ(path_of("http://riskbridge.example?q=/webhooks/ashby"), "/");
    // Not a scheme this server speaks: left as it is (and so not found).
    EXPECT_EQ(path_of("ftp://host/webhooks/ashby"), "ftp://host/webhooks/ashby");
}

}  // namespace
}  // namespace riskbridge::http
