// The libcurl http_client: a move-only owner of one easy handle, reset (which keeps its live
// connections) and configured from scratch on every call.

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <mutex>

#include "riskbridge/clients/http_client.hpp"

namespace riskbridge::clients {

namespace {

constexpr std::size_t max_header_bytes = 64 * 1024;

void global_init_once() {
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

/// Move-only owner of a CURL easy handle.
class easy_handle {
public:
    easy_handle() : h_(curl_easy_init()) {}
    easy_handle(easy_handle&&) noexcept = default;
    easy_handle& operator=(easy_handle&&) noexcept = default;
    easy_handle(const easy_handle&) = delete;
    easy_handle& operator=(const easy_handle&) = delete;
    CURL* get() const noexcept { return h_.get(); }
    explicit operator bool() const noexcept { return h_ != nullptr; }

private:
    struct deleter {
        void operator()(CURL* h) const noexcept { curl_easy_cleanup(h); }
    };
    std::unique_ptr<CURL, deleter> h_;
};

struct slist_deleter {
    void operator()(curl_slist* l) const noexcept { curl_slist_free_all(l); }
};
using slist_ptr = std::unique_ptr<curl_slist, slist_deleter>;

/// What the callbacks fill in during one transfer.
struct transfer {
    http_response response;
    std::size_t max_body = 0;
    std::size_t header_bytes = 0;
    bool body_too_large = false;
    bool headers_too_large = false;
};

std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) {
    auto* t = static_cast<transfer*>(user);
    const std::size_t n = size * count;
    if (t->response.body.size() + n > t->max_body) {
        t->body_too_large = true;
        return 0;  // aborts the transfer with CURLE_WRITE_ERROR
    }
    t->response.body.append(data, n);
    return n;
}

std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user) {
    auto* t = static_cast<transfer*>(user);
    const std::size_t n = size * count;
    t->header_bytes += n;
    if (t->header_bytes > max_header_bytes) {
        t->headers_too_large = true;
        return 0;
    }
    std::string_view line(data, n);
    while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) {
        line.remove_suffix(1);
    }
    if (line.rfind("HTTP/", 0) == 0) {
        // A new status line: an interim 1xx answer came before, forget its headers.
        t->response.headers.clear();
        return n;
    }
    const auto colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) {
        return n;
    }
    std::string name(line.substr(0, colon));
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) {
        value.remove_prefix(1);
    }
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) {
        value.remove_suffix(1);
    }
    t->response.headers[std::move(name)] = std::string(value);
    return n;
}

const char* curl_code_name(CURLcode c) {
    switch (c) {
        case CURLE_OPERATION_TIMEDOUT:
            return "timeout";
        case CURLE_COULDNT_RESOLVE_HOST:
            return "couldnt_resolve_host";
        case CURLE_COULDNT_CONNECT:
            return "couldnt_connect";
        case CURLE_SEND_ERROR:
            return "send_error";
        case CURLE_RECV_ERROR:
            return "recv_error";
        case CURLE_GOT_NOTHING:
            return "empty_reply";
        case CURLE_PARTIAL_FILE:
            return "partial_reply";
        case CURLE_SSL_CONNECT_ERROR:
            return "tls_handshake";
        case CURLE_PEER_FAILED_VERIFICATION:
            return "tls_verification";
        case CURLE_WEIRD_SERVER_REPLY:
            return "weird_reply";
        case CURLE_URL_MALFORMAT:
            return "bad_url";
        case CURLE_UNSUPPORTED_PROTOCOL:
            return "unsupported_protocol";
        default:
            return nullptr;
    }
}

upstream_error map_curl_error(CURLcode code, const transfer& t, std::string_view what) {
    upstream_error e;
    e.transient = true;
    e.kind = failure_kind::network;
    switch (code) {
        case CURLE_OPERATION_TIMEDOUT:
            e.kind = failure_kind::timeout;
            break;
        case CURLE_SSL_CONNECT_ERROR:
            e.kind = failure_kind::tls;  // a handshake cut short may pass next time
            break;
        case CURLE_PEER_FAILED_VERIFICATION:
        case CURLE_SSL_CACERT_BADFILE:
        case CURLE_SSL_CERTPROBLEM:
        case CURLE_SSL_CIPHER:
        case CURLE_SSL_ENGINE_NOTFOUND:
        case CURLE_SSL_ENGINE_SETFAILED:
        case CURLE_SSL_ENGINE_INITFAILED:
        case CURLE_SSL_CRL_BADFILE:
        case CURLE_SSL_ISSUER_ERROR:
        case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
        case CURLE_SSL_INVALIDCERTSTATUS:
        case CURLE_USE_SSL_FAILED:
            e.kind = failure_kind::tls;
            e.transient = false;
            break;
        case CURLE_URL_MALFORMAT:
        case CURLE_UNSUPPORTED_PROTOCOL:
        case CURLE_FILESIZE_EXCEEDED:
        case CURLE_WEIRD_SERVER_REPLY:
        case CURLE_BAD_CONTENT_ENCODING:
        case CURLE_TOO_MANY_REDIRECTS:
            e.kind = failure_kind::protocol;
            e.transient = false;
            break;
        case CURLE_WRITE_ERROR:
            if (t.body_too_large || t.headers_too_large) {
                e.kind = failure_kind::protocol;
                e.transient = false;
            }
            break;
        default:
            break;  // connect, resolve, send, receive, nothing or half received: network
    }
    if (code == CURLE_FILESIZE_EXCEEDED || t.body_too_large) {
        e.code = "response_too_large";
    } else if (t.headers_too_large) {
        e.code = "headers_too_large";
    } else if (const char* name = curl_code_name(code)) {
        e.code = name;
    } else {
        e.code = "curl_" + std::to_string(static_cast<int>(code));
    }
    e.message = std::string(what) + ": " + to_string(e.kind) + " (" + e.code + ": " +
                curl_easy_strerror(code) + ")";
    return e;
}

