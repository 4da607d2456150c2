// What bounds the work a peer can make the server do: the rate limits of
// tacitd(8) (handshakes, logins, registrations, group changes), the
// configured sizes handlers check, and the decoy key that makes a login for
// an unknown user cost and look the same as a real one.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include "shared/bytes.hpp"
#include "srv/config.hpp"
#include "srv/rate_limit.hpp"

namespace tacit::srv {

enum class Limit : uint8_t {
    Handshake,       // per peer key (srv/peer.hpp)
    HandshakeTotal,  // all peers together, key "*"
    Login,           // per user and per peer key
    Register,        // per peer key
    GroupChange,     // per actor
    GroupAdd,        // per added user
    PrekeyFetch,     // per (requester, target): one-time prekeys handed out
};

class Limits {
public:
    explicit Limits(const Config& cfg);

    // Takes one token from the bucket of key; false when it is empty. A
    // refusal is logged, at most once a minute per bucket (tacitd(8)).
    bool admit(Limit which, const std::string& key);
    // Forgets buckets that have refilled (once a second).
    void sweep(uint64_t mono_now_ms);

    size_t max_group_size() const { return max_group_size_; }
    size_t max_conns_per_session() const { return max_conns_per_session_; }
    // A user bundle around the built-in dummy key (srv/dummy_key.cpp): the
    // login decoy path parses it where a real login parses the user's.
    const Bytes& dummy_user_bundle() const { return dummy_bundle_; }

private:
    RateLimiter& limiter(Limit which);

    RateLimiter hs_addr_, hs_total_, login_, register_, group_change_, group_add_, prekey_fetch_;
    size_t max_group_size_, max_conns_per_session_;
    Bytes dummy_bundle_;
};

// The name of a limit in the log ("login", "group add", ...).
std::string_view limit_name(Limit which);

}  // namespace tacit::srv
