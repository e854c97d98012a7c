// A label key that names content (a prompt) never compiles either.
#include <tacit/metrics.hpp>

#ifdef TACIT_EXPECT_OK
tacit::histogram<"llm_latency_seconds", "model"> latency;
#else
tacit::histogram<"llm_latency_seconds", "prompt"> latency;
#endif
