// A span kind may list a content attribute only if it opts in with tacit::shares_content.
#include "common.hpp"

#ifdef TACIT_EXPECT_OK
struct planning : tacit::span_kind<"planning", tacit::shares_content, goal> {};
#else
struct planning : tacit::span_kind<"planning", goal> {};
#endif

void f() {
    auto s = tacit::start<planning>();
    s.set<goal>("plan the trip");
}
