// span_loop N [off|empty]: records exactly N spans (start, four attributes, end) into a
// pipeline with a discarding exporter, shuts down and prints the pipeline's accounting and the
// heap allocations the recording thread made while recording spans N/2..N (after warm-up).
// With `off`, the same N spans run with recording switched off at run time (OTEL_SDK_DISABLED)
// and none may be recorded; `empty` runs the loop alone, the baseline the off figure is
// measured against. tools/callgrind_span.sh runs it under callgrind at N and 2N to count
// instructions per span.
#include <atomic>   // the allocation counter
#include <cstdio>   // std::printf
#include <cstdlib>  // std::malloc, std::strtoull
#include <memory>   // the exporter
#include <new>      // replaceable operator new
#include <string_view>  // arguments

#include "bench_schema.hpp"

namespace {
// Allocations made by this thread: only the recording thread's count is reported, so the
// background thread's batch buffers do not blur the hot path's figure.
constinit thread_local std::uint64_t t_allocations = 0;
std::atomic<std::uint64_t> g_allocations{0};

void* counted_alloc(std::size_t n) {
    ++t_allocations;
    g_allocations.fetch_add(1, std::memory_order_relaxed);
    if (void* p = std::malloc(n ? n : 1)) return p;
    throw std::bad_alloc();
}
// Out of line so that GCC's mismatched-new-delete check does not pair free() with new.
[[gnu::noinline]] void counted_free(void* p) noexcept { std::free(p); }
}  // namespace

void* operator new(std::size_t n) { return counted_alloc(n); }
void* operator new[](std::size_t n) { return counted_alloc(n); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
    try {
        return counted_alloc(n);
    } catch (...) {
        return nullptr;
    }
}
void* operator new[](std::size_t n, const std::nothrow_t& t) noexcept { return operator new(n, t); }
void* operator new(std::size_t n, std::align_val_t a) {
    ++t_allocations;
    g_allocations.fetch_add(1, std::memory_order_relaxed);
    std::size_t align = static_cast<std::size_t>(a);
    if (void* p = std::aligned_alloc(align, (n + align - 1) / align * align)) return p;
    throw std::bad_alloc();
}
void* operator new[](std::size_t n, std::align_val_t a) { return operator new(n, a); }
void operator delete(void* p, std::align_val_t) noexcept { counted_free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { counted_free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { counted_free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { counted_free(p); }
void operator delete(void* p) noexcept { counted_free(p); }
void operator delete[](void* p) noexcept { counted_free(p); }
void operator delete(void* p, std::size_t) noexcept { counted_free(p); }
void operator delete[](void* p, std::size_t) noexcept { counted_free(p); }

/// Spans from..to, or (Spans = false) the loop's own cost, kept by the compiler.
template <bool Spans>
[[gnu::noinline]] void loop(tacit::pipeline& p, unsigned long long from, unsigned long long to) {
    for (unsigned long long i = from; i < to; ++i) {
        if constexpr (Spans) record_tool_span(p, static_cast<std::int64_t>(i));
        else asm volatile("" ::: "memory");
    }
}

/// The measured loop: N spans in two halves, so the loop itself is one add, compare and branch
/// per span. Returns the thread's allocation count at N/2.
template <bool Spans>
std::uint64_t run(tacit::pipeline& p, unsigned long long n) {
    loop<Spans>(p, 0, n / 2);
    std::uint64_t allocs_half = t_allocations;
    loop<Spans>(p, n / 2, n);
    return allocs_half;
}

int main(int argc, char** argv) {
    char* end = nullptr;
    unsigned long long n = argc >= 2 ? std::strtoull(argv[1], &end, 10) : 0;
    std::string_view mode = argc == 3 ? argv[2] : "";
    bool off = mode == "off", empty = mode == "empty";
    if (argc < 2 || argc > 3 || (argc == 3 && !off && !empty) || *end != '\0' || n < 2 || n > 100000000ull) {
        std::fprintf(stderr,
                     "usage: span_loop N [off|empty]   (2 <= N <= 100000000 spans; off: switched off at run time;"
                     " empty: the loop without spans)\n");
        return 2;
    }
    tacit::pipeline_options o;
    o.watch_environment = false;
    // A ring that holds every span, so none is dropped for want of room whatever the schedule
    // (under valgrind the background thread runs rarely): a record of four attributes is
    // under 512 bytes.
    o.ring_bytes = std::size_t{1} << 16;
    while (o.ring_bytes < n * 512 && o.ring_bytes < (std::size_t{1} << 30)) o.ring_bytes <<= 1;
    tacit::pipeline p{o};
    p.add_exporter(std::make_unique<discard_exporter>());

    // What OTEL_SDK_DISABLED=true does, without the environment watcher undoing it.
    if (off) tacit::detail::g_off.store(1, std::memory_order_relaxed);
    std::uint64_t allocs_half = 0;
    if (empty) allocs_half = run<false>(p, n);
    else allocs_half = run<true>(p, n);
    std::uint64_t allocs_after = t_allocations - allocs_half;
    p.shutdown(std::chrono::seconds(30));
    auto s = p.stats();
    std::printf("spans=%llu recorded=%llu delivered=%llu dropped_ring_full=%llu dropped_shutdown=%llu\n", n,
                static_cast<unsigned long long>(s.recorded), static_cast<unsigned long long>(s.delivered),
                static_cast<unsigned long long>(s.dropped_ring_full), static_cast<unsigned long long>(s.dropped_shutdown));
    std::printf("producer_allocations_after_warmup=%llu over %llu spans (%.4f per span); process total=%llu\n",
                static_cast<unsigned long long>(allocs_after), n - n / 2,
                static_cast<double>(allocs_after) / static_cast<double>(n - n / 2),
                static_cast<unsigned long long>(g_allocations.load()));
    // The accounting must close: every span recorded was delivered (rings hold them all), or
    // none was recorded while switched off.
    if (off || empty) return s.recorded == 0 ? 0 : 1;
    return (s.recorded == n && s.delivered == n) ? 0 : 1;
}
