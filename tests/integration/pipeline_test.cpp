// The pipeline: flush and shutdown, failing exporters, thread exit, run-time switches.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <string>
#include <thread>

#include "schema.hpp"

using namespace std::chrono_literals;

namespace {
struct throwing_exporter final : tacit::exporter {
    std::atomic<int> calls{0};
    tacit::export_result export_spans(const tacit::export_batch&) override {
        ++calls;
        throw std::runtime_error("collector exploded");
    }
};

struct blocking_exporter final : tacit::exporter {
    std::atomic<bool> release{false};
    std::atomic<int> calls{0};
    tacit::export_result export_spans(const tacit::export_batch&) override {
        ++calls;
        while (!release.load()) std::this_thread::sleep_for(1ms);  // a collector that never answers
        return tacit::export_result::success();
    }
};

struct rejecting_exporter final : tacit::exporter {
    tacit::export_result export_spans(const tacit::export_batch& b) override {
        return b.spans.size() >= 2 ? tacit::export_result::partial(2) : tacit::export_result::failure();
    }
};

double seconds_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}
}  // namespace

TEST_CASE("force_flush exports everything recorded before it, long before the schedule delay") {
    auto o = fixture::quick();
    o.schedule_delay = 1h;
    fixture f(o);
    for (int i = 0; i < 1000; ++i) { auto s = tacit::start<t::tool_usage>(f.p); s.set<t::attempts>(i); }
    auto t0 = std::chrono::steady_clock::now();
    CHECK(f.p.force_flush(5s));
    CHECK(seconds_since(t0) < 2.0);
    auto st = f.p.stats();
    if constexpr (!tacit::compiled_in) {
        CHECK(f.mem.size() == 0);
        return;
    }
    CHECK(f.mem.size() == 1000);
    CHECK(st.recorded == 1000);
    CHECK(st.delivered == 1000);
    CHECK(st.dropped_ring_full == 0);
    CHECK(f.mem.batches() >= 2);  // max batch 512
    auto acc = f.p.exporter_accounting();
    REQUIRE(acc.size() == 1);
    CHECK(acc[0].exported == 1000);
}

TEST_CASE("shutdown exports what is left; the destructor is bounded") {
    tacit::memory_exporter* mem = nullptr;
    {
        tacit::pipeline p(fixture::quick());
        mem = &p.emplace_exporter<tacit::memory_exporter>();
        for (int i = 0; i < 100; ++i) { auto s = tacit::start<t::tool_usage>(p); }
        auto t0 = std::chrono::steady_clock::now();
        CHECK(p.shutdown(2s));
        CHECK(seconds_since(t0) < 1.0);
        CHECK(mem->size() == (tacit::compiled_in ? 100u : 0u));
        CHECK(p.shutdown(2s));  // idempotent
    }
}

TEST_CASE("a throwing exporter is contained and counted; the others still get every span") {
    fixture f;
    auto& bad = f.p.emplace_exporter<throwing_exporter>();
    std::string said;
    for (int i = 0; i < 10; ++i) { auto s = tacit::start<t::tool_usage>(f.p); }
    f.flush();
    if constexpr (!tacit::compiled_in) return;
    CHECK(bad.calls >= 1);
    CHECK(f.mem.size() == 10);
    auto acc = f.p.exporter_accounting();
    REQUIRE(acc.size() == 2);
    CHECK(acc[0].exported == 10);
    CHECK(acc[1].failed == 10);
    CHECK(f.p.stats().exporter_exceptions >= 1);
}

TEST_CASE("rejected and failed spans are accounted per exporter") {
    fixture f;
    f.p.emplace_exporter<rejecting_exporter>();
    for (int i = 0; i < 5; ++i) { auto s = tacit::start<t::tool_usage>(f.p); }
    f.flush();
    if constexpr (!tacit::compiled_in) return;
    auto acc = f.p.exporter_accounting();
    REQUIRE(acc.size() == 2);
    CHECK(acc[1].exported + acc[1].rejected + acc[1].failed == 5);
    CHECK(acc[1].rejected >= 2);
    auto st = f.p.stats();  // the pipeline's totals sum every exporter's
    CHECK(st.export_rejected == acc[0].rejected + acc[1].rejected);
    CHECK(st.export_failed == acc[0].failed + acc[1].failed);
}

