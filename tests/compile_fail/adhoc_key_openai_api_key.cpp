// An ad-hoc key that names content or a secret ('openai.api_key') is rejected; the twin is a near miss that is public.
#include "common.hpp"

void f() {
#ifdef TACIT_EXPECT_OK
    auto s = tacit::start<crew_run>();
    s.set<"openai.api_key_present">(1);
#else
    auto s = tacit::start<crew_run>();
    s.set<"openai.api_key">("x");
#endif
}
