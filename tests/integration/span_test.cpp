// Spans through a real pipeline: attributes of every type, nesting, ids, parents across
// threads, events, status, content gating, truncation. Built enabled and with TACIT_DISABLE.
#include <doctest/doctest.h>

#include <optional>
#include <set>
#include <stdexcept>
#include <thread>

#include "schema.hpp"

TEST_CASE("attributes of every type arrive as recorded") {
    fixture f;
    {
        auto s = tacit::start<t::tool_usage>(f.p);
        std::string name = "web_search";
        s.set<t::tool_name>(name).set<t::attempts>(-3).set<t::cached>(true).set<t::score>(0.25);
        s.set<t::count_u>(~std::uint64_t{0});  // saturates to INT64_MAX
        name.assign("overwritten after set: the record holds its own copy");
    }
    {
        auto c = tacit::start<t::crew_run>(f.p);
        std::vector<std::string> names{"search", "calc"};
        c.set<t::tool_names>(names).set<t::sizes>(std::vector<int>{1, 2, 3});
        c.set<t::weights>(std::array<double, 2>{0.5, 1.5}).set<t::flags>(std::vector<bool>{true, false});
        c.set<"crew.cache_hits">(7).set<"crew.region_code">("eu");
    }
    auto spans = f.flush();
    if (nothing_when_compiled_out(spans)) return;
    REQUIRE(spans.size() == 2);
    const auto* s = by_name(spans, "tool_usage");
    REQUIRE(s);
    CHECK(s->find("gen_ai.tool.name")->value.s == "web_search");
    CHECK(s->find("crew.tool.attempts")->value.i == -3);
    CHECK(s->find("crew.tool.cached")->value.b == true);
    CHECK(s->find("crew.tool.score")->value.d == 0.25);
    CHECK(s->find("crew.count")->value.i == INT64_MAX);
    CHECK(s->status == tacit::status_code::unset);
    const auto* c = by_name(spans, "crew_execution");
    REQUIRE(c);
    auto& tn = c->find("crew.tool_names")->value;
    CHECK(tn.type == tacit::value_type::string_array);
    REQUIRE(tn.items.size() == 2);
    CHECK(tn.items[1].s == "calc");
    CHECK(c->find("crew.sizes")->value.items.size() == 3);
    CHECK(c->find("crew.sizes")->value.items[2].i == 3);
    CHECK(c->find("crew.weights")->value.items[1].d == 1.5);
    CHECK(c->find("crew.flags")->value.items[0].b == true);
    CHECK(c->find("crew.cache_hits")->value.i == 7);
    CHECK(c->find("crew.region_code")->value.s == "eu");
}

TEST_CASE("nesting through the thread's current span, W3C ids, timestamps") {
    fixture f;
    tacit::span_context outer_ctx;
    {
        auto outer = tacit::start<t::crew_run>(f.p);
        outer_ctx = outer.context();
        CHECK(tacit::current_context() == outer_ctx);
        {
            auto inner = tacit::start<t::tool_usage>(f.p);
            auto inner2 = tacit::start<t::agent_run>(f.p);
        }
        CHECK(tacit::current_context() == outer_ctx);
        auto sibling = tacit::start<t::tool_usage>(f.p);
    }
    CHECK_FALSE(tacit::current_context().valid());
    auto spans = f.flush();
    if (nothing_when_compiled_out(spans)) return;
    REQUIRE(spans.size() == 4);
    const auto* outer = by_name(spans, "crew_execution");
    const auto* agent = by_name(spans, "agent_execution");
    REQUIRE(outer);
    REQUIRE(agent);
    CHECK_FALSE(outer->parent.valid());
    std::set<std::uint64_t> ids;
    for (const auto& s : spans) {
        CHECK(s.context.trace == outer->context.trace);
        CHECK(s.context.span.valid());
        CHECK(s.context.trace.valid());
        CHECK(s.end_unix_ns >= s.start_unix_ns);
        CHECK(s.start_unix_ns > 1'600'000'000'000'000'000ull);  // Unix ns, after 2020
        ids.insert(s.context.span.value);
    }
    CHECK(ids.size() == 4);
    // both tool_usage spans are children of the crew; the agent span is a child of the first tool span
    int children_of_outer = 0;
    for (const auto& s : spans)
        if (s.parent == outer->context.span) ++children_of_outer;
    CHECK(children_of_outer == 2);
    CHECK(agent->parent != outer->context.span);
    CHECK(agent->parent.valid());
    // a child starts after and ends before its parent
    for (const auto& s : spans) {
        if (s.parent != outer->context.span) continue;
        CHECK(s.start_unix_ns >= outer->start_unix_ns);
        CHECK(s.end_unix_ns <= outer->end_unix_ns + 1000);
    }
}

