// Keys this client replaced but still needs for a while: signed prekeys
// (signed_prekey.hpp) and, after /rekey, the old identity's encryption key
// (retired_identity.hpp). Mail may already be on its way under them: an
// X3DH init made from a bundle fetched before the change, a message on a
// session set up with the old identity. So a replaced key is kept until a
// fetch that began after the replacement has emptied the mailbox and
// kGrace has passed, then deleted.
#pragma once
#include <cstdint>

namespace tacit::client {

constexpr uint64_t kGrace = 30 * 86400;  // seconds a replaced key is kept at least

struct Retirement {
    uint64_t at = 0;  // seconds since the epoch
    bool drained = false;
};

// A fetch that started at `started` emptied the mailbox (now is later):
// marks r drained if it was replaced before then; whether it is still kept.
inline bool still_kept(Retirement& r, uint64_t started, uint64_t now) {
    if (r.at <= started) r.drained = true;
    const bool past_grace = now >= r.at && now - r.at >= kGrace;
    return !(r.drained && past_grace);
}

}  // namespace tacit::client
