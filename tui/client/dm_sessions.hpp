// The ratchet sessions this client holds with one peer (tacit-protocol(7),
// DIRECT MESSAGES, Client state), kept sealed in the local store as the
// secret "dm sessions PEER":
//
//   u8 1 | u8 n (<= kMaxSessions) | n x ( bundles[32] | first_id[32]
//        | blob pending_init (empty: none) | blob ratchet_state )
//
//   bundles   SHA-256(str "tacit v2 dm bundles" | blob own UserBundle |
//             blob peer UserBundle) when the session was set up: a session
//             whose either key has changed since (/rekey, accept-key) is
//             no longer used, and the next message starts a new one.
//   first_id  x3dh::first_message_id of the set-up, to tell an initial
//             message of this session from one of a new session.
//   pending_init  the initiator's x3dh::InitHeader, sent with every message
//             until the first reply opens.
//   ratchet_state  ratchet::Session::serialize.
//
// Most recently used first. Several are kept because both sides may start
// a session at once: each then answers on the other's, and a message is
// tried against every session held (a forged one changes none of them).
#pragma once
#include <optional>
#include <vector>

#include "shared/keys.hpp"
#include "shared/ratchet.hpp"
#include "shared/x3dh.hpp"

namespace tacit::client {

inline constexpr size_t kMaxSessions = 3;

struct DmSession {
    Array<32> bundles{};
    Array<32> first_id{};
    std::optional<x3dh::InitHeader> pending_init;
    ratchet::Session ratchet;
};

struct DmSessions {
    std::vector<DmSession> list;
    Secret encode() const;
    // nullopt on anything malformed; never throws.
    static std::optional<DmSessions> decode(ByteView b);
    // Puts s first, dropping the oldest past kMaxSessions.
    void add_front(DmSession s);
    void move_front(size_t i);
    // The most recently used session set up with these keys, or null.
    // Sessions under other keys are skipped, not dropped: a sender's key
    // change is shown before it is accepted, under the new key.
    DmSession* current(const Array<32>& bundles);
};

Array<32> bundles_id(const UserBundle& own, const UserBundle& peer);

}  // namespace tacit::client
