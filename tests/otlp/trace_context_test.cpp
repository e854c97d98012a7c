// W3C traceparent / tracestate: injection, strict extraction, tracestate grammar.
#include <doctest/doctest.h>

#include <string>

#include "tacit/trace_context.hpp"

namespace {
constexpr const char* w3c_example = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

std::string with_char(std::string s, std::size_t at, char c) {
    s[at] = c;
    return s;
}
}  // namespace

TEST_CASE("extract_traceparent reads the W3C example") {
    auto ctx = tacit::extract_traceparent(w3c_example);
    REQUIRE(ctx.has_value());
    CHECK(ctx->trace.hi == 0x4bf92f3577b34da6ULL);
    CHECK(ctx->trace.lo == 0xa3ce929d0e0e4736ULL);
    CHECK(ctx->span.value == 0x00f067aa0ba902b7ULL);
    CHECK(ctx->flags == 0x01);
    CHECK(ctx->sampled());
    CHECK(ctx->remote);
}

TEST_CASE("inject and extract round-trip, flags kept") {
    tacit::span_context c{{0x0123456789abcdefULL, 0xfedcba9876543210ULL}, {0x1122334455667788ULL}, 0x00, false};
    const auto h = tacit::inject_traceparent(c);
    CHECK(h == "00-0123456789abcdeffedcba9876543210-1122334455667788-00");
    auto back = tacit::extract_traceparent(h);
    REQUIRE(back);
    CHECK(back->trace == c.trace);
    CHECK(back->span == c.span);
    CHECK(back->flags == 0);
    CHECK_FALSE(back->sampled());
    CHECK(back->remote);

    c.flags = 0xff;
    CHECK(tacit::inject_traceparent(c).ends_with("-ff"));
    CHECK(tacit::extract_traceparent(tacit::inject_traceparent(c))->flags == 0xff);
}

TEST_CASE("inject of an invalid context is empty") {
    CHECK(tacit::inject_traceparent(tacit::span_context{}).empty());
    CHECK(tacit::inject_traceparent(tacit::span_context{{1, 2}, {0}, 1, false}).empty());
    CHECK(tacit::inject_traceparent(tacit::span_context{{0, 0}, {5}, 1, false}).empty());
    static_assert(tacit::traceparent_chars(tacit::span_context{})[0] == '\0');
    static_assert(tacit::extract_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01").has_value(),
                  "extraction works at compile time");
}

TEST_CASE("version 00 must be exactly 55 characters") {
    const std::string ok = w3c_example;
    CHECK(tacit::extract_traceparent(ok));
    CHECK_FALSE(tacit::extract_traceparent(ok + "-"));
    CHECK_FALSE(tacit::extract_traceparent(ok + "-extra"));
    CHECK_FALSE(tacit::extract_traceparent(ok + "0"));
    CHECK_FALSE(tacit::extract_traceparent(ok.substr(0, 54)));
    CHECK_FALSE(tacit::extract_traceparent(""));
}

TEST_CASE("future versions: accepted with a '-' suffix, ff never") {
    const std::string tail = "-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    CHECK(tacit::extract_traceparent("01" + tail));
    CHECK(tacit::extract_traceparent("cc" + tail + "-what-the-future-holds"));
    CHECK_FALSE(tacit::extract_traceparent("cc" + tail + "what"));  // no delimiter after flags
    CHECK_FALSE(tacit::extract_traceparent("ff" + tail));
    CHECK_FALSE(tacit::extract_traceparent("ff" + tail + "-x"));
    CHECK_FALSE(tacit::extract_traceparent("0g" + tail));
    CHECK_FALSE(tacit::extract_traceparent("FF" + tail));  // uppercase version
    CHECK_FALSE(tacit::extract_traceparent("0A" + tail));
}

