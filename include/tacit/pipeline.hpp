#pragma once
/// The pipeline: host threads' rings, one background thread, and the exporters it feeds.
///
///     tacit::pipeline p{tacit::pipeline_options::from_env()};
///     p.add_exporter(std::make_unique<tacit::console_exporter>());
///     {
///         auto s = tacit::start<tool_usage>(p);
///         s.set<tool_name>("web_search");
///     }
///     p.shutdown();   // or let the destructor do it, bounded by shutdown_timeout
#include <algorithm>           // std::min
#include <atomic>              // flags
#include <chrono>              // deadlines
#include <condition_variable>  // waiting for flushes
#include <cstdint>             // counters
#include <exception>           // containing exporter failures
#include <cstdlib>             // std::atexit
#include <memory>              // shared worker state
#include <new>                 // placement new after fork
#include <mutex>               // configuration (cold path only)
#include <string>              // diagnostics
#include <thread>              // the background thread
#include <utility>             // std::forward
#include <typeinfo>            // exporter exception types
#include <vector>              // exporters, rings

#include <pthread.h>  // pthread_atfork: a forked child must not inherit a half-held lock
#include <signal.h>   // opt-in SIGTERM handling
#include <time.h>     // nanosleep, async-signal-safe
#if defined(__linux__)
#include <sys/prctl.h>  // PR_SET_TIMERSLACK for the background thread's naps
#endif

#include "config.hpp"
#include "detail/clock.hpp"
#include "detail/core.hpp"
#include "detail/decoder.hpp"
#include "exporter.hpp"
#include "settings.hpp"
#include "span.hpp"

namespace tacit::inline TACIT_ABI {

#if TACIT_ENABLED

namespace detail {

/// Everything the background thread owns; shared with the pipeline so that a thread stuck in
/// an exporter past the shutdown timeout can be left behind without dangling.
struct worker_state {
    explicit worker_state(pipeline_options o) : options(std::move(o)) {
        core.ring_bytes = options.effective_ring_bytes();
        core.share_content.store(options.share_content, std::memory_order_relaxed);
        apply_sampler();
        resource_attrs_storage.clear();
        resource = resource_view{options.service_name, options.service_version, {}};
    }

    ~worker_state() {
        std::lock_guard lock(core.registry_mutex);
        for (auto* r : core.registry) r->release();
        core.registry.clear();
    }

    void apply_sampler() {
        using enum sampler_kind;
        const auto& s = options.sampler;
        std::uint64_t t = 0;
        if (s.kind == always_off || s.kind == parentbased_always_off) t = sampling_space;
        else if (s.kind == traceidratio || s.kind == parentbased_traceidratio) t = s.threshold;
        core.set_sampler(t, s.kind == parentbased_always_on || s.kind == parentbased_always_off ||
                                s.kind == parentbased_traceidratio);
    }

    pipeline_options options;
    pipeline_core core;
    std::vector<std::unique_ptr<exporter>> exporters;   // touched by the worker only once started
    std::vector<exporter_stats> exporter_counts;
    std::vector<attribute_view> resource_attrs_storage;
    resource_view resource;

    // Host <-> worker coordination, under core.wake_mutex.
    std::vector<std::unique_ptr<exporter>> incoming;   // exporters not yet taken by the worker
    std::uint64_t flush_requested = 0;
    std::uint64_t flush_done = 0;
    bool stop = false;
    bool finished = false;
    std::condition_variable done;
    /// Set in a child after fork(): the background thread does not exist there.
    std::atomic<bool> forked{false};
    /// SIGTERM handling: the handler asks, the background thread flushes and answers.
    std::atomic<std::uint64_t> signal_flush_requested{0};
    std::atomic<std::uint64_t> signal_flush_done{0};

    // Statistics, published by the worker under stats_mutex for stats().
    std::mutex stats_mutex;
    bool abandoned = false;  // under stats_mutex
    pipeline_stats published{};
    std::vector<exporter_stats> published_exporters;

