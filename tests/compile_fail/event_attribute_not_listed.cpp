// An event's attributes are checked against its event kind's list.
#include "common.hpp"

void f() {
#ifdef TACIT_EXPECT_OK
    auto s = tacit::start<crew_run>();
    s.event<retried>().set<attempts>(2);
#else
    auto s = tacit::start<crew_run>();
    s.event<retried>().set<tool_name>("web_search");
#endif
}
