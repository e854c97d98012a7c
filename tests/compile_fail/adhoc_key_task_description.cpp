// An ad-hoc key that names content or a secret ('task.description') is rejected; the twin is a near miss that is public.
#include "common.hpp"

void f() {
#ifdef TACIT_EXPECT_OK
    auto s = tacit::start<crew_run>();
    s.set<"task.description_length">(1);
#else
    auto s = tacit::start<crew_run>();
    s.set<"task.description">("x");
#endif
}
