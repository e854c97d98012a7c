// A bool attribute takes only bool, not an integer.
#include "common.hpp"

void f() {
#ifdef TACIT_EXPECT_OK
    auto s = tacit::start<tool_usage>();
    s.set<cache_hit>(true);
#else
    auto s = tacit::start<tool_usage>();
    s.set<cache_hit>(1);
#endif
}