TEST_CASE("all-zero ids are invalid") {
    CHECK_FALSE(tacit::extract_traceparent("00-00000000000000000000000000000000-00f067aa0ba902b7-01"));
    CHECK_FALSE(tacit::extract_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01"));
    // Only one half zero is fine.
    CHECK(tacit::extract_traceparent("00-00000000000000000000000000000001-0000000000000001-00"));
    CHECK(tacit::extract_traceparent("00-10000000000000000000000000000000-1000000000000000-00"));
}

TEST_CASE("only lowercase hex, delimiters exact") {
    const std::string ok = w3c_example;
    CHECK_FALSE(tacit::extract_traceparent("00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01"));
    CHECK_FALSE(tacit::extract_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00F067AA0BA902B7-01"));
    CHECK_FALSE(tacit::extract_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0A"));
    for (std::size_t i : {2u, 35u, 52u}) {
        CHECK_FALSE(tacit::extract_traceparent(with_char(ok, i, '_')));
        CHECK_FALSE(tacit::extract_traceparent(with_char(ok, i, 'a')));
    }
    for (std::size_t i = 0; i < ok.size(); ++i) {
        if (i == 2 || i == 35 || i == 52) continue;
        INFO("position " << i);
        CHECK_FALSE(tacit::extract_traceparent(with_char(ok, i, 'g')));
        CHECK_FALSE(tacit::extract_traceparent(with_char(ok, i, '-')));
        CHECK_FALSE(tacit::extract_traceparent(with_char(ok, i, ' ')));
    }
    CHECK_FALSE(tacit::extract_traceparent("00-4bf92f3577b34da6a3ce929d0e0e473-600f067aa0ba902b7-01"));
}

TEST_CASE("surrounding whitespace is HTTP OWS and ignored") {
    CHECK(tacit::extract_traceparent(std::string(" \t") + w3c_example + " "));
}

TEST_CASE("tracestate parses, keeps order and re-serializes") {
    auto ts = tacit::trace_state::parse("congo=t61rcWkgMzE,rojo=00f067aa0ba902b7");
    REQUIRE(ts);
    CHECK(ts->size() == 2);
    REQUIRE(ts->find("rojo"));
    CHECK(*ts->find("rojo") == "00f067aa0ba902b7");
    CHECK(ts->find("absent") == nullptr);
    CHECK(ts->header() == "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7");
    CHECK(tacit::inject_tracestate(*ts) == ts->header());
}

TEST_CASE("tracestate tolerates OWS and empty members") {
    auto ts = tacit::extract_tracestate(" a=1 ,\t, b=2\t,,");
    REQUIRE(ts);
    CHECK(ts->header() == "a=1,b=2");
    auto empty = tacit::trace_state::parse("");
    REQUIRE(empty);
    CHECK(empty->empty());
    CHECK(empty->header().empty());
}

TEST_CASE("tracestate key grammar") {
    using ts = tacit::trace_state;
    CHECK(ts::valid_key("a"));
    CHECK(ts::valid_key("a0_-*/"));
    CHECK(ts::valid_key("tenant@system"));
    CHECK(ts::valid_key("0tenant@sys"));
    CHECK_FALSE(ts::valid_key(""));
    CHECK_FALSE(ts::valid_key("A"));
    CHECK_FALSE(ts::valid_key("0abc"));  // a simple key starts with a letter
    CHECK_FALSE(ts::valid_key("a b"));
    CHECK_FALSE(ts::valid_key("@sys"));
    CHECK_FALSE(ts::valid_key("t@"));
    CHECK_FALSE(ts::valid_key("t@0sys"));
    CHECK_FALSE(ts::valid_key("t@a@b"));
    CHECK(ts::valid_key("t@" + std::string(14, 'a')));
    CHECK_FALSE(ts::valid_key("t@" + std::string(15, 'a')));
    CHECK(ts::valid_key(std::string(241, 'a') + "@s"));
    CHECK_FALSE(ts::valid_key(std::string(242, 'a') + "@s"));
    CHECK(ts::valid_key(std::string(256, 'a')));
    CHECK_FALSE(ts::valid_key(std::string(257, 'a')));
}

TEST_CASE("tracestate value grammar") {
    using ts = tacit::trace_state;
    CHECK(ts::valid_value("x"));
    CHECK(ts::valid_value("with space inside"));
    CHECK(ts::valid_value(std::string(256, 'v')));
    CHECK_FALSE(ts::valid_value(std::string(257, 'v')));
    CHECK_FALSE(ts::valid_value(""));
    CHECK_FALSE(ts::valid_value("trailing "));
    CHECK_FALSE(ts::valid_value("a,b"));
    CHECK_FALSE(ts::valid_value("a=b"));
    CHECK_FALSE(ts::valid_value("tab\there"));
    CHECK_FALSE(ts::valid_value("caf\xc3\xa9"));
}

TEST_CASE("an invalid tracestate is rejected as a whole") {
    CHECK_FALSE(tacit::trace_state::parse("a=1,B=2"));
    CHECK_FALSE(tacit::trace_state::parse("a=1,b"));
    CHECK_FALSE(tacit::trace_state::parse("a=1,a=2"));  // duplicate key
    CHECK_FALSE(tacit::trace_state::parse("a="));
    CHECK_FALSE(tacit::trace_state::parse("=1"));
    CHECK_FALSE(tacit::trace_state::parse("a=1=2"));
}

TEST_CASE("tracestate holds at most 32 members") {
    std::string h;
    for (int i = 0; i < 32; ++i) h += (i ? ",k" : "k") + std::to_string(i) + "=v";
    auto ts = tacit::trace_state::parse(h);
    REQUIRE(ts);
    CHECK(ts->size() == 32);
    CHECK_FALSE(tacit::trace_state::parse(h + ",k32=v"));
    // Updating on a full list drops the oldest (last) member to make room.
    CHECK(ts->set("tacit", "s1"));
    CHECK(ts->size() == 32);
    CHECK(ts->members().front().first == "tacit");
    CHECK(ts->find("k31") == nullptr);
}

TEST_CASE("tracestate set moves to the front, erase removes") {
    auto ts = *tacit::trace_state::parse("a=1,b=2,c=3");
    CHECK(ts.set("b", "9"));
    CHECK(ts.header() == "b=9,a=1,c=3");
    CHECK(ts.set("new", "x"));
    CHECK(ts.header() == "new=x,b=9,a=1,c=3");
    CHECK_FALSE(ts.set("Bad", "x"));
    CHECK_FALSE(ts.set("ok", "bad,value"));
    CHECK(ts.header() == "new=x,b=9,a=1,c=3");
    CHECK(ts.erase("a"));
    CHECK_FALSE(ts.erase("a"));
    CHECK(ts.header() == "new=x,b=9,c=3");
    CHECK(*tacit::trace_state::parse(ts.header()) == ts);
}
