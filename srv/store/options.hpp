// How the store is opened and the limits it keeps (tacitd(8), "Storage
// quotas"); filled by the server from its command line.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace tacit::store {

struct Options {
    std::string dir = "data";
    size_t initial_map = 16 << 20;
    size_t max_map = size_t(1) << 30;
    bool sync = true;  // false: MDB_NOSYNC (tests only; commits are not durable)
    uint64_t mailbox_cap = 10000;
    // Byte quotas and the reserve (quota.hpp); the defaults set none.
    uint64_t mailbox_bytes = UINT64_MAX, sender_mailbox_bytes = UINT64_MAX, sender_bytes = UINT64_MAX;
    uint64_t reserve = 0;
};

}  // namespace tacit::store
