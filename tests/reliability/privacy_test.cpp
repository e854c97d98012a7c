// Privacy audit at run time, over every exporter this build has: with sharing off no content
// canary reaches any output (and with sharing on they do, so the search is known to work); no
// exporter writes the host name, the user name, the working directory or an environment
// value unless the program put it in a public attribute; an error record carries the
// exception's type, never its message; switching tacit off mid-run stops every export.
#include <doctest/doctest.h>

#include <tacit/exporters/console.hpp>
#include <tacit/exporters/jsonl.hpp>
#include <tacit/exporters/memory.hpp>
#include <tacit/exporters/perfetto.hpp>
#define TACIT_PROMETHEUS_NO_SERVER 1
#include <tacit/exporters/prometheus.hpp>
#include <tacit/exporters/span_metrics.hpp>
#if TACIT_REL_ELASTIC
#include <tacit/exporters/elastic.hpp>
#endif

#include <pwd.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <stdexcept>

#include "canary.hpp"
#include "common.hpp"
#include "process.hpp"

namespace {

using namespace std::chrono_literals;

struct hostinfo : tacit::attribute<"host.name", std::string_view> {};
struct audited : tacit::span_kind<"audited", tacit::shares_content, rel::goal, rel::task_description, rel::tool_name, hostinfo> {};
struct retried : tacit::event_kind<"retry", rel::tool_name> {};

class canary_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

std::string dump(const std::vector<tacit::owned_span>& spans) {
    std::string out;
    for (const auto& s : spans) {
        out += s.name + " " + s.error_type + " ";
        for (const auto& a : s.attributes) out += a.key + "=" + a.value.s + " ";
        for (const auto& e : s.events) {
            out += e.name + " ";
            for (const auto& a : e.attributes) out += a.key + "=" + a.value.s + " ";
        }
    }
    return out;
}

struct host_values {
    std::string hostname, user, cwd, env_canary;
    static host_values get() {
        host_values h;
        char buf[4096];
        if (::gethostname(buf, sizeof buf) == 0) h.hostname = buf;
        if (const char* u = std::getenv("USER")) h.user = u;
        else if (const passwd* pw = ::getpwuid(::getuid())) h.user = pw->pw_name;
        if (::getcwd(buf, sizeof buf)) h.cwd = buf;
        h.env_canary = "ENV-CANARY-5d1e-" + std::to_string(::getpid());
        ::setenv("TACIT_REL_CANARY", h.env_canary.c_str(), 1);
        return h;
    }
};

/// Runs one recording session into every exporter and returns each one's output by name.
std::map<std::string, std::string> run_all(bool share, const std::function<void(tacit::pipeline&)>& record) {
    auto dir = rel::temp_path(share ? "privacy_on" : "privacy_off");
    std::filesystem::create_directories(dir);
    std::map<std::string, std::string> out;
    std::FILE* console = std::tmpfile();
    REQUIRE(console != nullptr);
    tacit::metrics_registry registry;
    std::string otlp;
    {
        auto o = rel::quick();
        o.share_content = share;
        tacit::pipeline p(o);
        auto& mem = p.emplace_exporter<tacit::memory_exporter>();
        p.emplace_exporter<tacit::console_exporter>(console);
        p.emplace_exporter<tacit::jsonl_exporter>(dir + "/spans.jsonl");
        p.emplace_exporter<tacit::perfetto_exporter>(dir + "/trace.json");
        p.emplace_exporter<tacit::span_metrics_exporter>(registry);
        p.emplace_exporter<canary::otlp_capture>(otlp);
#if TACIT_REL_ELASTIC
        tacit::elastic_options eo;
        eo.file = dir + "/bulk.ndjson";
        p.emplace_exporter<tacit::elastic_exporter>(eo);
#endif
        record(p);
        REQUIRE(p.force_flush(10s));
        out["memory"] = dump(mem.spans());
        out["prometheus"] = tacit::prometheus::render(registry);  // while the span-metrics exporter lives
        REQUIRE(p.shutdown(5s));
    }
    std::fflush(console);
    out["console"] = canary::read_all(console);
    std::fclose(console);
    out["jsonl"] = canary::read_file(dir + "/spans.jsonl");
    out["perfetto"] = canary::read_file(dir + "/trace.json");
    out["otlp"] = otlp;
#if TACIT_REL_ELASTIC
    out["elastic"] = canary::read_file(dir + "/bulk.ndjson");
#endif
    std::filesystem::remove_all(dir);
    return out;
}

const char* const content_canaries[] = {"CANARY-GOAL-4e1f", "CANARY-TASK-9b2c"};
const char* const message_canary = "CANARY-MESSAGE-77aa";

void record_canaries(tacit::pipeline& p) {
    for (int i = 0; i < 20; ++i) {
        auto s = tacit::start<audited>(p);
        s.set<rel::goal>(content_canaries[0]).set<rel::task_description>(content_canaries[1]).set<rel::tool_name>("web_search");
        s.event<retried>().set<rel::tool_name>("web_search");
        try {
            throw canary_error(message_canary);
        } catch (const std::exception& e) {
            s.error(tacit::error_type::of(e));
        }
    }
}

}  // namespace

