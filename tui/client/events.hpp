// What the client core reports to its front ends (batch JSON, the TUI).
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tacit::client {

struct ChatMessage {
    std::string id;      // msg_id, hex
    std::string from;
    std::string to;      // the individual recipient (me for received)
    std::string group;   // empty for a direct message
    uint64_t sent_at_ms = 0;      // the sender's clock (signed)
    uint64_t received_at_ms = 0;  // the server's, at arrival; 0 for our own
    std::string body;
    bool verified = false;  // signature checked against the sender's pinned key
    bool outgoing = false;
    std::string problem;    // why verification failed, empty when verified
};

// More than this between sent_at and received_at marks the message: the
// sender's clock is off, or the message was held back.
inline constexpr uint64_t kSkewMarkMs = 5 * 60 * 1000;
inline bool clock_skewed(const ChatMessage& m) {
    if (m.received_at_ms == 0) return false;
    uint64_t d = m.sent_at_ms > m.received_at_ms ? m.sent_at_ms - m.received_at_ms : m.received_at_ms - m.sent_at_ms;
    return d > kSkewMarkMs;
}

struct Event {
    enum class Kind {
        Message,      // msg
        Group,        // group, text ("added alice carol"), actor, subject
        Presence,     // count
        KeyChanged,   // user, fingerprint (new), old_fingerprint
        Disconnected, // text
        Reconnected,
        Info,         // text
        GroupWarning, // group, text: the server's member list differs from the chain's
    } kind;
    ChatMessage msg;
    std::string group, text, user, fingerprint, old_fingerprint;
    uint32_t count = 0;
};

// The outcome of one command: status is a proto::Status (or KEY_CHANGED).
struct Result {
    bool ok = false;
    uint8_t status = 0;
    std::string msg;
    std::string id;    // send, group-send: the message id (hex)
    size_t count = 0;  // update: the messages it delivered
    static Result good(std::string m = "OK") { return {true, 0, std::move(m), {}, 0}; }
    static Result fail(uint8_t st, std::string m) { return {false, st, std::move(m), {}, 0}; }
};

}  // namespace tacit::client
