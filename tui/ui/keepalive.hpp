// When the logged-in client pings an idle connection.
//
// tacitd closes a connection that has sent no whole frame for its
// --idle-timeout (tacitd(8): 300 s by default, and admins may set 60 s).
// The client sends PING after 25 s without sending anything: the loop wakes
// at least once a second, so the server hears from it within 26 s, which
// leaves a 60 s server more than half its timeout for a slow network, a
// retransmission or a client stopped for a while; it also stays under the
// 30 s many NAT boxes and firewalls allow an idle flow.
#pragma once
#include <cstdint>

namespace tacit::ui {

inline constexpr uint64_t kKeepaliveMs = 25000;

// kKeepaliveMs, or env (TACIT_PING_INTERVAL) when it is a whole number of
// seconds >= 1: a knob for tests, which run tacitd with a short idle timeout.
uint64_t keepalive_interval_ms(const char* env);

// Whether a connection that has sent nothing for idle_ms should ping now.
inline bool ping_due(uint64_t idle_ms, uint64_t interval_ms) { return idle_ms >= interval_ms; }

}  // namespace tacit::ui
