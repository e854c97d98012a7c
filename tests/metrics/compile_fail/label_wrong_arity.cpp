// An update gives exactly one value per declared label key.
#include <tacit/metrics.hpp>

inline tacit::counter<"crew_jobs_total", "queue", "outcome"> jobs;

void f() {
#ifdef TACIT_EXPECT_OK
    jobs.add(1, "default", "ok");
#else
    jobs.add(1, "default");
#endif
}