    // Worker-only.
    pipeline_stats stats{};
    std::vector<thread_ring*> rings;
    std::uint64_t seen_version = ~std::uint64_t{0};
    batch_decoder decoder;
    tick_converter clock;
    std::uint64_t delivered = 0, batches = 0, exceptions = 0;
    // Counters of rings already released; atomic because an abandoned shutdown reads them.
    std::atomic<std::uint64_t> retired_consumed{0}, retired_dropped{0};
    /// Held by the background thread while it takes records out of the rings (never across
    /// an export), so a shutdown that gives up on it can count what the rings still hold.
    std::mutex consume_mutex;

    void diag(const std::string& m) {
        if (options.on_diagnostic) {
            try {
                options.on_diagnostic(m);
            } catch (...) {
            }
        }
    }

    void refresh_rings() {
        std::uint64_t v = core.registry_version.load(std::memory_order_acquire);
        if (v == seen_version) return;
        std::lock_guard lock(core.registry_mutex);
        seen_version = v;
        rings = core.registry;
    }

    /// Removes rings whose thread has exited and that are now empty.
    void retire_rings() {
        bool any = false;
        for (auto* r : rings)
            if (r->producer_gone.load(std::memory_order_acquire) && r->ring.used() == 0) any = true;
        if (!any) return;
        std::lock_guard lock(core.registry_mutex);
        auto& reg = core.registry;
        for (auto it = reg.begin(); it != reg.end();) {
            thread_ring* r = *it;
            if (r->producer_gone.load(std::memory_order_acquire) && r->ring.used() == 0) {
                retired_consumed.fetch_add(r->consumed.load(std::memory_order_relaxed), std::memory_order_relaxed);
                retired_dropped.fetch_add(r->dropped_full.load(std::memory_order_relaxed), std::memory_order_relaxed);
                r->release();
                it = reg.erase(it);
            } else {
                ++it;
            }
        }
        core.registry_version.fetch_add(1, std::memory_order_release);
        seen_version = core.registry_version.load(std::memory_order_acquire);
        rings = reg;
    }

    void update_counters() {
        // Records are counted as the background thread takes them (the host's hot path keeps no
        // count), so between cycles `recorded` leaves out what the rings still hold.
        std::uint64_t taken = retired_consumed.load(std::memory_order_relaxed);
        std::uint64_t dropped = retired_dropped.load(std::memory_order_relaxed), used = 0, cap = 0;
        std::uint32_t live = 0;
        for (auto* r : rings) {
            taken += r->consumed.load(std::memory_order_relaxed);
            dropped += r->dropped_full.load(std::memory_order_relaxed);
            used += r->ring.used();
            cap += r->ring.capacity();
            if (!r->producer_gone.load(std::memory_order_relaxed)) ++live;
        }
        stats.recorded = taken + dropped;
        stats.dropped_ring_full = dropped;
        stats.dropped_disabled = disabled_dropped;
        stats.export_failed = 0;
        stats.export_rejected = 0;
        for (const auto& c : exporter_counts) {
            stats.export_failed += c.failed;
            stats.export_rejected += c.rejected;
        }
        stats.delivered = delivered;
        stats.batches = batches;
        stats.exporter_exceptions = exceptions;
        stats.truncated_strings = decoder.truncated;
        stats.dropped_attributes = decoder.dropped_attributes;
        stats.threads = live;
        stats.ring_bytes_used = used;
        stats.ring_bytes_capacity = cap;
    }

    void publish() {
        std::lock_guard lock(stats_mutex);
        if (abandoned) return;  // the host wrote the final accounting when it gave up waiting
        published = stats;
        published_exporters = exporter_counts;
    }

