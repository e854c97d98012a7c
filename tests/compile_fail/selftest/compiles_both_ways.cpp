// Checker self-test: both builds compile, so the checker must report "expected a compile error".
#include "../common.hpp"

void f() {
    auto s = tacit::start<tool_usage>();
#ifdef TACIT_EXPECT_OK
    s.set<attempts>(1);
#else
    s.set<attempts>(2);
#endif
}
