// A small host program for the process-level fault tests: it records spans into a JSON-lines
// file and then leaves in the way argv[1] names. The parent test checks how long it took and
// what the file holds.
//   child exit FILE N            spans on 5 threads, a sixth still recording, then std::exit(0)
//   child return FILE N          pipeline on main's stack, a thread still recording, return 0
//   child return-leaked FILE N   pipeline never destroyed (heap), return 0: the exit hook flushes
//   child sigterm-chain FILE N   own SIGTERM handler first, then handle_sigterm(); waits for SIGTERM
//   child sigterm-default FILE N handle_sigterm() over the default action; waits for SIGTERM
#include <tacit/tacit.hpp>
#include <tacit/exporters/jsonl.hpp>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

#include "common.hpp"

namespace {

std::atomic<bool> g_stop{false};

void record(tacit::pipeline& p, int n, const char* tool) {
    for (int i = 0; i < n; ++i) {
        auto s = tacit::start<rel::tool_usage>(p);
        s.set<rel::tool_name>(tool).set<rel::seq>(static_cast<std::uint64_t>(i)).set<rel::depth>(0);
    }
}

/// Records until the process ends: spans still in flight when it leaves.
void spin(tacit::pipeline* p) {
    while (!g_stop.load(std::memory_order_relaxed)) {
        record(*p, 10, "in_flight");
        std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
}

tacit::pipeline_options options() {
    tacit::pipeline_options o;
    o.schedule_delay = std::chrono::milliseconds(5000);  // nothing leaves before the exit path runs
    o.watch_environment = false;
    o.shutdown_timeout = std::chrono::milliseconds(2000);
    o.ring_bytes = 4u << 20;  // room for every span: the test is about leaving, not about full rings
    return o;
}

void record_joined(tacit::pipeline& p, int n) {
    std::vector<std::thread> ts;
    for (int k = 0; k < 4; ++k) ts.emplace_back([&p, n] { record(p, n, "joined"); });
    for (auto& t : ts) t.join();
    record(p, n, "joined");
}

extern "C" void chained_handler(int) {
    const char msg[] = "chained\n";
    ssize_t w = ::write(1, msg, sizeof msg - 1);
    (void)w;
    ::_exit(42);
}

int wait_for_sigterm(tacit::pipeline& p, int n) {
    record_joined(p, n);
    std::printf("ready\n");
    std::fflush(stdout);
    for (int i = 0; i < 1000; ++i) ::usleep(10'000);  // the parent sends SIGTERM well before 10 s
    return 3;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 4) {
        std::fprintf(stderr, "usage: %s exit|return|return-leaked|sigterm-chain|sigterm-default FILE N\n", argv[0]);
        return 2;
    }
    const std::string mode = argv[1];
    const std::string file = argv[2];
    const int n = std::atoi(argv[3]);

    if (mode == "exit" || mode == "return-leaked") {
        auto* p = new tacit::pipeline(options());
        p->emplace_exporter<tacit::jsonl_exporter>(file);
        record_joined(*p, n);
        std::thread(spin, p).detach();
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        if (mode == "exit") std::exit(0);
        return 0;
    }
    if (mode == "return") {
        tacit::pipeline p(options());
        p.emplace_exporter<tacit::jsonl_exporter>(file);
        record_joined(p, n);
        std::thread spinner(spin, &p);
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        g_stop = true;
        spinner.join();
        return 0;
    }
    if (mode == "sigterm-chain") {
        std::signal(SIGTERM, chained_handler);
        tacit::pipeline p(options());
        p.emplace_exporter<tacit::jsonl_exporter>(file);
        if (!p.handle_sigterm(std::chrono::milliseconds(1000))) return 4;
        return wait_for_sigterm(p, n);
    }
    if (mode == "sigterm-default") {
        tacit::pipeline p(options());
        p.emplace_exporter<tacit::jsonl_exporter>(file);
        if (!p.handle_sigterm(std::chrono::milliseconds(1000))) return 4;
        return wait_for_sigterm(p, n);
    }
    std::fprintf(stderr, "unknown mode %s\n", mode.c_str());
    return 2;
}
