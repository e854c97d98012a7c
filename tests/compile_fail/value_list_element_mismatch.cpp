// A tacit::list<std::string_view> attribute takes a range of strings, not of numbers.
#include "common.hpp"

#include <array>  // list values

void f() {
#ifdef TACIT_EXPECT_OK
    auto s = tacit::start<tool_usage>();
    std::array<std::string_view, 2> tags{"search", "web"};
    s.set<tool_tags>(tags);
#else
    auto s = tacit::start<tool_usage>();
    std::array<int, 2> tags{1, 2};
    s.set<tool_tags>(tags);
#endif
}
