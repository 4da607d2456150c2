// The reconnect policy both front ends follow (tui/client/backoff.hpp),
// on fake time: the caller hands in every time.
#include <catch2/catch.hpp>

#include "tui/client/backoff.hpp"

using namespace tacit::client;

TEST_CASE("backoff doubles to a cap, with jitter in [d/2, d]", "[client][backoff]") {
    Backoff b(500, 8000);
    CHECK(b.next(0.999) <= 500);
    CHECK(b.next(0.0) == 500);  // second attempt: nominal 1000, lowest jitter
    CHECK(b.next(0.5) == 1000 + 500);  // nominal 2000 -> 1000 + 500
    CHECK(b.next(1.0) == 4000);
    for (int i = 0; i < 50; ++i) {
        uint64_t d = b.next(0.3);
        CHECK(d >= 4000);
        CHECK(d <= 8000);
    }
    CHECK(b.attempts() == 54);
    b.reset();
    CHECK(b.attempts() == 0);
    CHECK(b.next(1.0) == 500);
    CHECK(b.next(-3.0) == 500);  // out-of-range jitter is clamped
}

TEST_CASE("reconnect schedule, on fake time: one backoff delay per attempt, reset when connected", "[client][backoff]") {
    double jitter = 0.0;  // the lowest: each delay is half its nominal value
    ReconnectSchedule s([&] { return jitter; }, Backoff(1000, 8000));
    CHECK(s.state() == ReconnectSchedule::State::Connected);
    CHECK(s.wait_ms(5) == 0);
    // The link drops at t=10 000: the first attempt waits 500 ms.
    CHECK_FALSE(s.due(10000));
    CHECK(s.state() == ReconnectSchedule::State::Waiting);
    CHECK(s.due_ms() == 10500);
    CHECK(s.wait_ms(10100) == 400);
    CHECK_FALSE(s.due(10499));  // asking again schedules nothing new
    CHECK(s.due(10500));
    // Each failure doubles the delay, to the cap.
    s.failed(10600);
    CHECK(s.due_ms() == 10600 + 1000);
    s.failed(11600);
    CHECK(s.due_ms() == 11600 + 2000);
    jitter = 0.999;
    for (int i = 0; i < 10; ++i) s.failed(20000);
    CHECK(s.due_ms() <= 20000 + 8000);
    CHECK(s.due_ms() >= 20000 + 7990);
    CHECK(s.attempts() == 13);
    // Connected again: the next drop starts from the shortest delay.
    s.connected();
    CHECK(s.state() == ReconnectSchedule::State::Connected);
    CHECK(s.attempts() == 0);
    jitter = 0.0;
    CHECK_FALSE(s.due(50000));
    CHECK(s.due_ms() == 50500);
}

TEST_CASE("reconnect schedule: while an attempt runs none is due; its failure waits longer", "[client][backoff]") {
    ReconnectSchedule s([] { return 0.0; }, Backoff(1000, 8000));
    REQUIRE_FALSE(s.due(10000));
    REQUIRE(s.due(10500));
    s.attempting();
    CHECK(s.state() == ReconnectSchedule::State::Attempting);
    // However late it is, a second attempt does not start beside the first.
    CHECK_FALSE(s.due(10500));
    CHECK_FALSE(s.due(99999));
    CHECK(s.wait_ms(99999) == 0);
    s.failed(20000);
    CHECK(s.state() == ReconnectSchedule::State::Waiting);
    CHECK(s.due_ms() == 21000);
    CHECK(s.due(21000));
    s.attempting();
    s.connected();
    CHECK(s.state() == ReconnectSchedule::State::Connected);
    CHECK(s.attempts() == 0);
}
