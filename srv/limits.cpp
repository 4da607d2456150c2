#include "srv/limits.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <stdexcept>

#include "shared/clock.hpp"
#include "shared/event_loop.hpp"
#include "shared/keys.hpp"
#include "shared/names.hpp"
#include "srv/dummy_key.hpp"

namespace tacit::srv {

namespace {
// N a minute, with a burst of N (at least one).
RateLimiter per_minute(double n) { return RateLimiter(n / 60.0, std::max(1.0, n)); }
}  // namespace

Limits::Limits(const Config& cfg)
    : hs_addr_(cfg.hs_rate_per_addr, cfg.hs_burst_per_addr),
      hs_total_(cfg.hs_rate_total, cfg.hs_rate_total),
      login_(per_minute(cfg.login_rate_per_min)),
      register_(per_minute(cfg.register_rate_per_min)),
      group_change_(per_minute(cfg.group_change_rate_per_min)),
      group_add_(per_minute(cfg.group_add_rate_per_min)),
      prekey_fetch_(per_minute(cfg.prekey_fetch_rate_per_min)),
      max_group_size_(cfg.max_group_size),
      max_conns_per_session_(cfg.max_conns_per_session) {
    UserBundle dummy{Bytes(kDummyRsaDer, kDummyRsaDer + kDummyRsaDerLen), crypto::X25519Key::generate().pub};
    dummy_bundle_ = dummy.encode();
    if (!UserBundle::decode(dummy_bundle_)) throw std::runtime_error("built-in decoy key does not parse");
}

std::string_view limit_name(Limit which) {
    switch (which) {
    case Limit::Handshake: return "handshake";
    case Limit::HandshakeTotal: return "handshake total";
    case Limit::Login: return "login";
    case Limit::Register: return "register";
    case Limit::GroupChange: return "group change";
    case Limit::GroupAdd: return "group add";
    case Limit::PrekeyFetch: return "prekey fetch";
    }
    return "?";
}

RateLimiter& Limits::limiter(Limit which) {
    switch (which) {
    case Limit::Handshake: return hs_addr_;
    case Limit::HandshakeTotal: return hs_total_;
    case Limit::Login: return login_;
    case Limit::Register: return register_;
    case Limit::GroupChange: return group_change_;
    case Limit::GroupAdd: return group_add_;
    case Limit::PrekeyFetch: return prekey_fetch_;
    }
    throw std::logic_error("unknown limit");
}

bool Limits::admit(Limit which, const std::string& key) {
    uint64_t now = mono_ms();
    RateLimiter& rl = limiter(which);
    if (rl.take(key, now)) return true;
    if (rl.refusal_due(key, now))
        fmt::print(stderr, "tacitd: rate limit {} refuses key={} (logged once a minute per key)\n",
                   limit_name(which), loggable_name(key));
    return false;
}

void Limits::sweep(uint64_t mono_now_ms) {
    for (auto* rl : {&hs_addr_, &hs_total_, &login_, &register_, &group_change_, &group_add_, &prekey_fetch_})
        rl->sweep(mono_now_ms);
}

}  // namespace tacit::srv
