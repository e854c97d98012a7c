// A counter's name must end in _total.
#include <tacit/metrics.hpp>

#ifdef TACIT_EXPECT_OK
tacit::counter<"crew_jobs_total", "queue"> jobs;
#else
tacit::counter<"crew_jobs", "queue"> jobs;
#endif