    /// Exports the batch the decoder holds to every exporter, and accounts for every span.
    void export_pending() {
        if (decoder.empty()) return;
        std::span<const span_view> spans = decoder.spans();
        update_counters();
        stats.delivered = delivered + spans.size();
        export_batch batch{spans, stats, resource};
        auto t0 = steady_ns();
        for (std::size_t i = 0; i < exporters.size(); ++i) {
            bool ok = false;
            std::uint64_t rejected = 0;
            try {
                export_result r = exporters[i]->export_spans(batch);
                ok = r.ok();
                rejected = std::min<std::uint64_t>(r.rejected, spans.size());
            } catch (const std::exception& e) {
                ++exceptions;
                diag(std::string("tacit: an exporter threw ") + typeid(e).name() + "; its batch is counted as failed");
            } catch (...) {
                ++exceptions;
                diag("tacit: an exporter threw; its batch is counted as failed");
            }
            auto& c = exporter_counts[i];
            if (ok) {
                c.exported += spans.size() - rejected;
                c.rejected += rejected;
            } else {
                c.failed += spans.size();
            }
        }
        stats.last_export_ns = steady_ns() - t0;
        delivered += spans.size();
        ++batches;
        decoder.clear();
    }

    /// Decodes what every ring holds into batches, record by record where they lie, and
    /// exports each batch once it is full (max_export_batch_size spans, or batch_bytes).
    /// Returns the bytes taken.
    std::size_t drain(bool discard) {
        std::size_t moved = 0;
        const std::size_t max_batch = options.max_export_batch_size;
        if (!discard && !clock.calibrated()) clock.calibrate();
        for (auto* r : rings) {
            for (;;) {
                bool full = false;
                std::uint64_t before = r->ring.consumed_bytes();
                {
                    std::lock_guard lock(consume_mutex);
                    std::size_t n;
                    if (discard) {  // switched off: counted, not exported
                        n = r->ring.consume([](const std::byte*, std::size_t) { return true; });
                        disabled_dropped += n;
                    } else {
                        n = decoder.take(r->ring, r->thread_index, clock, max_batch, full);
                    }
                    detail::thread_ring::bump(r->consumed, n);
                }
                moved += static_cast<std::size_t>(r->ring.consumed_bytes() - before);
                if (!full) break;
                export_pending();  // outside the lock: an export may take long
            }
        }
        return moved;
    }

    std::uint64_t disabled_dropped = 0;

    /// After a drain that moved at least busy_bytes (about 64 records: a producer above about a
    /// million spans a second), the background thread drains again at once as long as drains
    /// find a quarter of that, naps busy_nap when one finds less, and after busy_poll without a large
    /// drain waits for the doorbell or the schedule again.
    static constexpr std::size_t busy_bytes = 64 * 128;
    static constexpr auto busy_poll = std::chrono::milliseconds(2);
    static constexpr auto busy_nap = std::chrono::microseconds(10);

    void call_exporters(bool shutdown, std::chrono::steady_clock::time_point deadline) {
        for (auto& e : exporters) {
            auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
            if (left.count() < 0) left = std::chrono::milliseconds(0);
            try {
                if (shutdown) e->shutdown(left);
                else e->force_flush(left);
            } catch (...) {
                ++exceptions;
                diag("tacit: an exporter threw from force_flush/shutdown");
            }
        }
    }

    void tick() {
        update_counters();
        for (auto& e : exporters) {
            try {
                e->on_tick(stats);
            } catch (...) {
                ++exceptions;
            }
        }
        publish();
    }

