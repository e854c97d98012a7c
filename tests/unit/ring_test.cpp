// The SPSC byte ring: order, wrap-around, full, and a concurrent producer and consumer.
#include <doctest/doctest.h>
#include <tacit/tacit.hpp>

#include <cstring>
#include <thread>
#include <vector>

using tacit::detail::spsc_ring;

static bool push(spsc_ring& r, std::uint32_t size, std::uint64_t value) {
    std::byte* p = r.try_reserve(size);
    if (!p) return false;
    spsc_ring::header h{size, 1};
    std::memcpy(p, &h, sizeof h);
    std::memcpy(p + 8, &value, 8);
    r.commit(size);
    return true;
}

TEST_CASE("records come out in order and the capacity is a power of two") {
    spsc_ring r(5000);
    CHECK(r.capacity() == 8192);
    for (std::uint64_t i = 0; i < 10; ++i) REQUIRE(push(r, 16, i));
    std::vector<std::uint64_t> got;
    r.consume([&](const std::byte* p, std::size_t size) {
        CHECK(size == 16);
        std::uint64_t v;
        std::memcpy(&v, p + 8, 8);
        got.push_back(v);
        return true;
    });
    REQUIRE(got.size() == 10);
    for (std::uint64_t i = 0; i < 10; ++i) CHECK(got[i] == i);
    CHECK(r.used() == 0);
}

TEST_CASE("a full ring refuses, never overwrites") {
    spsc_ring r(4096);
    int n = 0;
    while (push(r, 64, static_cast<std::uint64_t>(n))) ++n;
    CHECK(n == 4096 / 64);
    CHECK_FALSE(push(r, 64, 999));
    std::uint64_t first = 1;
    r.consume([&](const std::byte* p, std::size_t) {
        std::memcpy(&first, p + 8, 8);
        return false;  // stop after one: only what was consumed is freed
    });
    CHECK(first == 0);
    CHECK_FALSE(push(r, 64, 999));  // consume stopped before freeing anything
}

TEST_CASE("records of odd sizes wrap around with padding") {
    spsc_ring r(4096);
    std::uint64_t next = 0, expect = 0;
    for (int round = 0; round < 1000; ++round) {
        std::uint32_t size = static_cast<std::uint32_t>(16 + 8 * (round % 37));
        while (push(r, size, next)) ++next;
        r.consume([&](const std::byte* p, std::size_t) {
            std::uint64_t v;
            std::memcpy(&v, p + 8, 8);
            CHECK(v == expect);
            ++expect;
            return true;
        });
    }
    CHECK(expect == next);
    CHECK(next > 1000);
}

TEST_CASE("one producer and one consumer on two threads lose and reorder nothing") {
    spsc_ring r(1 << 14);
    constexpr std::uint64_t total = 2'000'000;
    std::thread producer([&] {
        for (std::uint64_t i = 0; i < total;) {
            if (push(r, static_cast<std::uint32_t>(16 + 8 * (i % 5)), i)) ++i;
            else std::this_thread::yield();
        }
    });
    std::uint64_t expect = 0;
    bool in_order = true;
    while (expect < total) {
        r.consume([&](const std::byte* p, std::size_t) {
            std::uint64_t v;
            std::memcpy(&v, p + 8, 8);
            in_order = in_order && v == expect;
            ++expect;
            return true;
        });
    }
    producer.join();
    CHECK(in_order);
    CHECK(expect == total);
}
