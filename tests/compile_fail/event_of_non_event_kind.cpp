// span.event<E>() needs an event kind, not a span kind.
#include "common.hpp"

void f() {
#ifdef TACIT_EXPECT_OK
    auto s = tacit::start<crew_run>();
    s.event<retried>().set<attempts>(2);
#else
    auto s = tacit::start<crew_run>();
    s.event<tool_usage>();
#endif
}