    void run() {
        using clock_t = std::chrono::steady_clock;
#if defined(__linux__)
        // Linux lets a nap overrun by the thread's timer slack, 50 µs by default: longer than a
        // fast producer takes to fill a ring. This thread only: the host's are not touched.
        prctl(PR_SET_TIMERSLACK, 1000UL, 0UL, 0UL, 0UL);
#endif
        clock.reset();
        auto next_export = clock_t::now() + options.schedule_delay;
        auto next_env = clock_t::now();
        auto next_tick = clock_t::now();
        auto next_calibration = clock_t::now() + std::chrono::milliseconds(1);
        auto last_busy = clock_t::time_point{};
        for (;;) {
            std::uint64_t flush_seq;
            bool stopping;
            {
                std::lock_guard lock(core.wake_mutex);
                flush_seq = flush_requested;
                stopping = stop;
                for (auto& e : incoming) {
                    exporters.push_back(std::move(e));
                    exporter_counts.emplace_back();
                }
                incoming.clear();
            }
            auto now = clock_t::now();
            if (now >= next_calibration) {
                clock.calibrate();
                next_calibration = now + std::chrono::seconds(1);
            }
            // Also on every flush request: force_flush() returns with the switches current.
            if (options.watch_environment && (now >= next_env || flush_seq != flush_done)) {
                g_off.store(env_disabled(options.on_diagnostic) ? 1u : 0u, std::memory_order_relaxed);
                next_env = now + std::chrono::milliseconds(250);
            }
            refresh_rings();
            bool off = g_off.load(std::memory_order_relaxed) != 0;
            // Read before draining: a request covers every span recorded before it was made.
            std::uint64_t signal_seq = signal_flush_requested.load(std::memory_order_acquire);
            std::size_t moved = drain(off);
            bool flushing = flush_seq != flush_done || signal_seq != signal_flush_done.load(std::memory_order_relaxed);
            if (flushing || stopping || now >= next_export) {
                export_pending();
                next_export = now + options.schedule_delay;
            }
            if (flushing) {
                call_exporters(false, clock_t::now() + options.export_timeout);
                retire_rings();
                tick();
                signal_flush_done.store(signal_seq, std::memory_order_release);
                std::lock_guard lock(core.wake_mutex);
                flush_done = flush_seq;
                done.notify_all();
            }
            if (now >= next_tick) {
                retire_rings();
                tick();
                next_tick = now + std::chrono::seconds(1);
            }
            if (stopping) {
                drain(off);
                export_pending();
                call_exporters(true, clock_t::now() + options.shutdown_timeout);
                retire_rings();
                tick();
                std::lock_guard lock(core.wake_mutex);
                finished = true;
                done.notify_all();
                return;
            }
            if (moved >= busy_bytes) last_busy = now;
            bool busy = now - last_busy < busy_poll;
            if (busy && moved >= busy_bytes / 4) {
                // Spans are arriving fast and this drain found a good few: drain again at
                // once. A producer flat out fills the default ring in about 40 µs.
            } else if (busy) {
                // Recently fast: a short nap keeps the rings drained without waiting for the
                // doorbell, whose wake-up can take longer than such a producer needs to fill a
                // ring. At lower rates the doorbell's slack is ample and the thread sleeps.
                std::this_thread::sleep_for(busy_nap);
            } else if (moved == 0) {
                std::unique_lock lock(core.wake_mutex);
                core.worker_sleeping.store(true, std::memory_order_relaxed);
                auto wait = std::min<clock_t::duration>(std::chrono::milliseconds(50), next_export - clock_t::now());
                if (wait > clock_t::duration::zero())
                    core.wake.wait_for(lock, wait, [&] { return stop || flush_requested != flush_done || !core.worker_sleeping.load(std::memory_order_relaxed); });
                core.worker_sleeping.store(false, std::memory_order_relaxed);
            }
        }
    }
};


/// Every live pipeline, for the fork and exit hooks (cold paths only).
struct live_pipelines {
    std::mutex mutex;
    std::vector<worker_state*> all;
    struct sigaction previous_sigterm {};
    std::atomic<worker_state*> sigterm_target{nullptr};
    std::chrono::milliseconds sigterm_bound{1000};

    static live_pipelines& get() {
        static live_pipelines* instance = [] {
            auto* p = new live_pipelines;  // never destroyed: the exit hook may run after statics
            ::pthread_atfork(&before_fork, &after_fork_parent, &after_fork_child);
            std::atexit(&at_exit);
            return p;
        }();
        return *instance;
    }

