// A label key that names a secret never compiles: label values go out with every scrape.
#include <tacit/metrics.hpp>

#ifdef TACIT_EXPECT_OK
tacit::counter<"llm_calls_total", "model"> calls;
#else
tacit::counter<"llm_calls_total", "api_key"> calls;
#endif
