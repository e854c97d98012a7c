// The /metrics endpoint under hostile clients: it listens on loopback by default, serves only
// GET /metrics, caps request sizes and concurrent connections, drops silent clients, and
// still answers a real client (curl) after a burst of malformed requests.
#include <doctest/doctest.h>

#include <tacit/exporters/prometheus.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <dirent.h>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace std::chrono_literals;

int connect_to(int port) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<std::uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

/// Sends raw bytes and reads what comes back until the peer closes or `wait` passes.
std::string exchange(int port, const std::string& bytes, std::chrono::milliseconds wait = 2000ms) {
    int fd = connect_to(port);
    if (fd < 0) return "<connect failed>";
    (void)::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    std::string out;
    auto until = std::chrono::steady_clock::now() + wait;
    char buf[4096];
    while (std::chrono::steady_clock::now() < until) {
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, 50) <= 0) continue;
        ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0) break;
        out.append(buf, static_cast<std::size_t>(n));
    }
    ::close(fd);
    return out;
}

/// Runs curl and returns "STATUS" as curl's %{http_code} prints it ("000" when no answer).
std::string curl_status(const std::string& args, int max_seconds = 10) {
    std::string cmd = "curl -s -o /dev/null -w '%{http_code}' --max-time " + std::to_string(max_seconds) + " " + args + " 2>/dev/null";
    std::FILE* p = ::popen(cmd.c_str(), "r");
    REQUIRE_MESSAGE(p != nullptr, "cannot run curl");
    char buf[64] = {};
    std::size_t n = std::fread(buf, 1, sizeof buf - 1, p);
    int rc = ::pclose(p);
    REQUIRE_MESSAGE(rc != -1, "curl did not run");
    REQUIRE_MESSAGE(WEXITSTATUS(rc) != 127, "curl is not installed");
    return std::string(buf, n);
}

std::size_t thread_count() {
    std::size_t n = 0;
    DIR* d = ::opendir("/proc/self/task");
    while (dirent* e = ::readdir(d))
        if (e->d_name[0] != '.') ++n;
    ::closedir(d);
    return n;
}

/// The local address of the listening TCP socket on `port`, from /proc/net/tcp (hex, as the kernel writes it).
std::string listen_address(int port) {
    std::ifstream in("/proc/net/tcp");
    std::string line;
    char want[8];
    std::snprintf(want, sizeof want, ":%04X", port);
    while (std::getline(in, line)) {
        auto at = line.find(want);
        if (at == std::string::npos || at < 9) continue;
        if (line.find(" 0A ") == std::string::npos) continue;  // state LISTEN
        return line.substr(at - 8, 8);
    }
    return "";
}

std::int64_t rel_rss() {
    std::FILE* fp = std::fopen("/proc/self/statm", "r");
    long size = 0, resident = 0;
    if (fp) {
        if (std::fscanf(fp, "%ld %ld", &size, &resident) != 2) resident = 0;
        std::fclose(fp);
    }
    return static_cast<std::int64_t>(resident) * ::sysconf(_SC_PAGESIZE);
}

struct fixture {
    tacit::metrics_registry registry;
    tacit::counter<"tacit_test_requests_total"> c{registry, "Requests."};
    std::unique_ptr<tacit::prometheus::server> srv;
    explicit fixture(tacit::prometheus::server_options o = {}) {
        c.add(7);
        srv = std::make_unique<tacit::prometheus::server>(registry, o);
    }
    std::string url(const std::string& path = "/metrics") const { return "http://127.0.0.1:" + std::to_string(srv->port()) + path; }
};

}  // namespace

TEST_CASE("binds loopback by default") {
    fixture f;
    REQUIRE(f.srv->port() > 0);
    CHECK(listen_address(f.srv->port()) == "0100007F");  // 127.0.0.1, not 0.0.0.0
    CHECK(curl_status(f.url()) == "200");
}

TEST_CASE("serves GET /metrics and refuses every other method and path") {
    fixture f;
    CHECK(curl_status(f.url()) == "200");
    for (const char* m : {"POST", "PUT", "DELETE", "PATCH", "OPTIONS"}) {
        CAPTURE(m);
        CHECK(curl_status(std::string("-X ") + m + " " + f.url()) == "405");
    }
    CHECK(curl_status("-I " + f.url()) == "405");  // HEAD
    CHECK(curl_status(f.url("/")) == "404");
    CHECK(curl_status(f.url("/metrics/../etc/passwd")) != "200");
    CHECK(curl_status(f.url("/debug")) == "404");
    CHECK(f.srv->scrapes() == 1);
}

