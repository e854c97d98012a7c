// The collector misbehaves: unreachable (a closed 127.0.0.1 port), accepting but never
// answering, or presenting a certificate the exporter must not trust. The host is never
// blocked beyond the shutdown bound, and every span is accounted as failed. A real node
// collector (collector.mjs) stands in for the OTLP receiver; node must be installed.
#include <doctest/doctest.h>

#include <tacit/exporters/otlp_http.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdlib>
#include <string>
#include <thread>

#include "common.hpp"
#include "process.hpp"

namespace {

using clock_type = std::chrono::steady_clock;
using namespace std::chrono_literals;

double seconds_since(clock_type::time_point t0) { return std::chrono::duration<double>(clock_type::now() - t0).count(); }

void record(tacit::pipeline& p, int n) {
    for (int i = 0; i < n; ++i) {
        auto s = tacit::start<rel::tool_usage>(p);
        s.set<rel::tool_name>("web_search").set<rel::seq>(static_cast<std::uint64_t>(i)).set<rel::depth>(0);
    }
}

/// A 127.0.0.1 port nothing listens on: bound, then closed.
int closed_port() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    ::close(fd);
    return ntohs(a.sin_port);
}

/// The node collector, started for one test and killed at its end.
struct collector {
    rel::child proc;
    std::string out;
    int port = 0;
    explicit collector(std::vector<std::string> args) : proc(make_argv(std::move(args))) {
        REQUIRE_MESSAGE(proc.pid > 0, "could not start node");
        REQUIRE_MESSAGE(proc.wait_for_output("\n", out, 15s), "the node collector did not start (is node installed?)");
        auto at = out.find("listening ");
        REQUIRE(at != std::string::npos);
        port = std::atoi(out.c_str() + at + 10);
        REQUIRE(port > 0);
    }
    ~collector() {
        ::kill(proc.pid, SIGKILL);
        ::waitpid(proc.pid, nullptr, 0);
    }
    static std::vector<std::string> make_argv(std::vector<std::string> args) {
        const char* node = std::getenv("TACIT_NODE");
        const char* script = std::getenv("TACIT_COLLECTOR");
        REQUIRE_MESSAGE(node != nullptr, "TACIT_NODE must name node (set by meson)");
        REQUIRE_MESSAGE(script != nullptr, "TACIT_COLLECTOR must name collector.mjs (set by meson)");
        args.insert(args.begin(), {node, script});
        return args;
    }
    /// Lines seen so far that start with `what`.
    int count(const std::string& what) {
        (void)proc.wait_for_output("\x01", out, 1ms);  // drain what is there
        int n = 0;
        for (std::size_t at = 0; (at = out.find(what, at)) != std::string::npos; at += what.size()) ++n;
        return n;
    }
    std::string url() const { return "http://127.0.0.1:" + std::to_string(port); }
};

tacit::otlp_http_options otlp(std::string endpoint) {
    tacit::otlp_http_options o;
    o.endpoint = std::move(endpoint);
    o.timeout = 1500ms;
    o.initial_backoff = 100ms;
    o.max_backoff = 200ms;
    return o;
}

}  // namespace

TEST_CASE("collector unreachable (closed port): every span fails, the host is never blocked, shutdown is bounded") {
    auto o = rel::quick();
    o.shutdown_timeout = 500ms;
    auto t_total = clock_type::now();
    {
        tacit::pipeline p(o);
        auto& e = p.emplace_exporter<tacit::otlp_http_exporter>(otlp("http://127.0.0.1:" + std::to_string(closed_port())));
        auto t0 = clock_type::now();
        for (int i = 0; i < 20; ++i) {
            record(p, 100);
            std::this_thread::sleep_for(10ms);
        }
        CHECK(seconds_since(t0) < 1.5);  // 20 x 10 ms of sleeping, plus recording
        (void)p.force_flush(3s);
        t0 = clock_type::now();
        bool clean = p.shutdown(500ms);
        double took = seconds_since(t0);
        MESSAGE("closed port: shutdown(500 ms) returned " << clean << " after " << took << " s; failed " << e.counters().spans_failed
                                                            << ", requests " << e.counters().requests);
        CHECK(took < 1.0);
        if constexpr (tacit::compiled_in) {
            if (clean) {
                auto st = p.stats();
                // While an export is retrying, the ring may fill: those spans are counted as dropped.
                CHECK(st.recorded == 2000);
                CHECK(st.delivered + st.dropped_ring_full == 2000);
                CHECK(p.exporter_accounting().at(0).failed == st.delivered);
                CHECK(e.counters().spans_exported == 0);
            }
        }
    }
    // Whatever is left finishes within the exporter's own timeout.
    std::this_thread::sleep_for(std::max(0ms, 2000ms - std::chrono::duration_cast<std::chrono::milliseconds>(clock_type::now() - t_total)));
}

