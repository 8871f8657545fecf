// request::path(): the route a request target names, in origin form or absolute form.
// check_framing(): the only Transfer-Encoding accepted is a single chunked, in HTTP/1.1, without
// Content-Length.

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

using te = std::vector<std::string_view>;

TEST(CheckFraming, NoTransferEncodingOrASingleChunked) {
    EXPECT_EQ(check_framing({}, false, 11), framing::ok);
    EXPECT_EQ(check_framing({}, true, 11), framing::ok);
    EXPECT_EQ(check_framing({}, true, 10), framing::ok);
    EXPECT_EQ(check_framing(te{"chunked"}, false, 11), framing::ok);
    EXPECT_EQ(check_framing(te{"Chunked"}, false, 11), framing::ok);
    EXPECT_EQ(check_framing(te{" \tCHUNKED\t "}, false, 11), framing::ok);
}

TEST(CheckFraming, AnyOtherCodingListIsRefused) {
    for (const te& values : {
             te{"gzip"},
             te{"chunked, chunked"},
             te{"chunked", "chunked"},
             te{"gzip, chunked"},  // a final chunked after another coding: still refused
             te{"gzip", "chunked"},
             te{"chunked, gzip"},
             te{"chunked", "gzip"},
             te{"identity"},
             te{""},
             te{"", "chunked"},
             te{"chunked", ""},
             te{"chunked,"},
             te{",chunked"},
             te{"chunked;q=1"},
             te{"chunked x"},
             te{"xchunked"},
             te{"\"chunked\""},
             te{"chunked\r\nX: y"},
             te{std::string_view("chunked\0", 8)},
         }) {
        std::string shown;
        for (const auto v : values) {
            shown += "[" + std::string(v) + "]";
        }
        EXPECT_EQ(check_framing(values, false, 11), framing::bad_transfer_encoding) << shown;
    }
}

TEST(CheckFraming, WithContentLengthOrInHttp10IsRefused) {
    EXPECT_EQ(check_framing(te{"chunked"}, true, 11), framing::with_content_length);
    EXPECT_EQ(check_framing(te{"gzip"}, true, 11), framing::with_content_length);
    EXPECT_EQ(check_framing(te{"chunked"}, false, 10), framing::http10_transfer_encoding);
    for (const framing f : {framing::bad_transfer_encoding, framing::with_content_length,
                            framing::http10_transfer_encoding}) {
        EXPECT_STRNE(to_string(f), "ok");
    }
}

}  // namespace
}  // namespace riskbridge::http