TEST_CASE("explicit parenting across threads and from a remote context") {
    fixture f;
    tacit::span_context parent;
    {
        auto root = tacit::start<t::crew_run>(f.p);
        parent = root.context();
        std::thread worker([&] {
            CHECK_FALSE(tacit::current_context().valid());  // thread-local: nothing current here
            auto child = tacit::start<t::tool_usage>(f.p, parent);
            auto grandchild = tacit::start<t::agent_run>(f.p);  // nested under child on this thread
        });
        worker.join();
    }
    tacit::span_context remote{{0x0af7651916cd43ddull, 0x8448eb211c80319cull}, tacit::span_id{0xb7ad6b7169203331ull}, 1, true};
    { auto s = tacit::start<t::client_call>(f.p, remote); }
    { auto s = tacit::start<t::client_call>(f.p, tacit::span_context{}); }  // invalid: a new root
    auto spans = f.flush();
    if (nothing_when_compiled_out(spans)) return;
    REQUIRE(spans.size() == 5);
    const auto* tool = by_name(spans, "tool_usage");
    const auto* agent = by_name(spans, "agent_execution");
    REQUIRE(tool);
    REQUIRE(agent);
    CHECK(tool->parent == parent.span);
    CHECK(tool->context.trace == parent.trace);
    CHECK(agent->parent == tool->context.span);
    CHECK(tool->thread != by_name(spans, "crew_execution")->thread);
    int remote_children = 0, new_roots = 0;
    for (const auto& s : spans) {
        if (s.name != "llm_call") continue;
        CHECK(s.role == tacit::span_role::client);
        if (s.parent_remote) {
            ++remote_children;
            CHECK(s.context.trace == remote.trace);
            CHECK(s.parent == remote.span);
        } else {
            ++new_roots;
            CHECK_FALSE(s.parent.valid());
            CHECK(s.context.trace != remote.trace);
        }
    }
    CHECK(remote_children == 1);
    CHECK(new_roots == 1);
}

TEST_CASE("status: ok, an error type, an exception's type; events") {
    fixture f;
    { auto s = tacit::start<t::tool_usage>(f.p); s.ok(); }
    { auto s = tacit::start<t::tool_usage>(f.p); s.error("timeout"); }
    {
        auto s = tacit::start<t::tool_usage>(f.p);
        try {
            throw std::out_of_range("a message that must never be exported");
        } catch (const std::exception& e) {
            s.error(tacit::error_type::of(e));
        }
        s.event<t::retried>().set<t::attempts>(2);
        s.event<t::retried>().set<t::attempts>(3);
    }
    { auto e = tacit::event<t::feature>(f.p); e.set<t::tool_name>("planner"); }
    auto spans = f.flush();
    if (nothing_when_compiled_out(spans)) return;
    REQUIRE(spans.size() == 4);
    CHECK(spans[0].status == tacit::status_code::ok);
    CHECK(spans[1].status == tacit::status_code::error);
    CHECK(spans[1].error_type == "timeout");
    CHECK(spans[2].status == tacit::status_code::error);
    CHECK(spans[2].error_type == "std::out_of_range");
    REQUIRE(spans[2].events.size() == 2);
    CHECK(spans[2].events[0].name == "retry");
    CHECK(spans[2].events[1].attributes.at(0).value.i == 3);
    CHECK(spans[2].events[0].time_unix_ns >= spans[2].start_unix_ns);
    CHECK(spans[2].events[1].time_unix_ns <= spans[2].end_unix_ns);
    CHECK(spans[3].name == "feature_usage");
    CHECK(spans[3].start_unix_ns == spans[3].end_unix_ns);
    CHECK(spans[3].find("gen_ai.tool.name")->value.s == "planner");
}