TEST_CASE("collector accepts but never answers: the export gives up at its timeout, shutdown returns within its bound") {
    collector c({"silent"});
    auto o = rel::quick();
    o.shutdown_timeout = 500ms;
    {
        tacit::pipeline p(o);
        p.emplace_exporter<tacit::otlp_http_exporter>(otlp(c.url()));
        record(p, 500);
        auto t0 = clock_type::now();
        bool flushed = p.force_flush(300ms);  // the export hangs on the silent collector
        CHECK_FALSE(flushed);
        CHECK(seconds_since(t0) < 0.8);
        t0 = clock_type::now();
        record(p, 1000);  // the host goes on recording while the export hangs
        CHECK(seconds_since(t0) < 0.5);
        t0 = clock_type::now();
        (void)p.shutdown(500ms);
        double took = seconds_since(t0);
        MESSAGE("silent collector: shutdown(500 ms) returned after " << took << " s");
        CHECK(took < 1.0);
    }
    CHECK(c.count("request ") >= 1);  // the request did arrive; no answer ever came
    std::this_thread::sleep_for(2s);  // let the abandoned export reach its 1.5 s timeout
}

TEST_CASE("a process whose collector never answers still exits within the shutdown bound") {
    collector c({"silent"});
    const char* child = std::getenv("TACIT_REL_OTLP_CHILD");
    REQUIRE(child != nullptr);
    rel::child proc({child, c.url()});
    REQUIRE(proc.pid > 0);
    auto r = proc.finish(10s);
    MESSAGE("child with a silent collector exited after " << r.seconds << " s (shutdown_timeout 1 s)");
    REQUIRE(r.finished);
    CHECK(WIFEXITED(r.status));
    CHECK(WEXITSTATUS(r.status) == 0);
    CHECK(r.seconds < 2.5);
}

TEST_CASE("OTEL_SDK_DISABLED set after start-up: no further span reaches the collector") {
    collector c({"http"});
    auto o = rel::quick();
    o.watch_environment = true;
    ::unsetenv("OTEL_SDK_DISABLED");
    tacit::pipeline p(o);
    auto& e = p.emplace_exporter<tacit::otlp_http_exporter>(otlp(c.url()));
    record(p, 100);
    REQUIRE(p.force_flush(5s));
    auto before = e.counters();
    if constexpr (tacit::compiled_in) {
        CHECK(before.spans_exported == 100);
        CHECK(c.count("request POST /v1/traces") >= 1);
    }
    const int requests_before = c.count("request ");
    ::setenv("OTEL_SDK_DISABLED", "true", 1);
    std::this_thread::sleep_for(600ms);  // the background thread rereads the environment every 250 ms
    for (int i = 0; i < 5; ++i) {
        record(p, 100);
        REQUIRE(p.force_flush(5s));
    }
    std::this_thread::sleep_for(300ms);
    auto after = e.counters();
    auto st = p.stats();
    ::unsetenv("OTEL_SDK_DISABLED");
    MESSAGE("after OTEL_SDK_DISABLED=true: " << (after.spans_exported - before.spans_exported) << " spans exported, "
                                             << (c.count("request ") - requests_before) << " requests");
    CHECK(after.spans_exported == before.spans_exported);
    CHECK(after.requests == before.requests);
    CHECK(c.count("request ") == requests_before);
    CHECK(st.recorded == st.delivered + st.dropped_ring_full + st.dropped_disabled + st.dropped_shutdown);
    CHECK(p.shutdown(2s));
}

TEST_CASE("HTTPS: a self-signed collector is refused by default and accepted with its CA file") {
    std::string dir = rel::temp_path("tls");
    std::string cmd = "mkdir -p " + dir + " && openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 "
                      "-addext subjectAltName=IP:127.0.0.1 -keyout " + dir + "/key.pem -out " + dir + "/cert.pem >/dev/null 2>&1";
    REQUIRE_MESSAGE(std::system(cmd.c_str()) == 0, "openssl could not make a certificate (is openssl installed?)");
    collector c({"https", dir + "/key.pem", dir + "/cert.pem"});
    const std::string url = "https://127.0.0.1:" + std::to_string(c.port);

    auto run = [&](const std::string& ca) {
        tacit::pipeline p(rel::quick());
        auto o = otlp(url);
        o.ca_file = ca;
        o.max_attempts = 1;
        auto& e = p.emplace_exporter<tacit::otlp_http_exporter>(o);
        record(p, 10);
        REQUIRE(p.force_flush(5s));
        auto counters = e.counters();
        CHECK(p.shutdown(2s));
        return counters;
    };
    auto refused = run("");
    int requests_after_refusal = c.count("request ");
    auto accepted = run(dir + "/cert.pem");
    MESSAGE("without the CA: exported " << refused.spans_exported << ", failed " << refused.spans_failed
                                        << "; with it: exported " << accepted.spans_exported);
    if constexpr (tacit::compiled_in) {
        CHECK(refused.spans_exported == 0);
        CHECK(refused.spans_failed == 10);
        CHECK(requests_after_refusal == 0);  // no request was sent over the untrusted connection
        CHECK(accepted.spans_exported == 10);
        CHECK(c.count("request POST /v1/traces") == 1);
    }
    std::system(("rm -rf " + dir).c_str());
}
