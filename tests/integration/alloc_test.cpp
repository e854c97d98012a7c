// Zero heap allocations per span after a thread's first, counted by a replaced operator new.
#include <doctest/doctest.h>

#include <atomic>
#include <cstdlib>
#include <new>

#include "schema.hpp"

namespace {
thread_local std::size_t t_allocations = 0;
}

// operator new is malloc and operator delete is free here, which GCC cannot see at -O3.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

void* operator new(std::size_t n) {
    ++t_allocations;
    if (void* p = std::malloc(n ? n : 1)) return p;
    throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

TEST_CASE("recording a span allocates nothing after the thread's first span") {
    fixture f;
    { auto s = tacit::start<t::tool_usage>(f.p); }  // first span: the thread's ring is allocated
    std::size_t before = t_allocations;
    for (int i = 0; i < 10'000; ++i) {
        auto s = tacit::start<t::tool_usage>(f.p);
        s.set<t::tool_name>("a tool name longer than any small-string buffer would hold").set<t::attempts>(i);
        s.set<t::cached>(true).set<t::score>(1.5);
        s.event<t::retried>().set<t::attempts>(1);
        if (i % 3 == 0) s.error("timeout");
    }
    std::size_t after = t_allocations;
    CHECK(after - before == 0);
    f.flush();
}
