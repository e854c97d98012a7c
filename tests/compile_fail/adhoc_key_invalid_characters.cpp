// An ad-hoc key is made of [A-Za-z0-9_.-] only.
#include "common.hpp"

void f() {
#ifdef TACIT_EXPECT_OK
    auto s = tacit::start<crew_run>();
    s.set<"crew.cache_hits">(3);
#else
    auto s = tacit::start<crew_run>();
    s.set<"crew.cache hits">(3);
#endif
}
