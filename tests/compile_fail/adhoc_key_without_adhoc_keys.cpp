// Ad-hoc keys are taken only by a span kind that lists tacit::adhoc_keys.
#include "common.hpp"

void f() {
#ifdef TACIT_EXPECT_OK
    auto s = tacit::start<crew_run>();
    s.set<"crew.cache_hits">(3);
#else
    auto s = tacit::start<tool_usage>();
    s.set<"crew.cache_hits">(3);
#endif
}
