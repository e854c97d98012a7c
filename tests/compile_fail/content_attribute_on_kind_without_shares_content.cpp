// Content is set only on a span kind that opts in with tacit::shares_content.
#include "common.hpp"

void f() {
#ifdef TACIT_EXPECT_OK
    auto s = tacit::start<agent_run>();
    s.set<goal>("find flights");
#else
    auto s = tacit::start<tool_usage>();
    s.set<goal>("find flights");
#endif
}
