// What the client core reports to its front ends (batch JSON, the TUI).
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
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

// One struct per kind of event; a front end visits the variant
// (tui/client/overload.hpp), so a new kind is a compile error wherever it
// is not handled.
namespace ev {
struct Message {
    ChatMessage msg;
};
// A verified group record as a line: text ("added alice carol"), the user
// it is about; msg carries its signer's check (verified, problem, sent_at).
struct Group {
    std::string group, text, subject;
    ChatMessage msg;
};
struct Presence {  // NOTIFY presence: only a count; ask ONLINE for the names
    uint32_t count = 0;
};
struct KeyChanged {
    std::string user, fingerprint, old_fingerprint;  // fingerprint: the new key's
};
struct Disconnected {
    std::string text;
};
struct Reconnected {
    std::string text;  // "session resumed", "logged in again"
};
struct Info {
    std::string text;
};
struct GroupWarning {  // the server's member list differs from the chain's
    std::string group, text;
};
}  // namespace ev

using Event = std::variant<ev::Message, ev::Group, ev::Presence, ev::KeyChanged, ev::Disconnected, ev::Reconnected,
                           ev::Info, ev::GroupWarning>;

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
