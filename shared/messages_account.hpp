// Account messages: register, key renewal, login, logout (tacit-protocol(7),
// MESSAGES). Each struct encodes and decodes its fields only: the type byte
// and the signatures are handled by encode_body / decode in messages.hpp.
// Field order in every struct is wire order.
#pragma once
#include "shared/messages_common.hpp"
#include "shared/messages_prekey.hpp"

namespace tacit::msg {

// REGISTER (0x10): str user | blob pass | blob public_key | nonce |
// prekey set (messages_prekey.hpp) | sig. The first prekeys come with the
// account, so it is reachable by X3DH from the moment it exists.
struct Register {
    static constexpr uint8_t type = proto::REGISTER;
    static constexpr int sigs = 1;  // by the key inside
    std::string user;
    Bytes pass;
    Bytes public_key;
    Nonce nonce{};
    PrekeySet prekeys;  // spk signed by the key inside, like the request
    void encode(Writer&) const;
    static Register decode(Reader&);
    bool operator==(const Register&) const = default;
};

struct RegisterR {
    static constexpr uint8_t type = proto::reply_type(proto::REGISTER);
    static constexpr int sigs = 1;
    Nonce nonce{};
    std::string msg;
    uint8_t status = 0;
    void encode(Writer&) const;
    static RegisterR decode(Reader&);
    bool operator==(const RegisterR&) const = default;
};

struct Renew1 {
    static constexpr uint8_t type = proto::RENEW1;
    static constexpr int sigs = 0;
    Token token{};
    Nonce nonce{};
    void encode(Writer&) const;
    static Renew1 decode(Reader&);
    bool operator==(const Renew1&) const = default;
};

struct Renew1R {
    static constexpr uint8_t type = proto::reply_type(proto::RENEW1);
    static constexpr int sigs = 0;
    Nonce nonce{};
    void encode(Writer&) const;
    static Renew1R decode(Reader&);
    bool operator==(const Renew1R&) const = default;
};

// ECIES("renew", server_box_pub, token | session_key | session_iv | nonce):
// exactly proto::kResumeEciesLen raw bytes, no length prefix.
struct Renew2 {
    static constexpr uint8_t type = proto::RENEW2;
    static constexpr int sigs = 0;
    Bytes ecies;
    void encode(Writer&) const;  // throws WireError Invalid unless 140 bytes
    static Renew2 decode(Reader&);
    bool operator==(const Renew2&) const = default;
};

struct Renew2R {
    static constexpr uint8_t type = proto::reply_type(proto::RENEW2);
    static constexpr int sigs = 0;
    Nonce nonce{};
    Array<32> server_random{};
    Array<32> server_eph_pub{};
    void encode(Writer&) const;
    static Renew2R decode(Reader&);
    bool operator==(const Renew2R&) const = default;
};

struct Renew3 {
    static constexpr uint8_t type = proto::RENEW3;
    static constexpr int sigs = 2;  // old key's, then new key's, same input
    Token token{};
    Bytes pass;
    Bytes public_key;
    Nonce nonce{};
    void encode(Writer&) const;
    static Renew3 decode(Reader&);
    bool operator==(const Renew3&) const = default;
};

struct Renew3R {
    static constexpr uint8_t type = proto::reply_type(proto::RENEW3);
    static constexpr int sigs = 1;
    Nonce nonce{};
    std::string msg;
    uint8_t status = 0;
    void encode(Writer&) const;
    static Renew3R decode(Reader&);
    bool operator==(const Renew3R&) const = default;
};

struct Login1 {
    static constexpr uint8_t type = proto::LOGIN1;
    static constexpr int sigs = 1;
    std::string user;
    Nonce nonce1{};
    void encode(Writer&) const;
    static Login1 decode(Reader&);
    bool operator==(const Login1&) const = default;
};

struct Login1R {
    static constexpr uint8_t type = proto::reply_type(proto::LOGIN1);
    static constexpr int sigs = 1;
    Nonce nonce2{};
    Bytes salt;
    void encode(Writer&) const;
    static Login1R decode(Reader&);
    bool operator==(const Login1R&) const = default;
};

struct Login2 {
    static constexpr uint8_t type = proto::LOGIN2;
    static constexpr int sigs = 1;
    Bytes proof;
    void encode(Writer&) const;
    static Login2 decode(Reader&);
    bool operator==(const Login2&) const = default;
};

struct Login2R {
    static constexpr uint8_t type = proto::reply_type(proto::LOGIN2);
    static constexpr int sigs = 1;
    Token token{};
    Nonce nonce1{};
    uint8_t status = 0;
    std::string msg;
    void encode(Writer&) const;
    static Login2R decode(Reader&);
    bool operator==(const Login2R&) const = default;
};

// No reply: the server drops the token and closes the connection.
struct Logout {
    static constexpr uint8_t type = proto::LOGOUT;
    static constexpr int sigs = 1;
    Token token{};
    void encode(Writer&) const;
    static Logout decode(Reader&);
    bool operator==(const Logout&) const = default;
};

}  // namespace tacit::msg
