// Session-level messages: the handshake reply, presence, keepalive, push and
// errors (tacit-protocol(7), MESSAGES). Field order is wire order.
#pragma once
#include "shared/messages_common.hpp"

namespace tacit::msg {

// Sealed under the preliminary key; same shape as Renew2R.
struct HelloR {
    static constexpr uint8_t type = proto::HELLO_R;
    static constexpr int sigs = 0;
    Nonce nonce{};
    Array<32> server_random{};
    Array<32> server_eph_pub{};
    void encode(Writer&) const;
    static HelloR decode(Reader&);
    bool operator==(const HelloR&) const = default;
};

struct Online {
    static constexpr uint8_t type = proto::ONLINE;
    static constexpr int sigs = 1;
    Token token{};
    Nonce nonce{};
    void encode(Writer&) const;
    static Online decode(Reader&);
    bool operator==(const Online&) const = default;
};

struct OnlineR {
    static constexpr uint8_t type = proto::reply_type(proto::ONLINE);
    static constexpr int sigs = 1;
    Nonce nonce{};
    std::vector<std::string> users;
    void encode(Writer&) const;
    static OnlineR decode(Reader&);
    bool operator==(const OnlineR&) const = default;
};

struct Ping {
    static constexpr uint8_t type = proto::PING;
    static constexpr int sigs = 0;
    Nonce nonce{};
    void encode(Writer&) const;
    static Ping decode(Reader&);
    bool operator==(const Ping&) const = default;
};

struct Pong {
    static constexpr uint8_t type = proto::reply_type(proto::PING);
    static constexpr int sigs = 0;
    Nonce nonce{};
    void encode(Writer&) const;
    static Pong decode(Reader&);
    bool operator==(const Pong&) const = default;
};

// Server push; `what` is a proto::NotifyWhat, kept as a raw byte so an
// unknown kind from a newer server decodes and the caller can ignore it.
struct Notify {
    static constexpr uint8_t type = proto::NOTIFY;
    static constexpr int sigs = 0;
    uint8_t what = 0;
    uint32_t count = 0;
    std::string group;  // kind 4 (group-records) only: the group whose chain moved on
    void encode(Writer&) const;
    static Notify decode(Reader&);
    bool operator==(const Notify&) const = default;
};

// Signed only when the failed request parsed and is of a signed type, so the
// signature count is dynamic: decode with decode_error(), not decode<Error>.
struct Error {
    static constexpr uint8_t type = proto::ERROR;
    static constexpr int sigs = 0;
    Nonce nonce{};  // of the failed request, zeros if none
    uint8_t status = 0;
    std::string msg;
    void encode(Writer&) const;
    static Error decode(Reader&);
    bool operator==(const Error&) const = default;
};

}  // namespace tacit::msg
