// CrewAI's complaints, as tests: an unreachable backend must not delay exit beyond the
// shutdown timeout, and telemetry's own errors must never be printed into the host's output.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>

#include <unistd.h>

#include <tacit/crew.hpp>
#include <tacit/tacit.hpp>

#include "sim_runtime.hpp"

namespace {

using clock_type = std::chrono::steady_clock;

/// A backend that never answers: export blocks until released (or 20 s at most).
class blocking_exporter final : public tacit::exporter {
public:
    explicit blocking_exporter(std::shared_ptr<std::atomic<bool>> release) : release_(std::move(release)) {}
    tacit::export_result export_spans(const tacit::export_batch&) override {
        auto until = clock_type::now() + std::chrono::seconds(20);
        while (!release_->load() && clock_type::now() < until) std::this_thread::sleep_for(std::chrono::milliseconds(5));
        return tacit::export_result::failure();
    }
    bool force_flush(std::chrono::milliseconds) override { return false; }

private:
    std::shared_ptr<std::atomic<bool>> release_;
};

/// A backend whose every call throws.
class throwing_exporter final : public tacit::exporter {
public:
    tacit::export_result export_spans(const tacit::export_batch&) override {
        throw std::runtime_error("tacit-test: connection refused to collector");
    }
    bool force_flush(std::chrono::milliseconds) override { throw std::runtime_error("tacit-test: flush failed"); }
    void shutdown(std::chrono::milliseconds) override { throw std::logic_error("tacit-test: shutdown failed"); }
};

sim::crew_def small_crew() {
    sim::crew_def crew;
    crew.agents.push_back(std::make_unique<sim::agent_def>());
    crew.agents[0]->llm.model = "gpt-4o-mini";
    crew.tasks.push_back({});
    crew.tasks[0].agent = crew.agents[0].get();
    return crew;
}

void run_crew(tacit::crew_telemetry& tel, sim::crew_def& crew) {
    tel.crew_creation(crew);
    auto run = tel.crew_execution_span(crew);
    auto t = tel.task_started(crew, crew.tasks[0]);
    tel.tool_usage(crew.agents[0]->llm, "web_search", 1);
    tel.tool_usage_error(crew.agents[0]->llm, "web_search", "timeout");
    tel.task_failed(t, crew.tasks[0], crew, "tool_failed");
    tel.crew_failed(run, crew, "task_failed");
}

}  // namespace

TEST_CASE("a backend that never answers delays shutdown by no more than the shutdown timeout") {
    if constexpr (!tacit::compiled_in) return;  // compiled out: no thread, no exporter calls
    auto release = std::make_shared<std::atomic<bool>>(false);
    auto crew = small_crew();
    {
        tacit::pipeline_options o;
        o.watch_environment = false;
        o.shutdown_timeout = std::chrono::milliseconds(300);
        tacit::pipeline p{o};
        p.emplace_exporter<blocking_exporter>(release);
        tacit::crew_telemetry tel{p};
        run_crew(tel, crew);
        // the worker is now stuck in the exporter (a flush waits for it, bounded)
        CHECK_FALSE(p.force_flush(std::chrono::milliseconds(100)));
        run_crew(tel, crew);
        auto t0 = clock_type::now();
        bool clean = p.shutdown(std::chrono::milliseconds(300));
        auto took = clock_type::now() - t0;
        CHECK_FALSE(clean);
        CHECK(took >= std::chrono::milliseconds(250));
        CHECK(took < std::chrono::milliseconds(800));
    }
    {
        // the destructor is bounded by the same timeout
        tacit::pipeline_options o;
        o.watch_environment = false;
        o.shutdown_timeout = std::chrono::milliseconds(200);
        auto p = std::make_unique<tacit::pipeline>(o);
        p->emplace_exporter<blocking_exporter>(release);
        tacit::crew_telemetry tel{*p};
        run_crew(tel, crew);
        p->force_flush(std::chrono::milliseconds(50));
        auto t0 = clock_type::now();
        p.reset();
        auto took = clock_type::now() - t0;
        CHECK(took < std::chrono::milliseconds(700));
    }
    release->store(true);  // let the abandoned workers finish
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
}

TEST_CASE("a throwing exporter prints nothing into the host's stdout or stderr") {
    ::unsetenv("TACIT_LOG");
    std::FILE* capture = std::tmpfile();
    REQUIRE(capture != nullptr);
    std::fflush(stdout);
    std::fflush(stderr);
    int saved_out = ::dup(1), saved_err = ::dup(2);
    REQUIRE(saved_out >= 0);
    REQUIRE(saved_err >= 0);
    ::dup2(::fileno(capture), 1);
    ::dup2(::fileno(capture), 2);

    tacit::pipeline_stats stats{};
    {
        tacit::pipeline p{tacit::pipeline_options::from_env()};
        p.emplace_exporter<throwing_exporter>();
        tacit::crew_telemetry tel{p};
        auto crew = small_crew();
        run_crew(tel, crew);
        p.force_flush(std::chrono::seconds(5));
        run_crew(tel, crew);
        p.shutdown(std::chrono::seconds(5));
        stats = p.stats();
    }

    std::fflush(stdout);
    std::fflush(stderr);
    ::dup2(saved_out, 1);
    ::dup2(saved_err, 2);
    ::close(saved_out);
    ::close(saved_err);
    std::fseek(capture, 0, SEEK_END);
    long written = std::ftell(capture);
    std::string text;
    if (written > 0) {
        text.resize(static_cast<std::size_t>(written));
        std::rewind(capture);
        text.resize(std::fread(text.data(), 1, text.size(), capture));
    }
    std::fclose(capture);
    CHECK_MESSAGE(written == 0, "host output: " << text);
    if (tacit::compiled_in) {
        CHECK(stats.exporter_exceptions >= 2);  // the exporter really threw, and it was contained
        CHECK(stats.delivered > 0);
    }
}

TEST_CASE("diagnostics go to a handler only when one is given") {
    std::atomic<int> seen{0};
    {
        tacit::pipeline_options o;
        o.watch_environment = false;
        o.on_diagnostic = [&](std::string_view m) {
            if (m.find("tacit") != std::string_view::npos) ++seen;
        };
        tacit::pipeline p{o};
        p.emplace_exporter<throwing_exporter>();
        tacit::crew_telemetry tel{p};
        auto crew = small_crew();
        run_crew(tel, crew);
        p.force_flush(std::chrono::seconds(5));
        p.shutdown(std::chrono::seconds(5));
    }
    CHECK(seen.load() >= (tacit::compiled_in ? 1 : 0));
}
