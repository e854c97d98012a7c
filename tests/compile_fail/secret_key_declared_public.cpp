// A key that names a secret must be declared tacit::secret.
#include "common.hpp"

#ifdef TACIT_EXPECT_OK
struct llm_key : tacit::secret<"llm.api_key", std::string_view> {};
#else
struct llm_key : tacit::attribute<"llm.api_key", std::string_view> {};
#endif

static_assert(sizeof(llm_key) > 0);
