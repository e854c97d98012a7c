// "le" is Prometheus' bucket label; a histogram may not declare it.
#include <tacit/metrics.hpp>

#ifdef TACIT_EXPECT_OK
tacit::histogram<"step_duration_seconds", "step"> steps;
#else
tacit::histogram<"step_duration_seconds", "le"> steps;
#endif
