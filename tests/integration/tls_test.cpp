// TLS on the listener: a self-signed certificate made at run time, HTTPS with libcurl that
// verifies it, TLS 1.2 and later only, plain HTTP and silent clients on the TLS port cut off
// without harm, and bad certificate or key files refused clearly.

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <memory>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "riskbridge/security/hmac.hpp"
#include "support/daemon_config.hpp"
#include "support/daemon_process.hpp"
#include "support/http_client.hpp"
#include "support/paths.hpp"

namespace riskbridge::testing {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

constexpr const char* secret = "tls-test-secret";

/// Writes a fresh self-signed certificate for 127.0.0.1 and localhost, and its key.
bool make_self_signed(const std::string& cert_path, const std::string& key_path) {
    std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(EVP_EC_gen("P-256"), EVP_PKEY_free);
    std::unique_ptr<X509, decltype(&X509_free)> cert(X509_new(), X509_free);
    if (!key || !cert) {
        return false;
    }
    X509_set_version(cert.get(), 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert.get()), -60);
    X509_gmtime_adj(X509_getm_notAfter(cert.get()), 3600);
    X509_set_pubkey(cert.get(), key.get());
    X509_NAME* name = X509_get_subject_name(cert.get());
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
    X509_set_issuer_name(cert.get(), name);
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, cert.get(), cert.get(), nullptr, nullptr, 0);
    X509_EXTENSION* san =
        X509V3_EXT_conf_nid(nullptr, &ctx, NID_subject_alt_name, "IP:127.0.0.1,DNS:localhost");
    if (san == nullptr) {
        return false;
    }
    X509_add_ext(cert.get(), san, -1);
    X509_EXTENSION_free(san);
    if (X509_sign(cert.get(), key.get(), EVP_sha256()) == 0) {
        return false;
    }
    std::unique_ptr<BIO, decltype(&BIO_free)> cert_out(BIO_new_file(cert_path.c_str(), "w"),
                                                       BIO_free);
    std::unique_ptr<BIO, decltype(&BIO_free)> key_out(BIO_new_file(key_path.c_str(), "w"),
                                                      BIO_free);
    return cert_out && key_out && PEM_write_bio_X509(cert_out.get(), cert.get()) == 1 &&
           PEM_write_bio_PrivateKey(key_out.get(), key.get(), nullptr, nullptr, 0, nullptr,
                                    nullptr) == 1;
}

std::size_t append(char* data, std::size_t size, std::size_t n, void* out) {
    static_cast<std::string*>(out)->append(data, size * n);
    return size * n;
}

struct https_reply {
    CURLcode code = CURLE_OK;
    long status = 0;
    std::string body;
};

/// One HTTPS request with libcurl, verifying the server against `ca_file`.
https_reply https(std::uint16_t port, const std::string& path, const std::string& ca_file,
                  const std::string& body = {}, const std::vector<std::string>& headers = {}) {
    https_reply out;
    std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), curl_easy_cleanup);
    const std::string url = "https://127.0.0.1:" + std::to_string(port) + path;
    curl_slist* list = nullptr;
    for (const auto& h : headers) {
        list = curl_slist_append(list, h.c_str());
    }
    curl_easy_setopt(curl.get(), CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl.get(), CURLOPT_CAINFO, ca_file.c_str());
    curl_easy_setopt(curl.get(), CURLOPT_SSLVERSION, CURL_SSLVERSION_TLSv1_2);
    curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT_MS, 10000L);
    curl_easy_setopt(curl.get(), CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, append);
    curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &out.body);
    if (!body.empty()) {
        curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDS, body.c_str());
        curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
    }
    curl_easy_setopt(curl.get(), CURLOPT_HTTPHEADER, list);
    out.code = curl_easy_perform(curl.get());
    curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &out.status);
    curl_slist_free_all(list);
    return out;
}

/// A TLS handshake with the protocol versions limited to [min, max]; true when it succeeds.
bool handshake_with(std::uint16_t port, int min_version, int max_version) {
    std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> ctx(SSL_CTX_new(TLS_client_method()),
                                                          SSL_CTX_free);
    SSL_CTX_set_security_level(ctx.get(), 0);  // let this client offer old versions
    SSL_CTX_set_min_proto_version(ctx.get(), min_version);
    SSL_CTX_set_max_proto_version(ctx.get(), max_version);
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_NONE, nullptr);
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        ::close(fd);
        return false;
    }
    timeval tv{5, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    SSL* ssl = SSL_new(ctx.get());
    SSL_set_fd(ssl, fd);
    const bool ok = SSL_connect(ssl) == 1;
    SSL_free(ssl);
    ::close(fd);
    ERR_clear_error();
    return ok;
}

class TlsTest : public ::testing::Test {
protected:
    void SetUp() override {
        cert_ = dir_.file("cert.pem");
        key_ = dir_.file("key.pem");
        ASSERT_TRUE(make_self_signed(cert_, key_));
    }
    void TearDown() override {
        if (daemon_ && daemon_->running()) {
            EXPECT_EQ(daemon_->terminate(20s), std::optional<int>(0)) << daemon_->logs();
        }
    }

