// A secret may be declared but never listed on a span kind.
#include "common.hpp"

#ifdef TACIT_EXPECT_OK
struct login : tacit::span_kind<"login", tool_name> {};
#else
struct login : tacit::span_kind<"login", tool_name, api_key> {};
#endif

void f() {
    auto s = tacit::start<login>();
    s.set<tool_name>("oauth");
}
