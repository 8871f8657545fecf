// See server_tls.hpp.

#include "http/server_tls.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <string>

namespace riskbridge::http::detail {

namespace ssl = boost::asio::ssl;
using boost::system::error_code;

namespace {

error make_mismatch_error(const config::server_config::tls_config& tls) {
    return make_error(errc::invalid_argument, "server.tls.key_file: " + tls.key_file +
                                                  " does not match the certificate in " +
                                                  tls.cert_file);
}

}  // namespace

result<std::unique_ptr<ssl::context>> make_tls_context(
    const config::server_config::tls_config& tls) {
    auto ctx = std::make_unique<ssl::context>(ssl::context::tls_server);
    error_code ec;
    ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                         ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                         ssl::context::no_tlsv1_1 | ssl::context::single_dh_use,
                     ec);
    SSL_CTX* native = ctx->native_handle();
    if (ec || SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION) != 1) {
        return make_error(errc::internal, "cannot set up TLS");
    }
    SSL_CTX_set_options(native, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);
    // An encrypted key would make OpenSSL prompt on the terminal: fail instead.
    ctx->set_password_callback(
        [](std::size_t, ssl::context::password_purpose) { return std::string(); }, ec);
    ctx->use_certificate_chain_file(tls.cert_file, ec);
    if (ec) {
        return make_error(errc::invalid_argument, "server.tls.cert_file: cannot load " +
                                                      tls.cert_file + ": " + ec.message());
    }
    ctx->use_private_key_file(tls.key_file, ssl::context::pem, ec);
    if (ec && ec.category() == boost::asio::error::get_ssl_category() &&
        ERR_GET_REASON(static_cast<unsigned long>(ec.value())) == X509_R_KEY_VALUES_MISMATCH) {
        return make_mismatch_error(tls);
    }
    if (ec) {
        return make_error(errc::invalid_argument, "server.tls.key_file: cannot load " +
                                                      tls.key_file + ": " + ec.message() +
                                                      " (an unencrypted PEM key is expected)");
    }
    if (SSL_CTX_check_private_key(native) != 1) {
        return make_mismatch_error(tls);
    }
    return ctx;
}

}  // namespace riskbridge::http::detail
