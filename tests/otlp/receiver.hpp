#pragma once
// The node OTLP receiver (receiver.mjs) as a child process, and the plain HTTP calls that
// drive its control endpoints; shared by the OTLP integration test and the end-to-end
// throughput program. The receiver is killed when the object goes, and exits by itself when
// its parent dies (its stdin closes).
#include <netinet/in.h> // loopback addresses
#include <poll.h>       // waiting for the receiver's port
#include <signal.h>     // stopping it
#include <sys/socket.h> // a port nobody listens on
#include <sys/wait.h>   // reaping it
#include <unistd.h>     // fork, pipes

#include <chrono>       // start-up deadline
#include <cstdlib>      // std::getenv
#include <stdexcept>    // start-up failures
#include <string>       // URLs, bodies
#include <thread>       // waiting for it to exit
#include <vector>       // arguments

#include <curl/curl.h>

namespace otlp_test {

inline std::string http(const std::string& method, const std::string& url, const std::string& body = {}) {
    CURL* c = curl_easy_init();
    std::string out;
    curl_easy_setopt(c, CURLOPT_URL, url.c_str());
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method.c_str());
    if (method == "POST") {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.c_str());
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
    }
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 5000L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);  // control calls to our own loopback receiver only
    curl_easy_setopt(c, CURLOPT_PROXY, "");           // never through a proxy a test has set
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, +[](char* p, std::size_t s, std::size_t n, void* o) {
        static_cast<std::string*>(o)->append(p, s * n);
        return s * n;
    });
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &out);
    const CURLcode rc = curl_easy_perform(c);
    curl_easy_cleanup(c);
    if (rc != CURLE_OK) throw std::runtime_error("receiver control request failed: " + std::string(curl_easy_strerror(rc)));
    return out;
}

/// The node receiver as a child process: started once, killed at exit.
class receiver {
public:
    explicit receiver(std::vector<std::string> args = {}) {
        const char* node = std::getenv("TACIT_NODE");
        const char* script = std::getenv("TACIT_OTLP_RECEIVER");
        if (!node || !script)
            throw std::runtime_error("TACIT_NODE / TACIT_OTLP_RECEIVER not set: run this test through meson test");
        int out[2], in[2];
        if (pipe(out) != 0 || pipe(in) != 0) throw std::runtime_error("pipe failed");
        pid_ = fork();
        if (pid_ < 0) throw std::runtime_error("fork failed");
        if (pid_ == 0) {
            dup2(out[1], 1);
            dup2(in[0], 0);
            close(out[0]);
            close(out[1]);
            close(in[0]);
            close(in[1]);
            std::vector<char*> argv{const_cast<char*>(node), const_cast<char*>(script)};
            for (auto& a : args) argv.push_back(a.data());
            argv.push_back(nullptr);
            execv(node, argv.data());
            _exit(127);
        }
        close(out[1]);
        close(in[0]);
        stdin_ = in[1];  // the receiver exits when this closes, even if we die without cleanup
        std::string line;
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
        while (line.find('\n') == std::string::npos) {
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
            pollfd p{out[0], POLLIN, 0};
            if (left <= 0 || poll(&p, 1, static_cast<int>(left)) <= 0) break;
            char buf[256];
            const auto n = read(out[0], buf, sizeof buf);
            if (n <= 0) break;
            line.append(buf, static_cast<std::size_t>(n));
        }
        close(out[0]);
        if (!line.starts_with("PORT ")) {
            stop();
            throw std::runtime_error(std::string("the OTLP receiver did not start (node: ") + node +
                                     "; did you run `npm ci --prefix tests/otlp`?): got \"" + line + "\"");
        }
        port_ = std::stoi(line.substr(5));
        for (const auto& a : args)
            if (a == "--tls") scheme_ = "https";
    }
    ~receiver() { stop(); }

    std::string base() const { return scheme_ + "://127.0.0.1:" + std::to_string(port_); }
    void reset() { http("POST", base() + "/reset"); }
    void queue(const std::string& modes) { http("POST", base() + "/control", modes); }
    std::string log() { return http("GET", base() + "/log"); }
    /// The totals as JSON: {"requests":..,"spans":..,"decode_errors":..,"busy_ms":..}.
    std::string stats() { return http("GET", base() + "/stats"); }

private:
    void stop() {
        if (stdin_ >= 0) close(stdin_);
        stdin_ = -1;
        if (pid_ <= 0) return;
        kill(pid_, SIGTERM);
        for (int i = 0; i < 100; ++i) {
            if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
                pid_ = -1;
                return;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        kill(pid_, SIGKILL);
        waitpid(pid_, nullptr, 0);
        pid_ = -1;
    }
    pid_t pid_ = -1;
    int stdin_ = -1;
    int port_ = 0;
    std::string scheme_ = "http";
};

/// A loopback port that nothing listens on (bound, read back, closed): connecting is refused.
inline int unused_port() {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    close(fd);  // nothing listens there now
    return ntohs(a.sin_port);
}

}  // namespace otlp_test
