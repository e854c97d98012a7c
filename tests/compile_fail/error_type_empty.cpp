// An error type has 1-64 characters.
#include "common.hpp"

void f() {
#ifdef TACIT_EXPECT_OK
    auto s = tacit::start<tool_usage>();
    s.error("timeout");
#else
    auto s = tacit::start<tool_usage>();
    s.error("");
#endif
}