TEST_CASE("caps request sizes: a large body, a long URI and huge headers are refused; the server goes on") {
    fixture f;
    std::string body(200 * 1024, 'x');
    // A well-formed request is answered over the same raw socket, so the refusals below mean something.
    auto r = exchange(f.srv->port(), "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    CHECK(r.rfind("HTTP/1.1 200", 0) == 0);
    r = exchange(f.srv->port(), "POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body);
    MESSAGE("200 KiB body: " << r.substr(0, r.find('\r')));
    CHECK(r.rfind("HTTP/1.1 4", 0) == 0);
    r = exchange(f.srv->port(), "GET /metrics?" + std::string(20000, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n");
    MESSAGE("20 KB URI: " << r.substr(0, r.find('\r')));
    CHECK(r.rfind("HTTP/1.1 4", 0) == 0);
    r = exchange(f.srv->port(), "GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(64 * 1024, 'b') + "\r\n\r\n");
    CHECK(r.find("200 OK") == std::string::npos);
    CHECK(curl_status(f.url()) == "200");
}

TEST_CASE("many headers: cpp-httplib caps each line, not their number; the cost is proportional and not kept (docs/metrics.md)") {
    fixture f;
    std::string many = "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n";
    for (int i = 0; i < 400'000; ++i) many += "X-" + std::to_string(i) + ": y\r\n";
    many += "\r\n";
    const auto bytes = static_cast<std::int64_t>(many.size());
    // Each of the server's 4 workers keeps its malloc arena, so RSS grows up to about workers x
    // the cost of one request; it must stay under that bound however many requests come.
    const auto rss0 = rel_rss();
    std::string r;
    std::int64_t after[3] = {};
    for (int round = 0; round < 3; ++round) {
        for (int i = 0; i < 4; ++i) r = exchange(f.srv->port(), many, 10000ms);
        after[round] = rel_rss();
    }
    MESSAGE((bytes / 1024) << " KiB of headers: answered '" << r.substr(0, r.find('\r')) << "'; RSS +" << ((after[0] - rss0) / 1024)
                           << " KiB after 4 requests, +" << ((after[1] - rss0) / 1024) << " KiB after 8, +"
                           << ((after[2] - rss0) / 1024) << " KiB after 12");
    CHECK(curl_status(f.url()) == "200");
    // The documented limit: memory in proportion to the header bytes (about 9x) for each of the
    // max_connections (4) workers at most, however many requests come: it does not add up.
    for (auto a : after) CHECK(a - rss0 < 4 * 12 * bytes);
}

TEST_CASE("caps connections: idle clients neither grow the thread count nor keep the endpoint down") {
    tacit::prometheus::server_options o;
    o.read_timeout = 1s;
    fixture f(o);
    REQUIRE(curl_status(f.url()) == "200");  // the server's workers are up before counting
    const auto threads_before = thread_count();
    std::vector<int> idle;
    for (int i = 0; i < 16; ++i) {
        int fd = connect_to(f.srv->port());
        if (fd >= 0) idle.push_back(fd);
    }
    std::this_thread::sleep_for(300ms);
    const auto threads_during = thread_count();
    MESSAGE(idle.size() << " idle connections: threads " << threads_before << " -> " << threads_during);
    CHECK(threads_during <= threads_before + 1);
    // Silent clients are dropped after read_timeout; then a real scrape is answered.
    auto t0 = std::chrono::steady_clock::now();
    CHECK(curl_status(f.url(), 40) == "200");
    double waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    // server_options says a silent client is dropped after read_timeout: 16 of them on 4
    // workers must then cost about 4 s, not 16 x httplib's 5 s keep-alive wait / 4.
    MESSAGE("a scrape behind 16 idle connections took " << waited << " s (read_timeout 1 s, 4 workers)");
    CHECK(waited < 7.0);
    int closed_by_server = 0;
    for (int fd : idle) {
        pollfd p{fd, POLLIN, 0};
        char c;
        if (::poll(&p, 1, 0) > 0 && ::recv(fd, &c, 1, MSG_DONTWAIT) == 0) ++closed_by_server;
        ::close(fd);
    }
    MESSAGE(closed_by_server << " of the idle connections were closed by the server");
    CHECK(closed_by_server > 0);
}

TEST_CASE("survives a burst of malformed requests and still answers curl") {
    tacit::prometheus::server_options o;
    o.read_timeout = 1s;
    fixture f(o);
    REQUIRE(curl_status(f.url()) == "200");  // the server's workers are up before counting
    const auto threads_before = thread_count();
    std::mt19937 rng(7);
    const std::vector<std::string> shapes = {
        "GET\r\n\r\n", "\r\n\r\n", "GET /metrics HTTP/9.9\r\n\r\n", "GET /metrics\r\n\r\n", "G\x00T /metrics HTTP/1.1\r\n\r\n",
        "GET /metrics HTTP/1.1\r\nContent-Length: -1\r\n\r\n", "GET /metrics HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nZZZ\r\n",
        "GET /%%%% HTTP/1.1\r\n\r\n", "GET /metrics HTTP/1.1\nHost: x\n\n", "\xff\xfe\xfd",
        "GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999\r\n\r\n",
    };
    int sent = 0;
    for (int i = 0; i < 120; ++i) {
        std::string req = shapes[static_cast<std::size_t>(i) % shapes.size()];
        if (i % 3 == 0)
            for (int k = 0; k < 64; ++k) req += static_cast<char>(rng());
        (void)exchange(f.srv->port(), req, 50ms);  // a client that does not wait for answers
        ++sent;
    }
    CHECK(curl_status(f.url()) == "200");
    const auto threads_after = thread_count();
    MESSAGE(sent << " malformed requests; threads " << threads_before << " -> " << threads_after);
    CHECK(threads_after <= threads_before + 1);
    // The body still says what it should.
    auto r = exchange(f.srv->port(), "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    CHECK(r.find("tacit_test_requests_total 7") != std::string::npos);
}
