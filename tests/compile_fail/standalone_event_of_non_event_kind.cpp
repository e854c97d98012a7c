// tacit::event<E>() needs an event kind, not a span kind.
#include "common.hpp"

void f() {
#ifdef TACIT_EXPECT_OK
    auto e = tacit::event<retried>();
    e.set<attempts>(2);
#else
    auto e = tacit::event<tool_usage>();
    e.set<attempts>(2);
#endif
}
