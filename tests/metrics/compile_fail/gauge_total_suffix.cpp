// _total is for counters; a gauge named so would mislead every query.
#include <tacit/metrics.hpp>

#ifdef TACIT_EXPECT_OK
tacit::gauge<"crew_workers"> workers;
#else
tacit::gauge<"crew_workers_total"> workers;
#endif
