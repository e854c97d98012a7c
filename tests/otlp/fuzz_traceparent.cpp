// libFuzzer target: traceparent and tracestate parsing must never crash, and what they
// accept must survive a round trip unchanged.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "tacit/trace_context.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view in(reinterpret_cast<const char*>(data), size);

    if (auto ctx = tacit::extract_traceparent(in)) {
        if (!ctx->valid() || !ctx->remote) std::abort();
        const std::string out = tacit::inject_traceparent(*ctx);
        auto again = tacit::extract_traceparent(out);
        if (!again || again->trace != ctx->trace || again->span != ctx->span || again->flags != ctx->flags) std::abort();
        // A version-00 header without surrounding whitespace comes back byte for byte.
        if (in.size() == tacit::traceparent_size && in.starts_with("00") && out != in) std::abort();
    }

    if (auto ts = tacit::trace_state::parse(in)) {
        if (ts->size() > tacit::trace_state::max_members) std::abort();
        const std::string h = ts->header();
        auto again = tacit::trace_state::parse(h);
        if (!again || !(*again == *ts) || again->header() != h) std::abort();
        for (const auto& [k, v] : ts->members())
            if (!tacit::trace_state::valid_key(k) || !tacit::trace_state::valid_value(v)) std::abort();
    }
    return 0;
}
