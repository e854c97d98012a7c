// set<A> needs an attribute declaration, not an arbitrary type.
#include "common.hpp"

void f() {
#ifdef TACIT_EXPECT_OK
    auto s = tacit::start<tool_usage>();
    s.set<attempts>(3);
#else
    auto s = tacit::start<tool_usage>();
    s.set<std::int64_t>(3);
#endif
}