TEST_CASE("content canaries: absent from every exporter with sharing off, present with it on; error messages never") {
    auto off = run_all(false, record_canaries);
    auto on = run_all(true, record_canaries);
    CHECK(off.size() >= 7);
    for (const auto& out : off) {  // (no structured bindings: clang 14 cannot capture them in doctest's lambdas)
        const std::string& name = out.first;
        const std::string& text = out.second;
        CAPTURE(name);
        CHECK_MESSAGE(!text.empty(), name << " wrote nothing: the audit would prove nothing");
        for (const char* c : content_canaries) CHECK_MESSAGE(text.find(c) == std::string::npos, name << " leaked " << c);
        CHECK_MESSAGE(text.find(message_canary) == std::string::npos, name << " wrote an error message");
    }
    // The twins: with sharing on, the exporters that write attributes do show the content.
    if constexpr (tacit::compiled_in) {
        for (const char* name : {"memory", "jsonl", "otlp"}) {
            CAPTURE(name);
            for (const char* c : content_canaries) CHECK(on[name].find(c) != std::string::npos);
            CHECK(on[name].find(message_canary) == std::string::npos);
        }
        // An error is recorded by its type.
        CHECK(off["jsonl"].find("canary_error") != std::string::npos);
        CHECK(off["jsonl"].find("\"status\":\"error\"") != std::string::npos);
    }
}

TEST_CASE("host identity: no exporter writes the host name, user, working directory or an environment value unless asked") {
    const auto h = host_values::get();
    MESSAGE("host '" << h.hostname << "', user '" << h.user << "', cwd '" << h.cwd << "'");
    auto plain = run_all(false, [](tacit::pipeline& p) {
        for (int i = 0; i < 10; ++i) {
            auto s = tacit::start<audited>(p);
            s.set<rel::tool_name>("web_search");
            s.error("timeout");
        }
    });
    std::vector<std::pair<std::string, std::string>> values = {
        {"host name", h.hostname}, {"user", h.user}, {"working directory", h.cwd}, {"environment value", h.env_canary}};
    for (const auto& out : plain) {
        const std::string& name = out.first;
        const std::string& text = out.second;
        CAPTURE(name);
        for (const auto& value : values) {
            const std::string& what = value.first;
            const std::string& v = value.second;
            if (v.size() < 4 || v == "/") continue;  // too short to search for meaningfully
            // Quoted or bounded occurrences: a value that happens to be a common word (a user
            // called "root") must match a whole token, not part of one.
            CHECK_MESSAGE(text.find("\"" + v + "\"") == std::string::npos, name << " wrote the " << what);
            CHECK_MESSAGE(text.find("=" + v) == std::string::npos, name << " wrote the " << what);
            if (v.size() >= 8) CHECK_MESSAGE(text.find(v) == std::string::npos, name << " wrote the " << what);
        }
    }
    // The twin: put in a public attribute on purpose, the host name does show up.
    if constexpr (tacit::compiled_in) {
        auto asked = run_all(false, [&](tacit::pipeline& p) {
            auto s = tacit::start<audited>(p);
            s.set<hostinfo>(h.hostname);
        });
        CHECK(asked["jsonl"].find(h.hostname) != std::string::npos);
        CHECK(asked["otlp"].find(h.hostname) != std::string::npos);
    }
    ::unsetenv("TACIT_REL_CANARY");
}

TEST_CASE("switching off mid-run stops every export: OTEL_SDK_DISABLED, TACIT_DISABLED, DO_NOT_TRACK, set_enabled") {
    for (std::string var : {"OTEL_SDK_DISABLED", "TACIT_DISABLED", "DO_NOT_TRACK", "set_enabled"}) {
        CAPTURE(var);
        auto o = rel::quick();
        o.watch_environment = true;
        tacit::pipeline p(o);
        auto& mem = p.emplace_exporter<tacit::memory_exporter>();
        auto file = rel::temp_path("off_" + var + ".jsonl");
        p.emplace_exporter<tacit::jsonl_exporter>(file);
        for (int i = 0; i < 50; ++i) tacit::start<rel::tool_usage>(p).set<rel::tool_name>("before");
        REQUIRE(p.force_flush(5s));
        const auto before = mem.spans().size();
        if (var == "set_enabled") p.set_enabled(false);
        else ::setenv(var.c_str(), "true", 1);
        std::this_thread::sleep_for(600ms);  // the environment is reread every 250 ms
        for (int i = 0; i < 500; ++i) tacit::start<rel::tool_usage>(p).set<rel::tool_name>("after");
        REQUIRE(p.force_flush(5s));
        std::this_thread::sleep_for(100ms);
        REQUIRE(p.force_flush(5s));
        const auto after = mem.spans().size();
        const auto st = p.stats();
        ::unsetenv(var.c_str());
        std::this_thread::sleep_for(300ms);  // back on for the next pipeline
        REQUIRE(p.shutdown(2s));
        std::string text = canary::read_file(file);
        std::remove(file.c_str());
        MESSAGE(var << ": " << before << " spans before, " << (after - before) << " after switching off");
        if constexpr (tacit::compiled_in) {
            CHECK(before == 50);
            CHECK(after == before);
            CHECK(text.find("\"after\"") == std::string::npos);
            CHECK(st.recorded == st.delivered + st.dropped_ring_full + st.dropped_disabled + st.dropped_shutdown);
        }
    }
    tacit::detail::g_off.store(0);
}
