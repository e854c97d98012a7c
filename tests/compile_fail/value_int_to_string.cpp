// A string attribute does not take a number.
#include "common.hpp"

void f() {
#ifdef TACIT_EXPECT_OK
    auto s = tacit::start<tool_usage>();
    s.set<tool_name>("web_search");
#else
    auto s = tacit::start<tool_usage>();
    s.set<tool_name>(42);
#endif
}
