// An error type is a token fixed at compile time; a sentence could carry content.
#include "common.hpp"

void f() {
#ifdef TACIT_EXPECT_OK
    auto s = tacit::start<tool_usage>();
    s.error("could_not_connect");
#else
    auto s = tacit::start<tool_usage>();
    s.error("could not connect");
#endif
}
