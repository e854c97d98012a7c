// An attribute key is made of [A-Za-z0-9_.-] only.
#include "common.hpp"

#ifdef TACIT_EXPECT_OK
struct tool_label : tacit::attribute<"crew.tool_label", std::string_view> {};
#else
struct tool_label : tacit::attribute<"crew.tool label", std::string_view> {};
#endif

static_assert(sizeof(tool_label) > 0);