TEST_CASE("an exporter that never returns cannot hold the host past the shutdown timeout") {
    auto o = fixture::quick();
    o.shutdown_timeout = 300ms;
    auto* p = new tacit::pipeline(o);
    auto& stuck = p->emplace_exporter<blocking_exporter>();
    for (int i = 0; i < 10; ++i) { auto s = tacit::start<t::tool_usage>(*p); }
    p->force_flush(100ms);  // starts the export that blocks; times out
    auto t0 = std::chrono::steady_clock::now();
    bool clean = p->shutdown(300ms);
    double took = seconds_since(t0);
    CHECK(took < 1.0);
    if constexpr (tacit::compiled_in) {
        CHECK_FALSE(clean);
        CHECK(stuck.calls >= 1);
    }
    // The background thread was left behind holding its own state; let it finish.
    stuck.release = true;
    delete p;
    std::this_thread::sleep_for(50ms);
}

TEST_CASE("a thread that exits leaves nothing behind unexported") {
    fixture f;
    for (int round = 0; round < 20; ++round) {
        std::thread([&] {
            for (int i = 0; i < 50; ++i) { auto s = tacit::start<t::tool_usage>(f.p); }
        }).join();
    }
    auto spans = f.flush();
    if constexpr (!tacit::compiled_in) return;
    CHECK(spans.size() == 1000);
    // the rings of exited threads are released once drained
    std::this_thread::sleep_for(1100ms);
    f.flush();
    CHECK(f.p.stats().threads <= 1);
}

TEST_CASE("set_enabled(false) stops recording with no restart") {
    fixture f;
    { auto s = tacit::start<t::tool_usage>(f.p); }
    f.p.set_enabled(false);
    { auto s = tacit::start<t::tool_usage>(f.p); CHECK_FALSE(s.recording()); }
    f.p.set_enabled(true);
    { auto s = tacit::start<t::tool_usage>(f.p); }
    CHECK(f.flush().size() == (tacit::compiled_in ? 2u : 0u));
}

TEST_CASE("OTEL_SDK_DISABLED set after start-up is honoured within the poll interval") {
    auto o = fixture::quick();
    o.watch_environment = true;
    fixture f(o);
    { auto s = tacit::start<t::tool_usage>(f.p); }
    f.flush();
    // The background thread re-reads the switches every 250 ms: poll for the change (bounded).
    auto recording_after_change = [&](bool expect) {
        for (int i = 0; i < 250; ++i) {
            auto s = tacit::start<t::tool_usage>(f.p);
            if (s.recording() == expect) return true;
            s.end();
            std::this_thread::sleep_for(20ms);
        }
        return false;
    };
    f.mem.clear();
    ::setenv("OTEL_SDK_DISABLED", "true", 1);
    auto t0 = std::chrono::steady_clock::now();
    CHECK(recording_after_change(false));
    MESSAGE("switched off after " << seconds_since(t0) << " s");
    CHECK(seconds_since(t0) < 2.0);
    f.flush();
    f.mem.clear();  // what the probes recorded before the switch took effect
    { auto s = tacit::start<t::tool_usage>(f.p); CHECK_FALSE(s.recording()); }
    CHECK(f.flush().empty());
    // force_flush re-reads the switches too, so it returns with the change applied.
    ::unsetenv("OTEL_SDK_DISABLED");
    f.p.force_flush();
    { auto s = tacit::start<t::tool_usage>(f.p); CHECK(s.recording() == tacit::compiled_in); }
    CHECK(f.flush().size() == (tacit::compiled_in ? 1u : 0u));
}

TEST_CASE("console and JSON-lines exporters write what was recorded") {
    std::string jsonl = "tacit_pipeline_test.jsonl";
    std::FILE* console = std::tmpfile();
    {
        tacit::pipeline p(fixture::quick());
        p.emplace_exporter<tacit::jsonl_exporter>(jsonl);
        p.emplace_exporter<tacit::console_exporter>(console);
        auto s = tacit::start<t::tool_usage>(p);
        s.set<t::tool_name>("quote\"and\nnewline").set<t::score>(std::numeric_limits<double>::quiet_NaN());
        s.error("timeout");
        s.end();
        p.shutdown();
    }
    std::ifstream in(jsonl);
    std::string line, all;
    int spans = 0, stats = 0;
    while (std::getline(in, line)) {
        all += line + "\n";
        if (line.rfind("{\"type\":\"span\"", 0) == 0) ++spans;
        if (line.rfind("{\"type\":\"stats\"", 0) == 0) ++stats;
    }
    std::rewind(console);
    char buf[4096] = {};
    std::size_t n = std::fread(buf, 1, sizeof buf - 1, console);
    std::fclose(console);
    std::remove(jsonl.c_str());
    if constexpr (!tacit::compiled_in) {
        CHECK(spans == 0);
        CHECK(n == 0);
        return;
    }
    CHECK(spans == 1);
    CHECK(stats >= 1);
    CHECK(all.find("\"gen_ai.tool.name\":\"quote\\\"and\\nnewline\"") != std::string::npos);
    CHECK(all.find("\"crew.tool.score\":null") != std::string::npos);
    CHECK(all.find("\"status\":\"error\",\"error_type\":\"timeout\"") != std::string::npos);
    std::string text(buf, n);
    CHECK(text.find("tool_usage") != std::string::npos);
    CHECK(text.find("error (timeout)") != std::string::npos);
}

