#pragma once
/// The state shared by the host threads and one pipeline's background thread: the per-thread
/// rings, the registry of rings, the switches, and the thread-local span context.
#include <atomic>              // switches, counters, reference counts
#include <chrono>              // seeding
#include <condition_variable>  // waking the background thread
#include <cstdint>             // ids
#include <cstring>             // std::memcpy
#include <mutex>               // the ring registry (slow path only)
#include <random>              // std::random_device for seeding
#include <thread>              // thread ids for seeding
#include <vector>              // the ring registry

#include "../config.hpp"
#include "../ids.hpp"
#include "record.hpp"
#include "ring.hpp"

namespace tacit::inline TACIT_ABI::detail {

struct pipeline_core;
struct thread_ring;
struct thread_state;

/// A span's place in its trace as a thread keeps it: the current span, or a span guard's
/// parent to restore at its end. Span ids are kept as the thread's sequence numbers and mixed
/// into W3C ids only where they leave the thread (see span_id_of); a trace started here keeps
/// its root span's sequence number until then (lazy_trace).
struct span_ref {
    std::uint64_t trace_hi;   // lazy_trace: the root span's sequence number
    std::uint64_t trace_lo;   // lazy_trace: zero
    std::uint64_t span;       // a sequence number; zero: none
    std::uint8_t trace_flags;
    bool lazy_trace;
};

/// The part of a span guard that does not depend on its kind: where its record is being
/// written. A span writes straight into its thread's ring (a reservation, published when it
/// ends); when a child span starts on the same thread and needs the ring, or the thread exits,
/// the record moves into the guard's own buffer and is copied into a ring at its end.
///
/// A span's record header holds what its end needs to give the thread back its parent as the
/// current span (its own sequence number and its parent's); only a span that did not start
/// as a child of the thread's current span (an explicit parent) or whose sampling decision
/// differs from its parent's keeps a copy of the thread's context in saved_.
struct span_storage {
    // rec_ and ring_ are apart so that a compiler does not pack their stores into one vector
    // store (two more instructions on the hot path).
    record_header* rec_;      // the record being written: in a ring or in buf_; null once ended or never started
    std::uint32_t used_;      // bytes of the body written (slots, then the tail)
    std::uint32_t last_entry_;  // offset of the last tail entry, while the record has entries
    thread_ring* ring_;       // the ring whose open reservation holds rec_, or null
    pipeline_core* core_;     // set only once the record is in buf_ (ring_ knows it before); null when not sampled
    span_ref saved_;          // with flag_restore_saved: the thread's current span before this one
    record_buffer buf_;       // deliberately uninitialised: only the used prefix is copied

    std::byte* body() noexcept { return reinterpret_cast<std::byte*>(rec_) + sizeof(record_header); }
    /// The kind's slots, 8-byte words at the start of the body (8-byte aligned in a ring and
    /// in buf_).
    std::uint64_t* slots() noexcept { return reinterpret_cast<std::uint64_t*>(body()); }

    /// The pipeline this span records into, or null when it is not sampled.
    pipeline_core* core() const noexcept;
    /// True when content attributes are written: the span records and its pipeline shares.
    bool sharing_content() const noexcept;

    /// Moves the record out of the ring into buf_ (its reservation is given up).
    void evict() noexcept;
};

/// One host thread's ring into one pipeline. Owned jointly by the thread (until it exits) and
/// the pipeline (until it is destroyed); the last of the two to let go deletes it.
struct thread_ring {
    thread_ring(pipeline_core* c, std::size_t bytes, std::uint32_t idx) : ring(bytes), core(c), thread_index(idx) {}

    spsc_ring ring;
    pipeline_core* core;
    std::uint32_t thread_index;
    span_storage* open = nullptr;            // producer only: the span whose record is the ring's reservation
    const thread_state* producer = nullptr;  // the thread that writes this ring
    // Written by the producer only; relaxed load + store is enough for a single writer, and the
    // background thread reads them relaxed for statistics. Records published are not counted
    // here (the hot path would pay for it) but by the background thread, as it takes them.
    alignas(cache_line) std::atomic<std::uint64_t> dropped_full{0};
    std::atomic<std::uint64_t> truncated{0};
    std::atomic<std::uint64_t> dropped_attributes{0};
    alignas(cache_line) std::atomic<std::uint64_t> consumed{0};  // written by the background thread only
    std::atomic<bool> producer_gone{false};
    std::atomic<int> owners{2};

    /// The producer gives up the ring's reservation: its span's record moves to the guard.
    void close_open() noexcept {
        if (open) {
            open->evict();
            open = nullptr;
        }
    }

