// A span kind name is made of [A-Za-z0-9_.-] only.
#include "common.hpp"

#ifdef TACIT_EXPECT_OK
struct tool_call : tacit::span_kind<"tool_call", tool_name> {};
#else
struct tool_call : tacit::span_kind<"tool call", tool_name> {};
#endif

static_assert(sizeof(tool_call) > 0);
