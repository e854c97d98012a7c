#pragma once
/// A bounded single-producer single-consumer ring of variable-length, 8-byte-aligned records.
/// The producer is one host thread; the consumer is the pipeline's background thread.
#include <algorithm>  // std::min
#include <atomic>   // head and tail indices
#include <cassert>  // debug checks
#include <cstddef>  // std::byte
#include <cstdint>  // indices
#include <cstring>  // std::memcpy
#include <memory>   // buffer ownership

#include "../config.hpp"

namespace tacit::inline TACIT_ABI::detail {

/// A fixed 64-byte line: std::hardware_destructive_interference_size makes GCC 12 warn.
inline constexpr std::size_t cache_line = 64;

class spsc_ring {
public:
    /// Every record starts with this; a record of kind `skip` pads to the end of the buffer.
    struct header {
        std::uint32_t size;  // bytes, including this header, a multiple of 8
        std::uint32_t kind;  // 0 = skip, anything else is the writer's
    };
    static constexpr std::uint32_t skip = 0;

    explicit spsc_ring(std::size_t capacity)
        : capacity_(round_up_pow2(capacity < 4096 ? 4096 : capacity)),
          mask_(capacity_ - 1),
          buffer_(new std::byte[capacity_]) {}

    spsc_ring(const spsc_ring&) = delete;
    spsc_ring& operator=(const spsc_ring&) = delete;

    std::size_t capacity() const noexcept { return capacity_; }

    // ---- producer side -------------------------------------------------------------------
    // The producer reads head_ relaxed (head()): only it writes head_.

    /// Room for n bytes (a multiple of 8, at most capacity/2), or nullptr when full. The room
    /// is the producer's until the next reservation: a reservation that is never committed
    /// costs nothing, and commit(m) may publish less than was reserved.
    std::byte* try_reserve(std::size_t n) noexcept {
        if (std::byte* p = try_reserve_fast(n); TACIT_LIKELY(p != nullptr)) return p;
        return reserve_slow(n);
    }

    /// The fast path alone: room below the limit the last slow reservation set (the end of this
    /// lap, the next quarter mark, the room the consumer had freed), or nullptr when
    /// try_reserve() has more to decide.
    std::byte* try_reserve_fast(std::size_t n) noexcept {
        std::uint64_t at = head();
        return fits_fast(at, n) ? room_at(at) : nullptr;
    }

    /// The same in two steps, for a caller that has more to test in between: with at = head(),
    /// fits_fast(at, n) says whether try_reserve_fast(n) would succeed, room_at(at) gives the room.
    std::uint64_t head() const noexcept { return head_.load(std::memory_order_relaxed); }
    bool fits_fast(std::uint64_t at, std::size_t n) const noexcept { return at + n <= fast_limit_; }
    std::byte* room_at(std::uint64_t at) noexcept { return buffer_.get() + (at & mask_); }

    /// Publishes the first n bytes of the last reservation.
    void commit(std::size_t n) noexcept {
        // Release: the record's bytes are visible before the index that covers them.
        head_.store(head() + n, std::memory_order_release);
    }

    /// True after a reservation found the ring more than a quarter full: time to wake the
    /// consumer if it sleeps.
    bool filling() const noexcept { return filling_; }


    // ---- consumer side -------------------------------------------------------------------

    /// Calls f(const std::byte* record, std::size_t size) for each published record, in order,
    /// stopping early when f returns false; frees what was consumed. Returns records consumed.
    template <class F>
    std::size_t consume(F&& f) {
        std::size_t n = 0;
        end_read(walk([&](const std::byte* p, std::size_t size) {
            if (!f(p, size)) return false;
            ++n;
            return true;
        }));
        return n;
    }

    /// What the consumer may read, for a caller that walks the records itself: the records
    /// in [tail, head) are published; end_read(t) frees those before t.
    struct unread {
        const std::byte* buffer;
        std::uint64_t mask;
        std::uint64_t tail;
        std::uint64_t head;
    };
    unread begin_read() const noexcept {
        // Acquire pairs with commit()'s release.
        return {buffer_.get(), mask_, tail_.load(std::memory_order_relaxed), head_.load(std::memory_order_acquire)};
    }
    void end_read(std::uint64_t tail) noexcept {
        // Release: we are done reading these bytes before the producer may overwrite them.
        tail_.store(tail, std::memory_order_release);
    }

