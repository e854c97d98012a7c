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

    /// Room for n bytes (a multiple of 8, at most capacity/2), or nullptr when full.
    std::byte* try_reserve(std::size_t n) noexcept {
        // Own index: only this thread writes it, so a relaxed load sees the latest value.
        std::uint64_t head = head_.load(std::memory_order_relaxed);
        std::size_t pos = head & mask_;
        std::size_t contiguous = capacity_ - pos;
        std::size_t need = contiguous < n ? contiguous + n : n;
        if (head + need - tail_cache_ > capacity_) {
            // Acquire pairs with the consumer's release: the bytes it freed are ours to reuse.
            tail_cache_ = tail_.load(std::memory_order_acquire);
            if (head + need - tail_cache_ > capacity_) return nullptr;
        }
        if (contiguous < n) {
            header pad{static_cast<std::uint32_t>(contiguous), skip};
            std::memcpy(buffer_.get() + pos, &pad, sizeof pad);
            pending_skip_ = contiguous;
            pos = 0;
        }
        return buffer_.get() + pos;
    }

    /// Bytes in use as the producer last saw them (over-estimates while the consumer catches up).
    std::size_t producer_fill() const noexcept {
        return static_cast<std::size_t>(head_.load(std::memory_order_relaxed) - tail_cache_);
    }

    /// Publishes the n bytes written into the last reservation.
    void commit(std::size_t n) noexcept {
        std::uint64_t head = head_.load(std::memory_order_relaxed) + pending_skip_ + n;
        pending_skip_ = 0;
        // Release: the record's bytes are visible before the index that covers them.
        head_.store(head, std::memory_order_release);
    }

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

    /// Bytes published and not yet consumed (approximate when called concurrently).
    std::size_t used() const noexcept {
        return static_cast<std::size_t>(head_.load(std::memory_order_acquire) - tail_.load(std::memory_order_acquire));
    }

private:
    static std::size_t round_up_pow2(std::size_t v) noexcept {
        std::size_t p = 1;
        while (p < v) p <<= 1;
        return p;
    }

    // Each index on its own line with the other side's cached copy, so the two threads never
    // write to the same cache line.
    alignas(cache_line) std::atomic<std::uint64_t> head_{0};
    std::uint64_t tail_cache_ = 0;     // producer's copy of tail_
    std::size_t pending_skip_ = 0;     // producer: padding written by the last reservation
    alignas(cache_line) std::atomic<std::uint64_t> tail_{0};
    alignas(cache_line) const std::size_t capacity_;
    const std::size_t mask_;
    std::unique_ptr<std::byte[]> buffer_;
};

static_assert(sizeof(spsc_ring::header) == 8, "A ring record header is two 32-bit words.");

}  // namespace tacit::inline TACIT_ABI::detail
