#include "shared/clock.hpp"

#include <ctime>

namespace tacit {

namespace {
uint64_t read_ms(clockid_t id) {
    timespec ts{};
    // Neither clock can fail on Linux with a valid pointer.
    (void)clock_gettime(id, &ts);
    return uint64_t(ts.tv_sec) * 1000 + uint64_t(ts.tv_nsec) / 1000000;
}
}  // namespace

uint64_t wall_ms() { return read_ms(CLOCK_REALTIME); }
uint64_t mono_ms() { return read_ms(CLOCK_MONOTONIC); }

}  // namespace tacit