    /// Records published and not yet consumed. Consumer side: call it where consume() could be.
    std::size_t count_published() const noexcept {
        std::size_t n = 0;
        walk([&](const std::byte*, std::size_t) { return ++n, true; });
        return n;
    }

    /// Bytes the consumer has taken since the ring was made (consumer side).
    std::uint64_t consumed_bytes() const noexcept { return tail_.load(std::memory_order_relaxed); }

    /// Bytes published and not yet consumed (approximate when called concurrently).
    std::size_t used() const noexcept {
        return static_cast<std::size_t>(head_.load(std::memory_order_acquire) - tail_.load(std::memory_order_acquire));
    }

private:
    /// Calls f(record, size) for each published record after the consumer's position, skip
    /// records left out, until f returns false; returns where it stopped. Frees nothing.
    template <class F>
    std::uint64_t walk(F&& f) const {
        // Locals: f's stores could be these members, for all the compiler knows.
        auto [buffer, mask, tail, head] = begin_read();
        while (tail != head) {
            const std::byte* p = buffer + (tail & mask);
            header h;
            std::memcpy(&h, p, sizeof h);
            if (h.kind != skip && !f(p, static_cast<std::size_t>(h.size))) break;
            tail += h.size;
        }
        return tail;
    }

    TACIT_NOINLINE std::byte* reserve_slow(std::size_t n) noexcept {
        // Acquire pairs with the consumer's release: the bytes it freed are ours to reuse.
        tail_cache_ = tail_.load(std::memory_order_acquire);
        std::uint64_t at = head();
        std::size_t pos = at & mask_;
        std::size_t contiguous = capacity_ - pos;
        std::size_t need = contiguous < n ? contiguous + n : n;
        if (at + need - tail_cache_ > capacity_) {
            filling_ = true;
            fast_limit_ = 0;  // full: every reservation asks again
            return nullptr;
        }
        if (contiguous < n) {
            // Pad to the end of the buffer, published now: the consumer skips it.
            header pad{static_cast<std::uint32_t>(contiguous), skip};
            std::memcpy(buffer_.get() + pos, &pad, sizeof pad);
            at += contiguous;
            head_.store(at, std::memory_order_release);
            pos = 0;
        }
        std::uint64_t lap_end = (at & ~static_cast<std::uint64_t>(mask_)) + capacity_;
        std::uint64_t quarter = tail_cache_ + capacity_ / 4;
        filling_ = at + n > quarter;
        // Below a quarter full, the fast path runs up to the quarter mark, where a slow
        // reservation tells the caller to ring the doorbell. Past it, each further quarter of
        // progress (within the room the consumer has freed) asks again, so a sleeping consumer
        // is woken while there is still room, without every reservation taking this path.
        std::uint64_t limit = filling_ ? std::min(at + capacity_ / 4, tail_cache_ + capacity_) : quarter;
        fast_limit_ = lap_end < limit ? lap_end : limit;
        return buffer_.get() + pos;
    }

    static std::size_t round_up_pow2(std::size_t v) noexcept {
        std::size_t p = 1;
        while (p < v) p <<= 1;
        return p;
    }

    // Each index on its own line with the other side's cached copy, so the two threads never
    // write to the same cache line.
    alignas(cache_line) std::atomic<std::uint64_t> head_{0};
    std::uint64_t fast_limit_ = 0;     // producer: reservations ending below this need no check
    std::uint64_t tail_cache_ = 0;     // producer's copy of tail_
    bool filling_ = false;             // producer: the last slow reservation found the ring filling
    alignas(cache_line) std::atomic<std::uint64_t> tail_{0};
    alignas(cache_line) const std::size_t capacity_;
    const std::size_t mask_;
    std::unique_ptr<std::byte[]> buffer_;
};

static_assert(sizeof(spsc_ring::header) == 8, "A ring record header is two 32-bit words.");

}  // namespace tacit::inline TACIT_ABI::detail