namespace {
/// Reads every string of a batch only after a pause, while the host keeps recording into the
/// same small ring: a view that pointed into the ring would see newer spans' bytes by then.
struct slow_checking_exporter final : tacit::exporter {
    std::atomic<int> batches{0}, spans{0}, wrong{0};
    std::atomic<std::size_t> largest{0};
    tacit::export_result export_spans(const tacit::export_batch& b) override {
        std::this_thread::sleep_for(2ms);
        for (const auto& s : b.spans) {
            if (s.name != "tool_usage") continue;
            const auto* name = s.find("gen_ai.tool.name");
            const auto* n = s.find("crew.tool.attempts");
            bool ok = name && n && name->value.as_string() == "tool-" + std::to_string(n->value.as_int()) + "-padding-to-make-it-long";
            if (!ok) ++wrong;
        }
        spans += static_cast<int>(b.spans.size());
        ++batches;
        if (b.spans.size() > largest) largest = b.spans.size();
        return tacit::export_result::success();
    }
};
}  // namespace

TEST_CASE("a batch's views stay intact while the host reuses the ring during a slow export") {
    auto o = fixture::quick();
    o.ring_bytes = 16 * 1024;  // reused many times over while batches are exported
    o.max_export_batch_size = 40;
    tacit::pipeline p(o);
    auto& e = p.emplace_exporter<slow_checking_exporter>();
    constexpr int n = 3000;
    auto drops = [&] { return p.stats().dropped_ring_full; };
    for (int i = 0; i < n; ++i) {
        std::string name = "tool-" + std::to_string(i) + "-padding-to-make-it-long";
        auto s = tacit::start<t::tool_usage>(p);
        s.set<t::tool_name>(name).set<t::attempts>(i);
        if (i % 100 == 99) std::this_thread::sleep_for(1ms);  // let the background thread keep up
    }
    REQUIRE(p.force_flush(10s));
    if constexpr (!tacit::compiled_in) {
        CHECK(e.spans == 0);
        return;
    }
    auto st = p.stats();
    CHECK(e.wrong == 0);
    CHECK(e.spans + drops() == n);  // what the small ring could not hold is counted
    CHECK(st.recorded == static_cast<std::uint64_t>(n));
    CHECK(e.spans >= 200);   // exports of 2 ms each: most of the 3000 are dropped, and counted
    CHECK(e.largest <= 40);  // max_export_batch_size holds
    CHECK(e.batches >= (e.spans + 39) / 40);
}

TEST_CASE("a batch ends at its byte bound: spans of long strings come in several exports") {
    auto o = fixture::quick();
    o.ring_bytes = 4 << 20;
    o.max_export_batch_size = 100000;  // only the byte bound cuts batches here
    tacit::pipeline p(o);
    auto& e = p.emplace_exporter<slow_checking_exporter>();
    std::string pad(200, 'x');
    constexpr int n = 2000;  // ~600 bytes a record: ~1.2 MB in all
    for (int i = 0; i < n; ++i) {
        auto s = tacit::start<t::crew_run>(p);
        s.set<"crew.padding">(pad).set<"crew.more_padding">(pad);
        auto c = tacit::start<t::tool_usage>(p);  // evicts the parent's record into its guard
        std::string name = "tool-" + std::to_string(i) + "-padding-to-make-it-long";
        c.set<t::tool_name>(name).set<t::attempts>(i);
    }
    REQUIRE(p.force_flush(10s));
    if constexpr (!tacit::compiled_in) return;
    auto st = p.stats();
    CHECK(st.recorded == 2u * n);
    CHECK(st.delivered == 2u * n);
    CHECK(e.wrong == 0);
    CHECK(e.batches > 4);  // 1.2 MB cannot go in one 128 KiB batch
}
