// Strings copied into records: bounded, valid UTF-8, cut with a visible mark.
#include <doctest/doctest.h>
#include <tacit/tacit.hpp>

#include <string>

using tacit::detail::copy_utf8;

static std::string copy(std::string_view s, std::size_t limit, bool* truncated = nullptr) {
    std::string out(limit, '\0');
    auto r = copy_utf8(out.data(), limit, s.data(), s.size());
    out.resize(r.size);
    if (truncated) *truncated = r.truncated;
    return out;
}

static bool valid_utf8(std::string_view s) {
    std::size_t i = 0;
    while (i < s.size()) {
        auto n = tacit::detail::utf8_sequence(reinterpret_cast<const unsigned char*>(s.data() + i), s.size() - i);
        if (n == 0) return false;
        i += n;
    }
    return true;
}

TEST_CASE("short ASCII is copied as is") {
    bool t = true;
    CHECK(copy("web_search", 64, &t) == "web_search");
    CHECK_FALSE(t);
    CHECK(copy("", 64) == "");
}

TEST_CASE("a string that fits exactly is not cut") {
    std::string s(64, 'x');
    bool t = true;
    CHECK(copy(s, 64, &t) == s);
    CHECK_FALSE(t);
}

TEST_CASE("a long string is cut and ends with the ellipsis, within the limit") {
    std::string s(100, 'x');
    bool t = false;
    auto out = copy(s, 64, &t);
    CHECK(t);
    CHECK(out.size() <= 64);
    CHECK(out.size() == 64);
    CHECK(out.substr(out.size() - 3) == "\xE2\x80\xA6");
    CHECK(out.substr(0, 61) == std::string(61, 'x'));
}

TEST_CASE("cutting never splits a code point") {
    std::string s;
    for (int i = 0; i < 40; ++i) s += "\xC3\xA9";  // é, two bytes each
    for (std::size_t limit = 8; limit < 40; ++limit) {
        auto out = copy(s, limit);
        CAPTURE(limit);
        CHECK(out.size() <= limit);
        CHECK(valid_utf8(out));
    }
}

TEST_CASE("invalid bytes become U+FFFD") {
    CHECK(copy("a\xFF" "b", 64) == "a\xEF\xBF\xBD" "b");
    CHECK(copy("\xC0\xAF", 64) == "\xEF\xBF\xBD\xEF\xBF\xBD");        // overlong '/'
    CHECK(copy("\xED\xA0\x80", 64) == "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // a surrogate
    CHECK(copy("\xF4\x90\x80\x80", 64).find("\xEF\xBF\xBD") == 0);     // above U+10FFFF
    CHECK(copy("\xE2\x82", 64) == "\xEF\xBF\xBD\xEF\xBF\xBD");         // cut short
    CHECK(copy("\xF0\x9F\x98\x80", 64) == "\xF0\x9F\x98\x80");         // a valid 4-byte emoji stays
    CHECK(valid_utf8(copy(std::string("\x80\x81\x82\xFE\xFF", 5), 64)));
}

TEST_CASE("embedded NUL and control characters are kept (encoders escape them)") {
    std::string s("a\0b\n", 4);
    CHECK(copy(s, 64) == s);
}
