// Prekey messages for X3DH session set-up (tacit-protocol(7), PREKEYS).
// Field order is wire order. The bundle fields reuse the x3dh encodings
// (shared/x3dh.hpp), so the server stores and hands out what owners sign.
#pragma once
#include <vector>

#include "shared/messages_common.hpp"
#include "shared/x3dh.hpp"

namespace tacit::msg {

struct PrekeyOpk {
    uint32_t id = 0;
    Array<32> pub{};
    bool operator==(const PrekeyOpk&) const = default;
};

// The prekeys PREKEY_UPLOAD and REGISTER carry, in the same bytes:
//   u32 spk_id | u64 spk_created | spk_pub[32] | sig spk_sig | u16 n |
//   n x (u32 opk_id | opk_pub[32])
struct PrekeySet {
    x3dh::SignedPrekey spk;
    std::vector<PrekeyOpk> opks;
    void encode(Writer&) const;
    static PrekeySet decode(Reader&);
    bool operator==(const PrekeySet&) const = default;
};

// PREKEY_UPLOAD (0x25): token | nonce | prekey set | sig
struct PrekeyUpload {
    static constexpr uint8_t type = proto::PREKEY_UPLOAD;
    static constexpr int sigs = 1;
    Token token{};
    Nonce nonce{};
    PrekeySet prekeys;
    void encode(Writer&) const;
    static PrekeyUpload decode(Reader&);
    bool operator==(const PrekeyUpload&) const = default;
};

// PREKEY_UPLOAD_R (0xA5): u8 status | str msg | nonce | u32 pool | sig
// pool: one-time prekeys the server holds for the user after the upload.
struct PrekeyUploadR {
    static constexpr uint8_t type = proto::reply_type(proto::PREKEY_UPLOAD);
    static constexpr int sigs = 1;
    uint8_t status = 0;
    std::string msg;
    Nonce nonce{};
    uint32_t pool = 0;
    void encode(Writer&) const;
    static PrekeyUploadR decode(Reader&);
    bool operator==(const PrekeyUploadR&) const = default;
};

// PREKEY_FETCH (0x26): token | str target | nonce | sig
struct PrekeyFetch {
    static constexpr uint8_t type = proto::PREKEY_FETCH;
    static constexpr int sigs = 1;
    Token token{};
    std::string target;
    Nonce nonce{};
    void encode(Writer&) const;
    static PrekeyFetch decode(Reader&);
    bool operator==(const PrekeyFetch&) const = default;
};

// PREKEY_FETCH_R (0xA6): u8 status | str msg | nonce | blob bundle | sig
// bundle: the x3dh prekey bundle when status is OK, else empty.
struct PrekeyFetchR {
    static constexpr uint8_t type = proto::reply_type(proto::PREKEY_FETCH);
    static constexpr int sigs = 1;
    uint8_t status = 0;
    std::string msg;
    Nonce nonce{};
    Bytes bundle;
    void encode(Writer&) const;
    static PrekeyFetchR decode(Reader&);
    bool operator==(const PrekeyFetchR&) const = default;
};

}  // namespace tacit::msg
