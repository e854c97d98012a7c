// A span kind takes only the attributes it lists.
#include "common.hpp"

struct model_name : tacit::attribute<"gen_ai.request.model", std::string_view> {};
struct llm_call : tacit::span_kind<"llm_call", model_name> {};

void f() {
#ifdef TACIT_EXPECT_OK
    auto s = tacit::start<llm_call>();
    s.set<model_name>("gpt-4o");
#else
    auto s = tacit::start<tool_usage>();
    s.set<model_name>("gpt-4o");
#endif
}