bool has_line_break(std::string_view s) {
    return s.find_first_of("\r\n") != std::string_view::npos;
}

class curl_client final : public http_client {
public:
    explicit curl_client(curl_options options)
        : options_(std::move(options)), handle_(init_handle()) {}

    upstream_result<http_response> send(const http_call& call) override {
        const std::string what = std::string(to_string(call.method)) + " " + describe_url(call.url);
        if (!handle_) {
            return local_error(what, "curl_init", "cannot create a curl handle", true);
        }
        CURL* h = handle_.get();
        curl_easy_reset(h);  // keeps live connections, the DNS and TLS session caches

        slist_ptr headers;
        auto append = [&headers](const std::string& line) {
            curl_slist* head = curl_slist_append(headers.get(), line.c_str());
            if (head == nullptr) {
                return false;  // the list is unchanged and still owned
            }
            (void)headers.release();
            headers.reset(head);
            return true;
        };
        for (const auto& [name, value] : call.headers) {
            if (name.empty() || has_line_break(name) || has_line_break(value)) {
                return local_error(what, "bad_header", "a request header holds a line break",
                                   false);
            }
            if (!append(name + ": " + value)) {
                return local_error(what, "out_of_memory", "cannot build headers", true);
            }
        }
        // No "Expect: 100-continue" round trip for larger bodies.
        if (!append("Expect:")) {
            return local_error(what, "out_of_memory", "cannot build headers", true);
        }

        transfer t;
        t.max_body = options_.max_response_bytes;
        const auto total = call.timeout.value_or(options_.total_timeout);
        const auto connect = std::min(options_.connect_timeout, total);

        curl_easy_setopt(h, CURLOPT_URL, call.url.c_str());
        curl_easy_setopt(h, CURLOPT_FRESH_CONNECT, call.fresh_connection ? 1L : 0L);
        curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(connect.count()));
        curl_easy_setopt(h, CURLOPT_TIMEOUT_MS,
                         static_cast<long>(std::max<long long>(1, total.count())));
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
        if (options_.ca_file) {
            curl_easy_setopt(h, CURLOPT_CAINFO, options_.ca_file->c_str());
        }
        curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
#if LIBCURL_VERSION_NUM >= 0x075500
        curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
#else
        curl_easy_setopt(h, CURLOPT_PROTOCOLS, CURLPROTO_HTTP | CURLPROTO_HTTPS);
#endif
        curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
        curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
        curl_easy_setopt(h, CURLOPT_USERAGENT, options_.user_agent.c_str());
        curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE,
                         static_cast<curl_off_t>(options_.max_response_bytes));
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &on_body);
        curl_easy_setopt(h, CURLOPT_WRITEDATA, &t);
        curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, &on_header);
        curl_easy_setopt(h, CURLOPT_HEADERDATA, &t);
        if (call.method == http_method::post) {
            curl_easy_setopt(h, CURLOPT_POST, 1L);
            curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
                             static_cast<curl_off_t>(call.body.size()));
            curl_easy_setopt(h, CURLOPT_POSTFIELDS, call.body.data());
        } else {
            curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
        }

        const CURLcode rc = curl_easy_perform(h);
        // Nothing of ours may dangle in the handle between calls.
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, nullptr);
        curl_easy_setopt(h, CURLOPT_WRITEDATA, nullptr);
        curl_easy_setopt(h, CURLOPT_HEADERDATA, nullptr);
        if (rc != CURLE_OK) {
            return map_curl_error(rc, t, what);
        }
        long status = 0;
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
        t.response.status = status;
        return std::move(t.response);
    }

private:
    static easy_handle init_handle() {
        global_init_once();
        return easy_handle{};
    }

    static upstream_error local_error(const std::string& what, std::string code,
                                      std::string_view text, bool transient) {
        upstream_error e;
        e.kind = failure_kind::protocol;
        e.transient = transient;
        e.code = std::move(code);
        e.message = what + ": " + std::string(text);
        return e;
    }

    curl_options options_;
    easy_handle handle_;
};

}  // namespace

std::unique_ptr<http_client> make_curl_client(curl_options options) {
    return std::make_unique<curl_client>(std::move(options));
}

}  // namespace riskbridge::clients
