// The two clocks, one name each. Wall time is for what is stored or sent
// (token expiry, received_at, message times); monotonic time is for what is
// measured (timers, timeouts, rate-limit buckets), so a clock step cannot
// expire a session early or stall a timer.
#pragma once
#include <cstdint>

namespace tacit {

uint64_t wall_ms();  // CLOCK_REALTIME, milliseconds since the epoch
uint64_t mono_ms();  // CLOCK_MONOTONIC, milliseconds since boot

}  // namespace tacit
