// A label key may appear only once.
#include <tacit/metrics.hpp>

#ifdef TACIT_EXPECT_OK
tacit::counter<"crew_jobs_total", "queue", "outcome"> jobs;
#else
tacit::counter<"crew_jobs_total", "queue", "queue"> jobs;
#endif
