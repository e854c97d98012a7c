// A tacit program for the Prometheus end-to-end test: records a known set of spans through a
// real pipeline with the prometheus exporter, serves /metrics on 127.0.0.1 and lingers.
//
//   prom_serve [--port N] [--linger SECONDS] [--textfile PATH]
//
// Prints "PORT <n>", then "EXPECT <json>" (what it recorded), then "READY" once the spans
// are exported; serves until stdin closes or the linger time is up, then shuts down.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <thread>

#include <poll.h>
#include <unistd.h>

#include <tacit/exporters/prometheus.hpp>
#include <tacit/tacit.hpp>

namespace demo {
struct tool_name : tacit::attribute<"gen_ai.tool.name", std::string_view> {};
struct input_tokens : tacit::attribute<"gen_ai.usage.input_tokens", std::int64_t> {};
struct output_tokens : tacit::attribute<"gen_ai.usage.output_tokens", std::int64_t> {};
struct crew_run : tacit::span_kind<"crew_execution"> {};
struct task_run : tacit::span_kind<"task_execution"> {};
struct tool_usage : tacit::span_kind<"tool_usage", tool_name> {};
struct tool_repeated : tacit::span_kind<"tool_repeated_usage", tool_name> {};
struct llm_call : tacit::span_kind<"llm_call", input_tokens, output_tokens> {};
}  // namespace demo

// A user metric beside the span metrics, with label values that need escaping.
inline tacit::counter<"demo_orders_total", "region"> orders{"Orders by region (test data)."};

int main(int argc, char** argv) {
    int port = 0;
    double linger = 60;
    std::string textfile;
    for (int i = 1; i < argc; ++i) {
        std::string_view a = argv[i];
        if (a == "--port" && i + 1 < argc) port = std::atoi(argv[++i]);
        else if (a == "--linger" && i + 1 < argc) linger = std::atof(argv[++i]);
        else if (a == "--textfile" && i + 1 < argc) textfile = argv[++i];
        else {
            std::fprintf(stderr, "usage: prom_serve [--port N] [--linger SECONDS] [--textfile PATH]\n");
            return 2;
        }
    }
    tacit::pipeline_options po;
    po.schedule_delay = std::chrono::milliseconds(50);
    po.watch_environment = false;
    tacit::pipeline p(std::move(po));
    tacit::prometheus_exporter::options o;
    o.server.port = port;
    o.textfile = textfile;
    auto& prom = p.emplace_exporter<tacit::prometheus_exporter>(o);
    std::printf("PORT %d\n", prom.port());
    std::fflush(stdout);

    constexpr int web_ok = 5, web_timeout = 2, calc_ok = 2, calc_bad = 1, repeats = 2, llm_calls = 4;
    constexpr int in_tokens = 100, out_tokens = 40, tasks = 3;
    {
        auto crew = tacit::start<demo::crew_run>(p);
        for (int t = 0; t < tasks; ++t) {
            auto task = tacit::start<demo::task_run>(p);
            std::this_thread::sleep_for(std::chrono::milliseconds(2));
        }
        for (int i = 0; i < web_ok + web_timeout; ++i) {
            auto s = tacit::start<demo::tool_usage>(p);
            s.set<demo::tool_name>("web_search");
            std::this_thread::sleep_for(std::chrono::milliseconds(1 + i * 7));
            if (i < web_timeout) s.error("timeout");
            else s.ok();
        }
        for (int i = 0; i < calc_ok + calc_bad; ++i) {
            auto s = tacit::start<demo::tool_usage>(p);
            s.set<demo::tool_name>("calculator");
            if (i < calc_bad) s.error("bad_input");
            else s.ok();
        }
        for (int i = 0; i < repeats; ++i) tacit::start<demo::tool_repeated>(p).set<demo::tool_name>("web_search");
        for (int i = 0; i < llm_calls; ++i)
            tacit::start<demo::llm_call>(p).set<demo::input_tokens>(in_tokens).set<demo::output_tokens>(out_tokens).ok();
        crew.ok();
    }
    orders.add(3, "eu");
    orders.add(2, "say \"hi\"\nback\\slash");
    orders.add(1, "bad \xff utf8");
    p.force_flush(std::chrono::seconds(10));
    std::printf("EXPECT {\"web_search\": %d, \"web_search_timeout\": %d, \"calculator\": %d, "
                "\"calculator_bad_input\": %d, \"repeated_web_search\": %d, \"llm_calls\": %d, "
                "\"input_tokens\": %d, \"output_tokens\": %d, \"tasks\": %d, \"crews\": 1, "
                "\"spans\": %d, \"orders_eu\": 3}\n",
                web_ok + web_timeout, web_timeout, calc_ok + calc_bad, calc_bad, repeats, llm_calls,
                llm_calls * in_tokens, llm_calls * out_tokens, tasks,
                1 + tasks + web_ok + web_timeout + calc_ok + calc_bad + repeats + llm_calls);
    std::printf("READY\n");
    std::fflush(stdout);

    // Serve until the driver closes our stdin, or the linger time runs out.
    const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(linger);
    while (std::chrono::steady_clock::now() < until) {
        pollfd pfd{STDIN_FILENO, POLLIN, 0};
        if (::poll(&pfd, 1, 100) > 0) {
            char buf[64];
            if (::read(STDIN_FILENO, buf, sizeof buf) <= 0) break;
        }
    }
    p.shutdown(std::chrono::seconds(5));
    return 0;
}
