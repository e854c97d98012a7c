#pragma once
#include <cstddef>      // std::size_t
#include <string_view>  // view()

#include "../config.hpp"

namespace tacit::inline TACIT_ABI::detail {

/// A string literal usable as a template argument: `tacit::attribute<"gen_ai.tool.name", ...>`.
template <std::size_t N>
struct fixed_string {
    char data[N]{};

    consteval fixed_string(const char (&s)[N]) {  // NOLINT: implicit by design, from a literal
        for (std::size_t i = 0; i < N; ++i) data[i] = s[i];
    }
    constexpr std::string_view view() const noexcept { return {data, N - 1}; }
    constexpr std::size_t size() const noexcept { return N - 1; }
};

}  // namespace tacit::inline TACIT_ABI::detail
