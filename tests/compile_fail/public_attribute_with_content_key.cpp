// A key that names content cannot be declared public.
#include "common.hpp"

#ifdef TACIT_EXPECT_OK
struct prompt : tacit::content<"gen_ai.prompt", std::string_view> {};
#else
struct prompt : tacit::attribute<"gen_ai.prompt", std::string_view> {};
#endif

static_assert(sizeof(prompt) > 0);
