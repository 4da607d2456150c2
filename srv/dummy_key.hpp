#pragma once
#include <cstddef>

namespace tacit::srv {
extern const unsigned char kDummyRsaDer[];
extern const size_t kDummyRsaDerLen;
}  // namespace tacit::srv