    // fork(): hold every lock tacit has, so the child's copies are consistent and free.
    static void before_fork() {
        auto& l = get();
        l.mutex.lock();
        for (auto* w : l.all) {
            w->core.wake_mutex.lock();
            w->core.registry_mutex.lock();
            w->stats_mutex.lock();
        }
    }
    static void release_all(live_pipelines& l) {
        for (auto* w : l.all) {
            w->stats_mutex.unlock();
            w->core.registry_mutex.unlock();
            w->core.wake_mutex.unlock();
        }
        l.mutex.unlock();
    }
    static void after_fork_parent() { release_all(get()); }
    // In the child only the forking thread exists: inherited pipelines are switched off and
    // their methods return at once; a pipeline created in the child works normally.
    static void after_fork_child() {
        // The child's spans count from a fresh random start: ids must not repeat the parent's.
        detail::t_state.seq = 0;
        auto& l = get();
        for (auto* w : l.all) {
            w->forked.store(true, std::memory_order_relaxed);
            w->core.set_enabled(false);
        }
        release_all(l);
    }

    // exit() or a return from main with a pipeline still alive (say, on main's stack): flush
    // what was recorded, each pipeline bounded by its shutdown timeout.
    static void at_exit() {
        auto& l = get();
        std::vector<worker_state*> all;
        {
            std::lock_guard lock(l.mutex);
            all = l.all;
        }
        for (auto* w : all) {
            if (w->forked.load(std::memory_order_relaxed)) continue;
            std::unique_lock lock(w->core.wake_mutex);
            if (w->finished) continue;
            std::uint64_t seq = ++w->flush_requested;
            w->core.wake.notify_one();
            w->done.wait_for(lock, w->options.shutdown_timeout, [&] { return w->flush_done >= seq || w->finished; });
        }
    }

    static void on_sigterm(int sig, siginfo_t* info, void* context) {
        auto& l = get();
        if (worker_state* w = l.sigterm_target.load(std::memory_order_acquire)) {
            // Only async-signal-safe steps here: atomics and nanosleep. The background thread
            // notices the request within its 50 ms poll and flushes.
            std::uint64_t seq = w->signal_flush_requested.load(std::memory_order_relaxed) + 1;
            w->signal_flush_requested.store(seq, std::memory_order_release);
            long waited_ms = 0;
            while (w->signal_flush_done.load(std::memory_order_acquire) < seq && waited_ms < l.sigterm_bound.count()) {
                timespec ts{0, 1'000'000};
                ::nanosleep(&ts, nullptr);
                ++waited_ms;
            }
        }
        // Chain to whatever was there before.
        const struct sigaction& prev = l.previous_sigterm;
        if (prev.sa_flags & SA_SIGINFO) {
            if (prev.sa_sigaction) prev.sa_sigaction(sig, info, context);
        } else if (prev.sa_handler == SIG_IGN) {
            return;
        } else if (prev.sa_handler == SIG_DFL) {
            ::sigaction(SIGTERM, &prev, nullptr);
            ::raise(SIGTERM);  // delivered with the default action when this handler returns
        } else {
            prev.sa_handler(sig);
        }
    }
};

}  // namespace detail

/// Owns the rings of the threads that record into it, a background thread, and exporters.
/// Not copyable or movable: spans refer to it.
class pipeline {
public:
    explicit pipeline(pipeline_options options = pipeline_options::from_env())
        : state_(std::make_shared<detail::worker_state>(std::move(options))) {
        detail::g_off.store(detail::env_disabled(state_->options.on_diagnostic) ? 1u : 0u, std::memory_order_relaxed);
        if (state_->options.install_as_default) install_as_default();
        auto& live = detail::live_pipelines::get();
        std::lock_guard lock(live.mutex);
        live.all.push_back(state_.get());
    }

    pipeline(const pipeline&) = delete;
    pipeline& operator=(const pipeline&) = delete;

    /// Flushes and stops within the shutdown timeout (default 2 s), never longer.
    ~pipeline() {
        shutdown(state_->options.shutdown_timeout);
        auto& live = detail::live_pipelines::get();
        std::lock_guard lock(live.mutex);
        std::erase(live.all, state_.get());
        detail::worker_state* me = state_.get();
        live.sigterm_target.compare_exchange_strong(me, nullptr);
    }

