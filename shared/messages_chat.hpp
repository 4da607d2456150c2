// One-to-one messaging and the mailbox (tacit-protocol(7), MESSAGING): MSG1/MSG2,
// UPDATE1/UPDATE2, and the stored item UPDATE1_R carries. Field order is
// wire order.
#pragma once
#include "shared/messages_common.hpp"

namespace tacit::msg {

struct Msg1 {
    static constexpr uint8_t type = proto::MSG1;
    static constexpr int sigs = 1;
    Token token{};
    std::string target;
    Nonce nonce1{};
    void encode(Writer&) const;
    static Msg1 decode(Reader&);
    bool operator==(const Msg1&) const = default;
};

struct Msg1R {
    static constexpr uint8_t type = proto::reply_type(proto::MSG1);
    static constexpr int sigs = 1;
    Bytes target_public_key;
    Nonce nonce1{};
    void encode(Writer&) const;
    static Msg1R decode(Reader&);
    bool operator==(const Msg1R&) const = default;
};

struct Msg2 {
    static constexpr uint8_t type = proto::MSG2;
    static constexpr int sigs = 1;
    Nonce nonce2{};
    std::string target;
    Bytes enc_msg;
    Bytes wrapped_key;
    void encode(Writer&) const;
    static Msg2 decode(Reader&);
    bool operator==(const Msg2&) const = default;
};

struct Msg2R {
    static constexpr uint8_t type = proto::reply_type(proto::MSG2);
    static constexpr int sigs = 1;
    std::string msg;
    uint8_t status = 0;
    Nonce nonce2{};
    void encode(Writer&) const;
    static Msg2R decode(Reader&);
    bool operator==(const Msg2R&) const = default;
};

// stored = u64 id | u8 kind | str sender | str group | u64 received_at_ms |
//          blob enc_msg | blob wrapped_key
// For kind STORED_SYSTEM, sender and wrapped_key are empty and enc_msg holds
// a SystemEntry (messages_payload.hpp).
struct Stored {
    static constexpr size_t kMinSize = 8 + 1 + 2 + 2 + 8 + 4 + 4;
    uint64_t id = 0;
    uint8_t kind = proto::STORED_MESSAGE;
    std::string sender;
    std::string group;
    uint64_t received_at_ms = 0;
    Bytes enc_msg;
    Bytes wrapped_key;
    void encode(Writer&) const;
    static Stored decode(Reader&);
    bool operator==(const Stored&) const = default;
};

struct Update1 {
    static constexpr uint8_t type = proto::UPDATE1;
    static constexpr int sigs = 0;
    Token token{};
    Nonce nonce1{};
    void encode(Writer&) const;
    static Update1 decode(Reader&);
    bool operator==(const Update1&) const = default;
};

struct Update1R {
    static constexpr uint8_t type = proto::reply_type(proto::UPDATE1);
    static constexpr int sigs = 0;
    std::vector<Stored> messages;
    Nonce nonce1{};
    Nonce nonce2{};
    uint8_t more = 0;
    void encode(Writer&) const;
    static Update1R decode(Reader&);
    bool operator==(const Update1R&) const = default;
};

// No reply on success: the server deletes exactly that page.
struct Update2 {
    static constexpr uint8_t type = proto::UPDATE2;
    static constexpr int sigs = 0;
    Nonce nonce2{};
    void encode(Writer&) const;
    static Update2 decode(Reader&);
    bool operator==(const Update2&) const = default;
};

}  // namespace tacit::msg
