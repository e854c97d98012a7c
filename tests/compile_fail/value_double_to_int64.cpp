// An integer attribute does not take a floating-point value (no silent truncation).
#include "common.hpp"

void f() {
#ifdef TACIT_EXPECT_OK
    auto s = tacit::start<tool_usage>();
    s.set<attempts>(2);
#else
    auto s = tacit::start<tool_usage>();
    s.set<attempts>(2.5);
#endif
}
