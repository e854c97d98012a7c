// Settings from the environment: the standard names, defaults, and malformed values.
#include <doctest/doctest.h>
#include <tacit/tacit.hpp>

#include <cstdlib>
#include <string>
#include <vector>

namespace {
struct env_guard {
    std::vector<std::string> names;
    void set(const char* n, const char* v) {
        ::setenv(n, v, 1);
        names.emplace_back(n);
    }
    ~env_guard() {
        for (auto& n : names) ::unsetenv(n.c_str());
    }
};
}  // namespace

TEST_CASE("defaults match OpenTelemetry's batch span processor") {
    auto o = tacit::pipeline_options::from_env();
    CHECK(o.max_queue_size == 2048);
    CHECK(o.schedule_delay == std::chrono::milliseconds(5000));
    CHECK(o.max_export_batch_size == 512);
    CHECK(o.export_timeout == std::chrono::milliseconds(30000));
    CHECK(o.shutdown_timeout == std::chrono::milliseconds(2000));
    CHECK(o.effective_ring_bytes() == 256 * 1024);
    CHECK(o.sampler.kind == tacit::sampler_kind::parentbased_always_on);
    CHECK_FALSE(o.share_content);
}

TEST_CASE("the standard variables are read") {
    env_guard env;
    env.set("OTEL_BSP_MAX_QUEUE_SIZE", "4096");
    env.set("OTEL_BSP_SCHEDULE_DELAY", "100");
    env.set("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "64");
    env.set("OTEL_BSP_EXPORT_TIMEOUT", "1000");
    env.set("TACIT_SHUTDOWN_TIMEOUT", "500");
    env.set("TACIT_RING_BYTES", "65536");
    env.set("OTEL_SERVICE_NAME", " my-agent ");
    env.set("OTEL_TRACES_SAMPLER", "traceidratio");
    env.set("OTEL_TRACES_SAMPLER_ARG", "0.25");
    std::vector<std::string> said;
    auto o = tacit::pipeline_options::from_env([&](std::string_view m) { said.emplace_back(m); });
    CHECK(said.empty());
    CHECK(o.max_queue_size == 4096);
    CHECK(o.schedule_delay == std::chrono::milliseconds(100));
    CHECK(o.max_export_batch_size == 64);
    CHECK(o.export_timeout == std::chrono::milliseconds(1000));
    CHECK(o.shutdown_timeout == std::chrono::milliseconds(500));
    CHECK(o.effective_ring_bytes() == 65536);
    CHECK(o.service_name == "my-agent");
    CHECK(o.sampler.kind == tacit::sampler_kind::traceidratio);
    CHECK(o.sampler.ratio == doctest::Approx(0.25));
}

TEST_CASE("a malformed value is reported once, clearly, and the default is used") {
    env_guard env;
    env.set("OTEL_BSP_MAX_QUEUE_SIZE", "lots");
    env.set("OTEL_BSP_SCHEDULE_DELAY", "-5");
    env.set("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "99999999999999999999999");
    env.set("TACIT_RING_BYTES", "12");
    std::vector<std::string> said;
    auto o = tacit::pipeline_options::from_env([&](std::string_view m) { said.emplace_back(m); });
    CHECK(o.max_queue_size == 2048);
    CHECK(o.schedule_delay == std::chrono::milliseconds(5000));
    CHECK(o.max_export_batch_size == 512);
    CHECK(o.ring_bytes == 0);
    REQUIRE(said.size() == 4);
    CHECK(said[0].find("OTEL_BSP_MAX_QUEUE_SIZE='lots'") != std::string::npos);
    CHECK(said[0].find("using 2048") != std::string::npos);
}

TEST_CASE("a batch larger than the queue is clamped to the queue") {
    env_guard env;
    env.set("OTEL_BSP_MAX_QUEUE_SIZE", "100");
    env.set("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "512");
    int reports = 0;
    auto o = tacit::pipeline_options::from_env([&](std::string_view) { ++reports; });
    CHECK(o.max_export_batch_size == 100);
    CHECK(reports == 1);
}

TEST_CASE("the disable switches: OTEL_SDK_DISABLED, TACIT_DISABLED, DO_NOT_TRACK") {
    int reports = 0;
    tacit::diagnostic_handler h = [&](std::string_view) { ++reports; };
    CHECK_FALSE(tacit::detail::env_disabled(h));
    {
        env_guard env;
        env.set("OTEL_SDK_DISABLED", "TRUE");
        CHECK(tacit::detail::env_disabled(h));
    }
    {
        env_guard env;
        env.set("OTEL_SDK_DISABLED", "false");
        CHECK_FALSE(tacit::detail::env_disabled(h));
    }
    for (auto v : {"1", "true", "yes", "YES", " on "}) {
        env_guard env;
        env.set("TACIT_DISABLED", v);
        CAPTURE(v);
        CHECK(tacit::detail::env_disabled(h));
    }
    {
        env_guard env;
        env.set("DO_NOT_TRACK", "1");
        CHECK(tacit::detail::env_disabled(h));
    }
    CHECK(reports == 0);
    {
        env_guard env;
        env.set("TACIT_DISABLED", "maybe");
        CHECK_FALSE(tacit::detail::env_disabled(h));  // documented default: not disabled
        CHECK(reports == 1);
    }
    {
        env_guard env;
        env.set("OTEL_SDK_DISABLED", "1");  // the specification only knows "true"
        CHECK_FALSE(tacit::detail::env_disabled(h));
        CHECK(reports == 2);
    }
}