    /// Opt-in: on SIGTERM, flush this pipeline (waiting at most `bound`) and then hand the
    /// signal to the handler that was installed before (the default one terminates).
    /// Returns false if a handler could not be installed.
    bool handle_sigterm(std::chrono::milliseconds bound = std::chrono::milliseconds(1000)) {
        auto& live = detail::live_pipelines::get();
        live.sigterm_bound = bound;
        bool first = live.sigterm_target.exchange(state_.get()) == nullptr;
        if (!first) return true;
        struct sigaction sa {};
        sa.sa_sigaction = &detail::live_pipelines::on_sigterm;
        sa.sa_flags = SA_SIGINFO | SA_RESTART;
        sigemptyset(&sa.sa_mask);
        return ::sigaction(SIGTERM, &sa, &live.previous_sigterm) == 0;
    }

    /// Adds an exporter; it receives the spans of the next batch on.
    pipeline& add_exporter(std::unique_ptr<exporter> e) {
        {
            std::lock_guard lock(state_->core.wake_mutex);
            state_->incoming.push_back(std::move(e));
        }
        ensure_started();
        return *this;
    }

    /// Constructs an exporter in place and returns it; it lives as long as the pipeline.
    template <class E, class... Args>
    E& emplace_exporter(Args&&... args) {
        auto e = std::make_unique<E>(std::forward<Args>(args)...);
        E& ref = *e;
        add_exporter(std::move(e));
        return ref;
    }

    /// Makes tacit::start<K>() (no pipeline argument) record into this pipeline.
    void install_as_default() noexcept { detail::g_default.store(&state_->core, std::memory_order_release); }

    /// Switches recording of content attributes (CrewAI's share_crew) on or off.
    void share_content(bool on) noexcept { state_->core.share_content.store(on, std::memory_order_relaxed); }
    bool sharing_content() const noexcept { return state_->core.share_content.load(std::memory_order_relaxed); }

    /// Switches this pipeline on or off at run time (one relaxed load per span).
    void set_enabled(bool on) noexcept { state_->core.set_enabled(on); }

    /// Exports everything recorded before the call; false if the timeout ran out first.
    bool force_flush(std::chrono::milliseconds timeout = std::chrono::milliseconds(30000)) {
        auto& s = *state_;
        if (s.forked.load(std::memory_order_relaxed)) return false;
        std::unique_lock lock(s.core.wake_mutex);
        if (!thread_.joinable() || s.finished) return s.finished ? false : true;
        std::uint64_t seq = ++s.flush_requested;
        s.core.worker_sleeping.store(false, std::memory_order_relaxed);
        s.core.wake.notify_one();
        return s.done.wait_for(lock, timeout, [&] { return s.flush_done >= seq || s.finished; }) && s.flush_done >= seq;
    }

    /// Exports what is left and stops the background thread, waiting at most `timeout`.
    /// Returns false if the thread had to be left behind (it then finishes on its own).
    bool shutdown(std::chrono::milliseconds timeout) {
        std::lock_guard config(config_mutex_);
        if (shut_down_) return true;
        shut_down_ = true;
        auto& s = *state_;
        if (s.forked.load(std::memory_order_relaxed)) {
            // A child of fork(): the parent's background thread does not exist here. Forget
            // its handle without touching it and keep the state alive: nothing waits, nothing
            // is freed that the parent's copy of the thread might have been using.
            new (&thread_) std::thread();
            new std::shared_ptr<detail::worker_state>(state_);
            return false;
        }
        auto* core = &s.core;
        detail::pipeline_core* expected = core;
        detail::g_default.compare_exchange_strong(expected, nullptr, std::memory_order_acq_rel);
        if (!thread_.joinable()) return true;
        bool finished;
        {
            std::unique_lock lock(s.core.wake_mutex);
            s.stop = true;
            s.core.wake.notify_one();
            finished = s.done.wait_for(lock, timeout, [&] { return s.finished; });
        }
        if (finished) {
            thread_.join();
            return true;
        }
        // The worker is stuck in an exporter: leave it; it holds its own reference to the state.
        // Its last published figures predate what the host recorded since, so count the rings
        // here (their counters are atomics; the registry and consume locks are never held
        // across an export): what was taken from them, and the records they still hold.
        // Whatever was recorded and neither delivered nor dropped on the host is lost now.
        {
            std::uint64_t taken = 0, dropped = 0;
            {
                std::lock_guard reg(s.core.registry_mutex);
                std::lock_guard taking(s.consume_mutex);
                taken = s.retired_consumed.load(std::memory_order_relaxed);
                dropped = s.retired_dropped.load(std::memory_order_relaxed);
                for (auto* r : s.core.registry) {
                    taken += r->consumed.load(std::memory_order_relaxed) + r->ring.count_published();
                    dropped += r->dropped_full.load(std::memory_order_relaxed);
                }
            }
            std::lock_guard lock(s.stats_mutex);
            auto& p = s.published;
            p.recorded = taken + dropped;
            p.dropped_ring_full = dropped;
            std::uint64_t accounted = p.dropped_ring_full + p.delivered + p.dropped_disabled;
            p.dropped_shutdown = p.recorded > accounted ? p.recorded - accounted : 0;
            s.abandoned = true;
        }
        // Ask the exporters to abort what they are doing; the worker only reads this vector
        // at the start of a cycle, and it is inside an export now.
        for (auto& e : s.exporters) e->cancel();
        thread_.detach();
        return false;
    }
    bool shutdown() { return shutdown(state_->options.shutdown_timeout); }

