// Metric names follow Prometheus' rule; a dash or a dot is not allowed.
#include <tacit/metrics.hpp>

#ifdef TACIT_EXPECT_OK
tacit::gauge<"crew_queue_depth"> depth;
#else
tacit::gauge<"crew.queue-depth"> depth;
#endif