    std::string write_config(const std::string& cert, const std::string& key) {
        const std::string path = dir_.file("riskbridge.yaml");
        std::ofstream(path) << "server:\n  listen: \"127.0.0.1:0\"\n  header_timeout_ms: 1000\n"
                            << "  tls:\n    cert_file: \"" << cert << "\"\n    key_file: \"" << key
                            << "\"\n"
                            << "ashby: { api_base_url: \"http://127.0.0.1:9\", api_key: k, "
                               "webhook_secrets: [\""
                            << secret << "\"] }\n"
                            << "riskos: { api_base_url: \"http://127.0.0.1:9\", api_key: k, "
                               "webhook_auth: { bearer_tokens: [t] } }\n"
                            << "store: "
                            << with_throwaway_encryption("{ sqlite_path: \"" +
                                                         dir_.file("riskbridge.db") + "\" }")
                            << "\n"
                            << "workers: { threads: 1 }\n";
        return path;
    }

    void start() {
        daemon_ = std::make_unique<daemon_process>(
            std::vector<std::string>{"serve", "--config", write_config(cert_, key_)},
            std::map<std::string, std::string>{}, dir_.file("daemon.log"));
        ASSERT_TRUE(daemon_->wait_ready()) << daemon_->logs();
        port_ = daemon_->port();
    }

    temp_dir dir_;
    std::string cert_, key_;
    std::unique_ptr<daemon_process> daemon_;
    std::uint16_t port_ = 0;
};

TEST_F(TlsTest, HttpsIsServedAndVerifiesAgainstTheCertificate) {
    start();
    const auto health = https(port_, "/healthz", cert_);
    ASSERT_EQ(health.code, CURLE_OK) << curl_easy_strerror(health.code);
    EXPECT_EQ(health.status, 200);
    EXPECT_EQ(json::parse(health.body, nullptr, false)["status"], "ok");

    const std::string body =
        json{{"webhookActionId", "tls-1"},
             {"action", "applicationSubmit"},
             {"data", {{"application", {{"id", "app-tls"}, {"candidate", {{"id", "cand-tls"}}}}}}}}
            .dump();
    const auto posted =
        https(port_, "/webhooks/ashby", cert_, body,
              {"Content-Type: application/json",
               "Ashby-Signature: sha256=" + security::hmac_sha256_hex(secret, body)});
    ASSERT_EQ(posted.code, CURLE_OK) << curl_easy_strerror(posted.code);
    EXPECT_EQ(posted.status, 200);
    EXPECT_EQ(json::parse(posted.body, nullptr, false)["status"], "accepted");

    // A certificate the client does not trust fails verification (so the check above is real).
    const std::string other_cert = dir_.file("other.pem");
    ASSERT_TRUE(make_self_signed(other_cert, dir_.file("other.key")));
    EXPECT_NE(https(port_, "/healthz", other_cert).code, CURLE_OK);
}

TEST_F(TlsTest, OnlyTls12AndLater) {
    start();
    EXPECT_TRUE(handshake_with(port_, TLS1_2_VERSION, TLS1_2_VERSION));
    EXPECT_TRUE(handshake_with(port_, TLS1_3_VERSION, TLS1_3_VERSION));
    EXPECT_FALSE(handshake_with(port_, TLS1_VERSION, TLS1_1_VERSION));
}

TEST_F(TlsTest, PlainHttpAndSilentClientsOnTheTlsPortAreCutOff) {
    start();
    http_connection plain;
    ASSERT_TRUE(plain.connect(port_));
    ASSERT_TRUE(plain.send_raw("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"));
    EXPECT_TRUE(plain.wait_closed(10s));
    // A client that connects and never starts the handshake is cut by the header timeout:
    // the configured 1 s, not the 5 s default (4 s leaves room for a loaded or sanitized
    // machine).
    http_connection silent;
    ASSERT_TRUE(silent.connect(port_));
    const auto t0 = std::chrono::steady_clock::now();
    EXPECT_TRUE(silent.wait_closed(10s));
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 4s);
    // Still serving.
    const auto health = https(port_, "/healthz", cert_);
    ASSERT_EQ(health.code, CURLE_OK) << curl_easy_strerror(health.code);
    EXPECT_EQ(health.status, 200);
    auto metrics = https(port_, "/metrics", cert_);
    EXPECT_NE(metrics.body.find(R"(riskbridge_http_refused_total{reason="tls_handshake"})"),
              std::string::npos);
}

TEST_F(TlsTest, BadCertificateOrKeyFilesAreRefusedClearly) {
    // Missing file: check-config names the file, line and key.
    const std::string missing = dir_.file("missing.pem");
    const std::string config = write_config(missing, key_);
    auto check = run_riskbridge({"check-config", "--config", config});
    EXPECT_NE(check.exit_code, 0);
    EXPECT_NE(check.output.find(config + ":5: server.tls.cert_file: no such file: " + missing),
              std::string::npos)
        << check.output;
    // A key that does not belong to the certificate: serve refuses to start and says why.
    ASSERT_TRUE(make_self_signed(dir_.file("other.pem"), dir_.file("other.key")));
    write_config(cert_, dir_.file("other.key"));
    auto serve = run_riskbridge({"serve", "--config", config}, {}, 20s);
    EXPECT_NE(serve.exit_code, 0);
    EXPECT_NE(serve.output.find("does not match the certificate"), std::string::npos)
        << serve.output;
}

}  // namespace
}  // namespace riskbridge::testing
