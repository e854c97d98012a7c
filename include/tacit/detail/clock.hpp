#pragma once
/// The span clock: the CPU's invariant time-stamp counter on x86-64 (two reads cost ~15
/// instructions, no system call), std::chrono::steady_clock elsewhere. The background thread
/// calibrates ticks against steady_clock and system_clock and converts to Unix nanoseconds.
#include <chrono>   // steady_clock, system_clock
#include <cstdint>  // ticks

#include "../config.hpp"

#if (defined(__x86_64__) || defined(_M_X64)) && !defined(TACIT_USE_STEADY_CLOCK)
#define TACIT_CLOCK_TSC 1
#if !defined(__GNUC__) && !defined(__clang__)
#include <intrin.h>  // __rdtsc (GCC and Clang have it built in: <x86intrin.h> declares every
                     // intrinsic there is and costs each translation unit about a second)
#endif
#else
#define TACIT_CLOCK_TSC 0
#endif

namespace tacit::inline TACIT_ABI::detail {

inline std::uint64_t steady_ns() noexcept {
    return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
        std::chrono::steady_clock::now().time_since_epoch()).count());
}

inline std::uint64_t system_ns() noexcept {
    return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
        std::chrono::system_clock::now().time_since_epoch()).count());
}

/// One read of the span clock.
inline std::uint64_t now_ticks() noexcept {
#if TACIT_CLOCK_TSC && (defined(__GNUC__) || defined(__clang__))
    return __builtin_ia32_rdtsc();  // what <x86intrin.h>'s __rdtsc() calls
#elif TACIT_CLOCK_TSC
    return __rdtsc();
#else
    return steady_ns();
#endif
}

/// Maps ticks to Unix nanoseconds: a reference point taken at start-up and a rate measured
/// over an ever longer interval, so the error shrinks as the process runs.
class tick_converter {
public:
    tick_converter() noexcept { reset(); }

    void reset() noexcept {
        tick0_ = now_ticks();
        steady0_ = steady_ns();
        unix0_ = system_ns();
#if TACIT_CLOCK_TSC
        ns_per_tick_ = 0;  // unknown until calibrate()
#else
        ns_per_tick_ = 1.0;
#endif
        set_scale();
    }

    /// Measures the tick rate over the time since reset(); call from the background thread.
    /// Needs about a millisecond since reset() for a usable first estimate.
    void calibrate() noexcept {
#if TACIT_CLOCK_TSC
        std::uint64_t t = now_ticks();
        std::uint64_t s = steady_ns();
        if (t > tick0_ && s > steady0_)
            ns_per_tick_ = static_cast<double>(s - steady0_) / static_cast<double>(t - tick0_);
#endif
        set_scale();
    }

    bool calibrated() const noexcept { return ns_per_tick_ > 0; }

    std::uint64_t to_unix_ns(std::uint64_t tick) const noexcept {
        // The offset from the reference point, scaled, added to the reference's Unix time as
        // an integer (a double alone has only ~256 ns of resolution at today's Unix time).
        if (TACIT_LIKELY(tick >= tick0_)) return unix0_ + to_ns(tick - tick0_);
        std::uint64_t back = to_ns(tick0_ - tick);  // a span started before the reference point
        return back < unix0_ ? unix0_ - back : 0;
    }

    /// Duration in nanoseconds of this many ticks: a 64 x 64-bit multiply by the rate in
    /// fixed point (40 fractional bits: under 0.01 µs off an hour) and a shift.
    std::uint64_t to_ns(std::uint64_t ticks) const noexcept {
#if defined(__SIZEOF_INT128__)
        __extension__ typedef unsigned __int128 u128;
        return static_cast<std::uint64_t>((static_cast<u128>(ticks) * scale_) >> scale_bits);
#else
        return static_cast<std::uint64_t>(static_cast<double>(ticks) * ns_per_tick_);
#endif
    }

private:
    static constexpr int scale_bits = 40;

    void set_scale() noexcept {
        // ns_per_tick_ is at most a few ns per tick, so the scale fits 64 bits with room.
        double s = ns_per_tick_ * static_cast<double>(std::uint64_t{1} << scale_bits);
        scale_ = s > 0 && s < 1.8e19 ? static_cast<std::uint64_t>(s + 0.5) : 0;
    }

    std::uint64_t scale_ = 0;
    std::uint64_t tick0_ = 0;
    std::uint64_t steady0_ = 0;
    std::uint64_t unix0_ = 0;
    double ns_per_tick_ = 0;
};

}  // namespace tacit::inline TACIT_ABI::detail
