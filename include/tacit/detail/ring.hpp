#pragma once
/// A bounded single-producer single-consumer ring of variable-length, 8-byte-aligned records.
/// The producer is one host thread; the consumer is the pipeline's background thread.
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

    /// Room for n bytes (a multiple of 8, at most capacity/2), or nullptr when full. The room
    /// is the producer's until the next reservation: a reservation that is never committed
    /// costs nothing, and commit(m) may publish less than was reserved.
    std::byte* try_reserve(std::size_t n) noexcept {
        if (std::byte* p = try_reserve_fast(n); TACIT_LIKELY(p != nullptr)) return p;
        return reserve_slow(n);
    }

    /// The fast path alone: room below the end of this lap and a quarter of the ring past the
    /// consumer's last known position, or nullptr when try_reserve() has more to decide.
    std::byte* try_reserve_fast(std::size_t n) noexcept {
        return head_local_ + n <= fast_limit_ ? buffer_.get() + (head_local_ & mask_) : nullptr;
    }

    /// Publishes the first n bytes of the last reservation.
    void commit(std::size_t n) noexcept {
        head_local_ += n;
        // Release: the record's bytes are visible before the index that covers them.
        head_.store(head_local_, std::memory_order_release);
    }

    /// True after a reservation found the ring more than a quarter full: time to wake the
    /// consumer if it sleeps.
    bool filling() const noexcept { return filling_; }


    // ---- consumer side -------------------------------------------------------------------

    /// Calls f(const std::byte* record, std::size_t size) for each published record, in order,
    /// stopping early when f returns false; frees what was consumed. Returns records consumed.
    template <class F>
    std::size_t consume(F&& f) {
        // Acquire pairs with commit()'s release.
        std::uint64_t head = head_.load(std::memory_order_acquire);
        std::uint64_t tail = tail_.load(std::memory_order_relaxed);
        std::size_t n = 0;
        while (tail != head) {
            const std::byte* p = buffer_.get() + (tail & mask_);
            header h;
            std::memcpy(&h, p, sizeof h);
            if (h.kind != skip) {
                if (!f(p, static_cast<std::size_t>(h.size))) break;
                ++n;
            }
            tail += h.size;
        }
        // Release: we are done reading these bytes before the producer may overwrite them.
        tail_.store(tail, std::memory_order_release);
        return n;
    }

    /// Hands out up to max_records published records as contiguous runs of whole records:
    /// sink(const std::byte* run, std::size_t bytes, std::size_t records), at most twice per
    /// lap of the buffer. Frees what was handed out; returns the records.
    template <class F>
    std::size_t consume_runs(std::size_t max_records, F&& sink) {
        // Acquire pairs with commit()'s release.
        std::uint64_t head = head_.load(std::memory_order_acquire);
        std::uint64_t tail = tail_.load(std::memory_order_relaxed);
        std::uint64_t start = tail;
        std::size_t n = 0, in_run = 0;
        auto flush = [&](std::uint64_t to) {
            if (in_run) sink(buffer_.get() + (start & mask_), static_cast<std::size_t>(to - start), in_run);
            in_run = 0;
        };
        while (tail != head && n < max_records) {
            header h;
            std::memcpy(&h, buffer_.get() + (tail & mask_), sizeof h);
            if (h.kind == skip) {
                flush(tail);
                tail += h.size;
                start = tail;
                continue;
            }
            tail += h.size;
            ++n;
            ++in_run;
            if ((tail & mask_) == 0) {  // the run ends with the buffer
                flush(tail);
                start = tail;
            }
        }
        flush(tail);
        // Release: we are done reading these bytes before the producer may overwrite them.
        tail_.store(tail, std::memory_order_release);
        return n;
    }

    /// Bytes published and not yet consumed (approximate when called concurrently).
    std::size_t used() const noexcept {
        return static_cast<std::size_t>(head_.load(std::memory_order_acquire) - tail_.load(std::memory_order_acquire));
    }

private:
    TACIT_NOINLINE std::byte* reserve_slow(std::size_t n) noexcept {
        // Acquire pairs with the consumer's release: the bytes it freed are ours to reuse.
        tail_cache_ = tail_.load(std::memory_order_acquire);
        std::size_t pos = head_local_ & mask_;
        std::size_t contiguous = capacity_ - pos;
        std::size_t need = contiguous < n ? contiguous + n : n;
        if (head_local_ + need - tail_cache_ > capacity_) {
            filling_ = true;
            fast_limit_ = 0;  // full: every reservation asks again
            return nullptr;
        }
        if (contiguous < n) {
            // Pad to the end of the buffer; the pad is published with the next commit.
            header pad{static_cast<std::uint32_t>(contiguous), skip};
            std::memcpy(buffer_.get() + pos, &pad, sizeof pad);
            head_local_ += contiguous;
            pos = 0;
        }
        std::uint64_t lap_end = (head_local_ & ~static_cast<std::uint64_t>(mask_)) + capacity_;
        std::uint64_t quarter = tail_cache_ + capacity_ / 4;
        filling_ = head_local_ + n > quarter;
        fast_limit_ = filling_ ? 0 : (lap_end < quarter ? lap_end : quarter);
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
    std::uint64_t head_local_ = 0;     // producer: head_ plus a pad written by the last reservation
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
