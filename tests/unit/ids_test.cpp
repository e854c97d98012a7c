// W3C ids: hex and byte forms.
#include <doctest/doctest.h>
#include <tacit/tacit.hpp>

#include <string>

TEST_CASE("trace and span ids in hex and network byte order") {
    tacit::trace_id t{0x4bf92f3577b34da6ull, 0xa3ce929d0e0e4736ull};
    auto h = t.hex();
    CHECK(std::string(h.data(), h.size()) == "4bf92f3577b34da6a3ce929d0e0e4736");
    auto b = t.bytes();
    CHECK(b[0] == 0x4b);
    CHECK(b[15] == 0x36);
    tacit::span_id s{0x00f067aa0ba902b7ull};
    auto sh = s.hex();
    CHECK(std::string(sh.data(), sh.size()) == "00f067aa0ba902b7");
    CHECK(s.bytes()[0] == 0x00);
    CHECK(s.bytes()[7] == 0xb7);
    CHECK_FALSE(tacit::trace_id{}.valid());
    CHECK_FALSE(tacit::span_id{}.valid());
    CHECK(t.valid());
}

TEST_CASE("hex parsing is strict") {
    std::uint64_t v = 0;
    CHECK(tacit::detail::parse_hex64("00f067aa0ba902b7", v));
    CHECK(v == 0x00f067aa0ba902b7ull);
    CHECK_FALSE(tacit::detail::parse_hex64("00F067AA0BA902B7", v));
    CHECK_FALSE(tacit::detail::parse_hex64("00f067aa0ba902b", v));
    CHECK_FALSE(tacit::detail::parse_hex64("00f067aa0ba902bz", v));
}
