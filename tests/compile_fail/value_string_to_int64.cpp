// An integer attribute does not take a string.
#include "common.hpp"

void f() {
#ifdef TACIT_EXPECT_OK
    auto s = tacit::start<tool_usage>();
    s.set<attempts>(3);
#else
    auto s = tacit::start<tool_usage>();
    s.set<attempts>("3");
#endif
}
