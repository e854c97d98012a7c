// A secret can be declared (so code can name it) but never set on any span.
#include "common.hpp"

void f() {
#ifdef TACIT_EXPECT_OK
    auto s = tacit::start<tool_usage>();
    s.set<tool_name>("web_search");
#else
    auto s = tacit::start<tool_usage>();
    s.set<api_key>("sk-live-123");
#endif
}