    /// A snapshot of the pipeline's accounting, as of the background thread's last cycle
    /// (force_flush() brings it up to date).
    pipeline_stats stats() const {
        std::lock_guard lock(state_->stats_mutex);
        return state_->published;
    }

    /// Per-exporter accounting, in the order the exporters were added.
    std::vector<exporter_stats> exporter_accounting() const {
        std::lock_guard lock(state_->stats_mutex);
        return state_->published_exporters;
    }

    const pipeline_options& options() const noexcept { return state_->options; }

private:
    friend detail::pipeline_core* detail::core_of(pipeline&) noexcept;

    void ensure_started() {
        std::lock_guard config(config_mutex_);
        if (started_ || shut_down_) return;
        started_ = true;
        auto state = state_;
        thread_ = std::thread([state] { state->run(); });
    }

    std::shared_ptr<detail::worker_state> state_;
    std::mutex config_mutex_;
    std::thread thread_;
    bool started_ = false;
    bool shut_down_ = false;
};

namespace detail {
inline pipeline_core* core_of(pipeline& p) noexcept { return &p.state_->core; }
}  // namespace detail

#else  // TACIT_DISABLE

/// Compiled out: the same interface, no thread, no state.
class pipeline {
public:
    explicit pipeline(pipeline_options options = {}) : options_(std::move(options)) {}
    pipeline(const pipeline&) = delete;
    pipeline& operator=(const pipeline&) = delete;
    pipeline& add_exporter(std::unique_ptr<exporter> e) {
        kept_.push_back(std::move(e));
        return *this;
    }
    template <class E, class... Args>
    E& emplace_exporter(Args&&... args) {
        auto e = std::make_unique<E>(std::forward<Args>(args)...);
        E& ref = *e;
        kept_.push_back(std::move(e));
        return ref;
    }
    void install_as_default() noexcept {}
    void share_content(bool) noexcept {}
    bool sharing_content() const noexcept { return false; }
    void set_enabled(bool) noexcept {}
    bool force_flush(std::chrono::milliseconds = std::chrono::milliseconds(30000)) noexcept { return true; }
    bool shutdown(std::chrono::milliseconds) noexcept { return true; }
    bool shutdown() noexcept { return true; }
    bool handle_sigterm(std::chrono::milliseconds = std::chrono::milliseconds(1000)) noexcept { return true; }
    pipeline_stats stats() const noexcept { return {}; }
    std::vector<exporter_stats> exporter_accounting() const { return {}; }
    const pipeline_options& options() const noexcept { return options_; }

private:
    pipeline_options options_;
    std::vector<std::unique_ptr<exporter>> kept_;  // never called: nothing is recorded
};

#endif

}  // namespace tacit::inline TACIT_ABI
