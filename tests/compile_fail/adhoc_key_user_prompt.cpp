// An ad-hoc key that names content or a secret ('user_prompt') is rejected; the twin is a near miss that is public.
#include "common.hpp"

void f() {
#ifdef TACIT_EXPECT_OK
    auto s = tacit::start<crew_run>();
    s.set<"user_prompt_tokens">(1);
#else
    auto s = tacit::start<crew_run>();
    s.set<"user_prompt">("x");
#endif
}