    void release() noexcept {
        // acq_rel: the last owner must see every write the other made before deleting.
        if (owners.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
    }

    static void bump(std::atomic<std::uint64_t>& c, std::uint64_t n = 1) noexcept {
        c.store(c.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
    }
};

inline pipeline_core* span_storage::core() const noexcept { return ring_ ? ring_->core : core_; }

TACIT_COLD inline void span_storage::evict() noexcept {
    std::memcpy(&buf_, rec_, sizeof(record_header) + used_);
    rec_ = &buf_.h;
    core_ = ring_->core;
    ring_ = nullptr;
}

/// The run-time switch read from OTEL_SDK_DISABLED / TACIT_DISABLED / DO_NOT_TRACK: non-zero
/// means recording is off in this process. One relaxed load and a branch per span.
inline std::atomic<std::uint32_t> g_off{0};

/// g_off's relaxed load and test as a span starts. GCC loads an atomic into a register before
/// testing it; on x86-64 one compare with the memory operand is the same relaxed load (an
/// aligned 32-bit read) in one instruction less, a third of a span switched off.
inline bool switched_off() noexcept {
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
    static_assert(sizeof(g_off) == 4 && std::atomic<std::uint32_t>::is_always_lock_free);
    bool off;
    asm volatile("cmpl $0, %1" : "=@ccne"(off) : "m"(g_off));
    return off;
#else
    return g_off.load(std::memory_order_relaxed) != 0;
#endif
}

/// The optional default pipeline that tacit::start<K>() records into (none unless the user
/// installs one).
inline std::atomic<pipeline_core*> g_default{nullptr};

/// Unique, never reused, so a stale thread-local cache entry can never match a new pipeline.
inline std::atomic<std::uint64_t> g_next_uid{1};
inline std::atomic<std::uint32_t> g_next_thread{1};

struct thread_slot {
    std::uint64_t uid;
    thread_ring* ring;
};

inline constexpr int thread_slots = 4;

/// Everything a host thread keeps for tacit. Constant-initialised, so access needs no guard.
struct thread_state {
    span_ref current;         // the current span on this thread
    bool hooked;
    std::uint64_t seq;        // the next span's sequence number; zero until seeded on the thread's first span
    std::uint32_t index;
    thread_slot slots[thread_slots];
};

inline constinit thread_local thread_state t_state{};

/// Releases a thread's rings when it exits; the background thread drains what they hold.
struct thread_exit_hook {
    ~thread_exit_hook() {
        for (auto& s : t_state.slots) {
            if (s.ring) {
                s.ring->close_open();  // a span still open on this thread keeps its record
                s.ring->producer_gone.store(true, std::memory_order_release);
                s.ring->release();
                s.ring = nullptr;
                s.uid = 0;
            }
        }
    }
};

/// splitmix64's finalizer: a bijection of 64-bit words (so distinct inputs give distinct
/// outputs) that maps only zero to zero.
constexpr std::uint64_t mix64(std::uint64_t z) noexcept {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/// splitmix64: the next value of a Weyl sequence, mixed (for ids that are not spans').
inline std::uint64_t splitmix64(std::uint64_t& x) noexcept { return mix64(x += 0x9E3779B97F4A7C15ull); }

/// The W3C span id of a span's sequence number. Each thread counts from a random start that
/// leaves at least 2^63 spans before the count could reach zero, so an id is never zero and
/// never repeats on its thread; the mixing costs the host nothing, since it happens where ids
/// leave the thread (the background thread, span.context(), tacit::current_context()).
constexpr std::uint64_t span_id_of(std::uint64_t seq) noexcept { return mix64(seq); }

/// The trace id of a trace whose root span has this sequence number: its low half is the
/// root's span id, its high half that times an odd constant. Both are bijections of the
/// sequence number, so distinct roots get distinct trace ids, and neither half is ever zero;
/// it costs the background thread one mix and one multiply.
constexpr trace_id trace_of_root_id(std::uint64_t root_span_id) noexcept {
    return {root_span_id * 0x9E3779B97F4A7C15ull, root_span_id};
}
constexpr trace_id trace_of_root(std::uint64_t seq) noexcept { return trace_of_root_id(span_id_of(seq)); }

/// A kept trace as a W3C trace id.
constexpr trace_id trace_of(std::uint64_t hi, std::uint64_t lo, bool lazy) noexcept {
    return lazy ? trace_of_root(hi) : trace_id{hi, lo};
}

TACIT_COLD inline void seed_thread(thread_state& t) {
    std::random_device rd;
    std::uint64_t s = (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
    s ^= std::hash<std::thread::id>{}(std::this_thread::get_id()) * 0x9E3779B97F4A7C15ull;
    s ^= static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
    // In [1, 2^63]: at least 2^63 increments before the count wraps to zero.
    t.seq = (s >> 1) + 1;
    t.index = g_next_thread.fetch_add(1, std::memory_order_relaxed);
}

/// The part of a pipeline that host threads touch. Lives on the heap so a background thread
/// that outlives its pipeline's shutdown timeout can still finish safely.
struct pipeline_core {
    const std::uint64_t uid = g_next_uid.fetch_add(1, std::memory_order_relaxed);
    /// uid while recording is on, and while off (pipeline::set_enabled(false), a forked child)
    /// a value no slot holds (empty slots hold 0): a span's start compares it with its
    /// thread's slot, so one compare tests both "this thread's ring is at hand" and
    /// "recording is on".
    static constexpr std::uint64_t no_uid = ~std::uint64_t{0};
    /// It is also no_uid while the sampler is not the default parentbased_always_on, so the
    /// inlined start needs no sampling decision of its own: a root is recorded and a child
    /// follows its parent. Every other case takes the general start.
    std::atomic<std::uint64_t> recording_uid{uid};
    std::atomic<bool> enabled{true};
    std::atomic<bool> share_content{false};
    /// A span without a sampled parent to follow is recorded when the low 56 bits of its trace
    /// id are at least this (OpenTelemetry's TraceIdRatioBased rule; 0 = always, 2^56 = never).
    std::atomic<std::uint64_t> sample_threshold{0};
    /// parentbased_*: a span with a parent follows the parent's decision.
    std::atomic<bool> parent_based{true};

    void set_enabled(bool on) noexcept {
        enabled.store(on, std::memory_order_relaxed);
        refresh_recording_uid();
    }
    void set_sampler(std::uint64_t threshold, bool follow_parent) noexcept {
        sample_threshold.store(threshold, std::memory_order_relaxed);
        parent_based.store(follow_parent, std::memory_order_relaxed);
        refresh_recording_uid();
    }
    void refresh_recording_uid() noexcept {
        bool simple = enabled.load(std::memory_order_relaxed) && sample_threshold.load(std::memory_order_relaxed) == 0 &&
                      parent_based.load(std::memory_order_relaxed);
        recording_uid.store(simple ? uid : no_uid, std::memory_order_relaxed);
    }
    std::size_t ring_bytes = 256 * 1024;

    std::mutex registry_mutex;
    std::vector<thread_ring*> registry;           // guarded by registry_mutex
    std::atomic<std::uint64_t> registry_version{0};

    std::mutex wake_mutex;
    std::condition_variable wake;
    std::atomic<bool> worker_sleeping{false};

    /// Slow path: the calling thread's first span into this pipeline.
    TACIT_COLD thread_ring* attach_thread(thread_state& t) {
        if (t.seq == 0) seed_thread(t);
        if (!t.hooked) {
            t.hooked = true;
            static thread_local thread_exit_hook hook;
            (void)hook;
        }
        // A slot may hold a ring of a pipeline that is gone; uids are never reused, so it
        // simply never matches again and is replaced here (least recently attached first).
        for (int i = 0; i < thread_slots; ++i)
            if (t.slots[i].uid == uid) return t.slots[i].ring;
        auto* r = new thread_ring(this, ring_bytes, t.index);
        r->producer = &t;
        {
            std::lock_guard lock(registry_mutex);
            registry.push_back(r);
        }
        registry_version.fetch_add(1, std::memory_order_release);
        thread_slot old = t.slots[thread_slots - 1];
        for (int i = thread_slots - 1; i > 0; --i) t.slots[i] = t.slots[i - 1];
        t.slots[0] = {uid, r};
        if (old.ring) {
            old.ring->close_open();
            old.ring->producer_gone.store(true, std::memory_order_release);
            old.ring->release();
        }
        return r;
    }

    /// The ring for the calling thread: one compare on the hot path.
    thread_ring* ring_for(thread_state& t) {
        if (TACIT_LIKELY(t.slots[0].uid == uid)) return t.slots[0].ring;
        for (int i = 1; i < thread_slots; ++i)
            if (t.slots[i].uid == uid) return t.slots[i].ring;
        return attach_thread(t);
    }

    /// Wakes the background thread if it sleeps (a full or filling ring).
    void wake_if_sleeping() noexcept {
        if (worker_sleeping.load(std::memory_order_relaxed)) ring_the_doorbell();
    }

    TACIT_COLD void ring_the_doorbell() noexcept {
        worker_sleeping.store(false, std::memory_order_relaxed);
        wake.notify_one();
    }
};

inline bool span_storage::sharing_content() const noexcept {
    pipeline_core* c = core();
    return c != nullptr && c->share_content.load(std::memory_order_relaxed);
}

}  // namespace tacit::inline TACIT_ABI::detail
