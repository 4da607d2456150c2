#include "shared/protocol.hpp"

namespace tacit::proto {

std::string_view status_name(uint8_t s) {
    static constexpr std::string_view names[] = {
        "OK",           "BAD_REQUEST",    "AUTH_FAILED",  "USER_EXISTS", "NO_SUCH_USER",
        "NO_SUCH_GROUP", "GROUP_EXISTS",  "NOT_MEMBER",   "ALREADY_MEMBER", "NOT_OWNER",
        "KEY_CHANGED",  "RATE_LIMITED",   "TOO_LARGE",    "STORAGE_FULL", "INTERNAL",
        "STALE_EPOCH",  "NO_PREKEYS"};
    return s < std::size(names) ? names[s] : "UNKNOWN";
}

}  // namespace tacit::proto
