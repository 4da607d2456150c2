#include "tui/ui/backoff.hpp"

#include <algorithm>

namespace tacit::ui {

uint64_t Backoff::next(double unit) {
    uint64_t d = base_;
    for (int i = 0; i < attempts_ && d < max_; ++i) d *= 2;
    d = std::min(d, max_);
    if (attempts_ < 1000) ++attempts_;
    unit = std::clamp(unit, 0.0, 1.0);
    return d / 2 + static_cast<uint64_t>(static_cast<double>(d / 2) * unit);
}

}  // namespace tacit::ui
