#pragma once
// Declarations shared by the compile-fail cases; every one of them is valid on its own, so a
// case fails only because of the line it is about.
#include <tacit/span.hpp>  // the checks live in span.hpp, attribute.hpp and schema.hpp

#include <cstdint>      // std::int64_t
#include <string_view>  // string attributes

struct tool_name : tacit::attribute<"gen_ai.tool.name", std::string_view> {};
struct attempts : tacit::attribute<"crew.tool.attempts", std::int64_t> {};
struct cache_hit : tacit::attribute<"crew.tool.cache_hit", bool> {};
struct tool_tags : tacit::attribute<"crew.tool.tags", tacit::list<std::string_view>> {};
struct goal : tacit::content<"crew.agent.goal", std::string_view> {};
struct api_key : tacit::secret<"llm.api_key", std::string_view> {};

struct tool_usage : tacit::span_kind<"tool_usage", tool_name, attempts, cache_hit, tool_tags> {};
struct agent_run : tacit::span_kind<"agent_execution", tacit::shares_content, goal> {};
struct crew_run : tacit::span_kind<"crew_execution", tacit::adhoc_keys> {};
struct retried : tacit::event_kind<"retry", attempts> {};
