// Checker self-test: the twin does not compile (a typo), so the checker must not count the
// case's failure as a rejection.
#include "../common.hpp"

void f() {
    auto s = tacit::start<tool_usage>();
#ifdef TACIT_EXPECT_OK
    s.set<atempts>(1);
#else
    s.set<api_key>("sk-live-123");
#endif
}