TEST_CASE("content is written only while sharing is on") {
    fixture f;
    { auto s = tacit::start<t::agent_run>(f.p); s.set<t::goal>("CANARY-GOAL-1").set<t::tool_name>("x"); }
    f.p.share_content(true);
    { auto s = tacit::start<t::agent_run>(f.p); s.set<t::goal>("CANARY-GOAL-2"); }
    f.p.share_content(false);
    { auto s = tacit::start<t::agent_run>(f.p); s.set<t::goal>("CANARY-GOAL-3"); }
    auto spans = f.flush();
    if (nothing_when_compiled_out(spans)) return;
    REQUIRE(spans.size() == 3);
    CHECK(spans[0].find("crew.agent.goal") == nullptr);
    CHECK(spans[0].find("gen_ai.tool.name") != nullptr);
    REQUIRE(spans[1].find("crew.agent.goal") != nullptr);
    CHECK(spans[1].find("crew.agent.goal")->value.s == "CANARY-GOAL-2");
    CHECK(spans[1].find("crew.agent.goal")->sensitivity == tacit::sensitivity::content);
    CHECK(spans[2].find("crew.agent.goal") == nullptr);
}

TEST_CASE("overlong strings are cut with a mark; too many attributes are counted") {
    fixture f;
    std::string huge(10'000, 'x');
    {
        auto s = tacit::start<t::tool_usage>(f.p);
        s.set<t::tool_name>(huge);
        for (int i = 0; i < 40; ++i) s.set<t::attempts>(i);  // one key set again: the last value wins
    }
    {
        auto c = tacit::start<t::crew_run>(f.p);  // 20 distinct keys: TACIT_MAX_ATTRIBUTES are kept
        c.set<"k01">(1).set<"k02">(2).set<"k03">(3).set<"k04">(4).set<"k05">(5).set<"k06">(6).set<"k07">(7);
        c.set<"k08">(8).set<"k09">(9).set<"k10">(10).set<"k11">(11).set<"k12">(12).set<"k13">(13).set<"k14">(14);
        c.set<"k15">(15).set<"k16">(16).set<"k17">(17).set<"k18">(18).set<"k19">(19).set<"k20">(20);
    }
    auto spans = f.flush();
    if (nothing_when_compiled_out(spans)) return;
    REQUIRE(spans.size() == 2);
    auto v = spans[0].find("gen_ai.tool.name")->value.s;
    CHECK(v.size() == TACIT_MAX_STRING);
    CHECK(v.substr(v.size() - 3) == "\xE2\x80\xA6");
    CHECK(spans[0].find("crew.tool.attempts")->value.i == 39);
    CHECK(spans[0].attributes.size() == 2);
    CHECK(spans[0].dropped_attributes == 0);
    CHECK(spans[1].attributes.size() == TACIT_MAX_ATTRIBUTES);
    CHECK(spans[1].dropped_attributes == 20 - TACIT_MAX_ATTRIBUTES);
    CHECK(spans[1].find("k16") != nullptr);
    CHECK(spans[1].find("k17") == nullptr);
    auto st = f.p.stats();
    CHECK(st.truncated_strings == 1);
    CHECK(st.dropped_attributes == 20 - TACIT_MAX_ATTRIBUTES);
}

TEST_CASE("a record that fills up drops what does not fit, and counts it") {
    fixture f;
    std::string big(TACIT_MAX_STRING, 'y');
    {
        auto c = tacit::start<t::crew_run>(f.p);
        for (int i = 0; i < 20; ++i) c.set<"crew.region_code">(big);  // 20 x ~270 bytes > TACIT_RECORD_BYTES
    }
    auto spans = f.flush();
    if constexpr (!tacit::compiled_in) return;
    REQUIRE(spans.size() == 1);
    // the last write that fitted wins: the whole string, or (near the end of the record) a cut one
    auto v = spans[0].find("crew.region_code")->value.s;
    CHECK((v == big || (v.size() < big.size() && v.substr(v.size() - 3) == "\xE2\x80\xA6")));
    CHECK(spans[0].dropped_attributes > 0);
}

TEST_CASE("the default pipeline, and a span moved out of a factory") {
    fixture f;
    { auto s = tacit::start<t::tool_usage>(); }  // no default installed: not recorded
    f.p.install_as_default();
    auto make = [] {
        auto s = tacit::start<t::tool_usage>();
        s.set<t::attempts>(1);
        return s;
    };
    {
        auto s = make();
        s.set<t::tool_name>("moved");
    }
    TACIT_SPAN(t::crew_run);
    auto spans = f.flush();
    if (nothing_when_compiled_out(spans)) return;
    REQUIRE(spans.size() == 1);
    CHECK(spans[0].find("crew.tool.attempts")->value.i == 1);
    CHECK(spans[0].find("gen_ai.tool.name")->value.s == "moved");
}

TEST_CASE("sampling: always_off records nothing and its children follow") {
    auto o = fixture::quick();
    o.sampler = tacit::sampler::always_off();
    fixture f(o);
    {
        auto root = tacit::start<t::crew_run>(f.p);
        CHECK_FALSE(root.recording());
        auto child = tacit::start<t::tool_usage>(f.p);
        CHECK_FALSE(child.recording());
        CHECK(child.context().trace == root.context().trace);
    }
    auto o2 = fixture::quick();
    o2.sampler = tacit::sampler::traceidratio(0.5);
    fixture g(o2);
    for (int i = 0; i < 2000; ++i) { auto s = tacit::start<t::tool_usage>(g.p); }
    auto none = f.flush();
    auto half = g.flush();
    CHECK(none.empty());
    if constexpr (!tacit::compiled_in) {
        CHECK(half.empty());
        return;
    }
    CHECK(half.size() > 850);
    CHECK(half.size() < 1150);
    for (const auto& s : half) CHECK(tacit::sample_traceidratio(s.context.trace, 0.5));
}

TEST_CASE("a parent keeps what it recorded before, between and after its children") {
    fixture f;
    {
        auto outer = tacit::start<t::tool_usage>(f.p);
        outer.set<t::tool_name>("before").set<t::attempts>(1);
        {
            auto child = tacit::start<t::agent_run>(f.p);  // the parent's record leaves the ring here
            child.set<t::tool_name>("child");
            { auto grandchild = tacit::start<t::client_call>(f.p); }
        }
        outer.set<t::cached>(true);
        { auto second = tacit::start<t::client_call>(f.p); }
        outer.set<t::score>(2.5).set<t::tool_name>("after");  // a string set again: the last one wins
    }
    auto spans = f.flush();
    if (nothing_when_compiled_out(spans)) return;
    REQUIRE(spans.size() == 4);
    const auto* outer = by_name(spans, "tool_usage");
    const auto* child = by_name(spans, "agent_execution");
    REQUIRE(outer);
    REQUIRE(child);
    CHECK(outer->attributes.size() == 4);
    CHECK(outer->find("gen_ai.tool.name")->value.s == "after");
    CHECK(outer->find("crew.tool.attempts")->value.i == 1);
    CHECK(outer->find("crew.tool.cached")->value.b);
    CHECK(outer->find("crew.tool.score")->value.d == 2.5);
    CHECK(child->find("gen_ai.tool.name")->value.s == "child");
    CHECK(child->parent == outer->context.span);
    int calls = 0;
    for (const auto& s : spans) {
        if (s.name != "llm_call") continue;
        ++calls;
        CHECK(s.context.trace == outer->context.trace);
        CHECK((s.parent == child->context.span || s.parent == outer->context.span));
    }
    CHECK(calls == 2);
}

TEST_CASE("context(), current_context() and the exported ids agree") {
    fixture f;
    tacit::span_context root_ctx, child_ctx, current_in_child;
    {
        auto root = tacit::start<t::crew_run>(f.p);
        root_ctx = root.context();
        CHECK(tacit::current_context().span == root_ctx.span);
        CHECK(tacit::current_context().trace == root_ctx.trace);
        {
            auto child = tacit::start<t::tool_usage>(f.p);
            child_ctx = child.context();
            current_in_child = tacit::current_context();
        }
        CHECK(tacit::current_context().span == root_ctx.span);  // restored at the child's end
        CHECK(root.context().valid() == tacit::compiled_in);
        root.end();
        CHECK_FALSE(root.context().valid());  // an ended span has no context to hand out
    }
    CHECK_FALSE(tacit::current_context().valid());
    auto spans = f.flush();
    if constexpr (!tacit::compiled_in) {
        CHECK(spans.empty());
        CHECK_FALSE(root_ctx.valid());
        return;
    }
    REQUIRE(spans.size() == 2);
    const auto* root = by_name(spans, "crew_execution");
    const auto* child = by_name(spans, "tool_usage");
    REQUIRE(root);
    REQUIRE(child);
    CHECK(root_ctx.valid());
    CHECK(root->context.span == root_ctx.span);
    CHECK(root->context.trace == root_ctx.trace);
    CHECK(child->context.span == child_ctx.span);
    CHECK(current_in_child.span == child_ctx.span);
    CHECK(child->parent == root_ctx.span);
    CHECK(child->context.trace == root_ctx.trace);
    CHECK_FALSE(root->parent.valid());
    CHECK(root->context.span != child->context.span);
}

TEST_CASE("span ids never repeat on a thread and trace ids differ per root") {
    auto o = fixture::quick();
    o.ring_bytes = std::size_t{64} << 20;  // room for every span: this is about ids, not drops
    fixture f(o);
    const int n = 20000;
    for (int i = 0; i < n; ++i) {
        auto s = tacit::start<t::tool_usage>(f.p);
        s.set<t::attempts>(i);
    }
    auto spans = f.flush();
    if (nothing_when_compiled_out(spans)) return;
    REQUIRE(spans.size() == static_cast<std::size_t>(n));
    std::set<std::uint64_t> ids, traces;
    for (const auto& s : spans) {
        CHECK(s.context.span.valid());
        CHECK(s.context.trace.valid());
        ids.insert(s.context.span.value);
        traces.insert(s.context.trace.lo);
    }
    CHECK(ids.size() == static_cast<std::size_t>(n));
    CHECK(traces.size() == static_cast<std::size_t>(n));
}

TEST_CASE("links and the tracestate arrive with the span") {
    fixture f;
    tacit::span_context remote{{0x0af7651916cd43ddull, 0x8448eb211c80319cull}, tacit::span_id{0xb7ad6b7169203331ull}, 1, true};
    tacit::span_context batch_ctx;
    {
        auto batch = tacit::start<t::crew_run>(f.p);
        batch_ctx = batch.context();
    }
    {
        auto s = tacit::start<t::client_call>(f.p, remote);
        s.trace_state("congo=t61rcWkgMzE,rojo=00f067aa0ba902b7");
        s.link(batch_ctx).link(remote).link(tacit::span_context{});  // an invalid context is not linked
    }
    auto spans = f.flush();
    if (nothing_when_compiled_out(spans)) return;
    const auto* s = by_name(spans, "llm_call");
    REQUIRE(s);
    CHECK(s->trace_state == "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7");
    REQUIRE(s->links.size() == 2);
    CHECK(s->links[0].context.trace == batch_ctx.trace);
    CHECK(s->links[0].context.span == batch_ctx.span);
    CHECK_FALSE(s->links[0].context.remote);
    CHECK(s->links[1].context.span == remote.span);
    CHECK(s->links[1].context.remote);
    CHECK(s->links[1].context.flags == 1);
    CHECK(s->dropped_links == 0);
    CHECK(by_name(spans, "crew_execution")->links.empty());
}

TEST_CASE("links that do not fit the record are counted") {
    fixture f;
    tacit::span_context other{{1, 2}, tacit::span_id{3}, 1, false};
    { auto s = tacit::start<t::client_call>(f.p); for (int i = 0; i < 100; ++i) s.link(other); }
    auto spans = f.flush();
    if (nothing_when_compiled_out(spans)) return;
    REQUIRE(spans.size() == 1);
    CHECK(spans[0].links.size() > 10);
    CHECK(spans[0].links.size() + spans[0].dropped_links == 100);
}

TEST_CASE("a span moved to a new owner keeps its record, with a child open or not") {
    fixture f;
    auto make = [&f](std::int64_t n) {
        auto s = tacit::start<t::tool_usage>(f.p);
        s.set<t::attempts>(n);
        return s;
    };
    {
        auto a = make(1);
        auto b = std::move(a);  // the ring's reservation changes hands
        a.set<t::attempts>(99);  // inert after the move
        b.set<t::tool_name>("moved");
        auto child = tacit::start<t::client_call>(f.p);
        auto c = std::move(b);  // moved while a child holds the ring: copied
        c.set<t::cached>(true);
    }
    auto spans = f.flush();
    if (nothing_when_compiled_out(spans)) return;
    REQUIRE(spans.size() == 2);
    const auto* s = by_name(spans, "tool_usage");
    REQUIRE(s);
    CHECK(s->find("crew.tool.attempts")->value.i == 1);
    CHECK(s->find("gen_ai.tool.name")->value.s == "moved");
    CHECK(s->find("crew.tool.cached")->value.b);
    CHECK(by_name(spans, "llm_call")->parent == s->context.span);
}

TEST_CASE("a span ended on another thread while its own thread waits") {
    fixture f;
    std::optional<tacit::span<t::tool_usage>> handed;
    handed.emplace(tacit::start<t::tool_usage>(f.p));  // its record is this thread's ring reservation
    handed->set<t::tool_name>("ended elsewhere");
    std::thread other([&] {
        handed->set<t::attempts>(2);
        handed.reset();  // ends on this thread: the record leaves the first thread's ring
    });
    other.join();
    { auto after = tacit::start<t::client_call>(f.p); }  // the first thread's ring works on
    auto spans = f.flush();
    if (nothing_when_compiled_out(spans)) return;
    REQUIRE(spans.size() == 2);
    const auto* s = by_name(spans, "tool_usage");
    REQUIRE(s);
    CHECK(s->find("gen_ai.tool.name")->value.s == "ended elsewhere");
    CHECK(s->find("crew.tool.attempts")->value.i == 2);
    CHECK(s->thread != by_name(spans, "llm_call")->thread);
}

TEST_CASE("a span with an explicit parent gives the thread its context back when it ends") {
    fixture f;
    tacit::span_context remote{{0x0af7651916cd43ddull, 0x8448eb211c80319cull}, tacit::span_id{0xb7ad6b7169203331ull}, 1, true};
    tacit::span_context root_ctx, served_ctx, after_served, after_root;
    // A fresh thread: nothing is current there (a span that an earlier test ended on another
    // thread stays current on the thread that started it, as OpenTelemetry's scopes do).
    std::thread([&] {
        {
            auto root = tacit::start<t::crew_run>(f.p);
            root_ctx = root.context();
            {
                auto served = tacit::start<t::client_call>(f.p, remote);  // e.g. a request from elsewhere
                served_ctx = served.context();
                CHECK(tacit::current_context().span == served_ctx.span);
                { auto inner = tacit::start<t::tool_usage>(f.p); }  // a child of the served span
                CHECK(tacit::current_context().span == served_ctx.span);
            }
            after_served = tacit::current_context();
            { auto next = tacit::start<t::tool_usage>(f.p); }  // back under the root
        }
        after_root = tacit::current_context();
    }).join();
    auto spans = f.flush();
    CHECK_FALSE(after_root.valid());
    if (nothing_when_compiled_out(spans)) return;
    CHECK(after_served.span == root_ctx.span);
    CHECK(after_served.trace == root_ctx.trace);
    REQUIRE(spans.size() == 4);
    int under_served = 0, under_root = 0;
    for (const auto& s : spans) {
        if (s.name != "tool_usage") continue;
        if (s.parent == served_ctx.span) {
            ++under_served;
            CHECK(s.context.trace == remote.trace);
        } else if (s.parent == root_ctx.span) {
            ++under_root;
            CHECK(s.context.trace == root_ctx.trace);
        }
    }
    CHECK(under_served == 1);
    CHECK(under_root == 1);
}

TEST_CASE("spans ended out of order: every span is exported with its own parent") {
    fixture f;
    tacit::span_context a_ctx, b_ctx;
    std::thread([&] {  // a fresh thread: nothing current
        auto a = tacit::start<t::crew_run>(f.p);
        auto b = tacit::start<t::tool_usage>(f.p);
        a_ctx = a.context();
        b_ctx = b.context();
        a.end();  // the parent first
        CHECK(tacit::current_context().span == b_ctx.span);  // b is still current
        { auto c = tacit::start<t::agent_run>(f.p); }        // so c is b's child
        b.end();
    }).join();
    auto spans = f.flush();
    if (nothing_when_compiled_out(spans)) return;
    REQUIRE(spans.size() == 3);
    CHECK(by_name(spans, "tool_usage")->parent == a_ctx.span);
    CHECK(by_name(spans, "agent_execution")->parent == b_ctx.span);
    CHECK_FALSE(by_name(spans, "crew_execution")->parent.valid());
}
