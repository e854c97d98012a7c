// The instrumented twin of plain.cpp: the same functions with tacit spans, attributes, an
// error, an event and TACIT_SPAN. Compiled with -O2 -DTACIT_DISABLE, its machine code must be
// identical to plain.cpp's (compare_codegen.py): compiled out means no code, not less code.
#include <tacit/tacit.hpp>

#include <cstdint>      // std::int64_t
#include <string_view>  // string attributes

namespace {
struct tool_name : tacit::attribute<"gen_ai.tool.name", std::string_view> {};
struct attempts : tacit::attribute<"crew.tool.attempts", std::int64_t> {};
struct tool_tags : tacit::attribute<"crew.tool.tags", tacit::list<std::string_view>> {};
struct goal : tacit::content<"crew.agent.goal", std::string_view> {};
struct tool_usage : tacit::span_kind<"tool_usage", tool_name, attempts, tool_tags> {};
struct agent_run : tacit::span_kind<"agent_execution", tacit::shares_content, goal, tacit::adhoc_keys> {};
struct retried : tacit::event_kind<"retry", attempts> {};
}  // namespace

int codegen_step(int);  // defined elsewhere: keeps the work from being folded away

int codegen_tool_call(int x, std::string_view name) {
    auto span = tacit::start<tool_usage>();
    span.set<tool_name>(name).set<attempts>(x);
    int r = codegen_step(x);
    if (r < 0) {
        span.event<retried>().set<attempts>(2);
        r = codegen_step(x + 1);
    }
    if (r < 0) span.error("timeout");
    else span.ok();
    return r;
}

int codegen_agent(int n, std::string_view objective) {
    TACIT_SPAN(agent_run);
    auto a = tacit::start<agent_run>();
    a.set<goal>(objective).set<"crew.agent.iterations">(n);
    int total = 0;
    for (int i = 0; i < n; ++i) {
        auto t = tacit::start<tool_usage>(a.context());
        std::string_view tags[] = {"search", "web"};
        t.set<tool_tags>(tags).set<attempts>(i);
        total += codegen_step(i);
        if (total > 100) {
            t.error("budget_exceeded");
            break;
        }
    }
    a.end();
    return total;
}
