// A direct message's enc_msg under X3DH and the Double Ratchet
// (tacit-protocol(7), DIRECT MESSAGES):
//
//   enc_msg = u8 5 | blob init | ratchet_message
//   init            = empty, or x3dh::InitHeader (shared/x3dh.hpp), which the
//                     initiator sends with every message until it has a reply
//   ratchet_message = header[40] | AES-256-GCM ciphertext | tag[16]
//                     (shared/ratchet.hpp; the plaintext is a signed
//                     formatted_message, END-TO-END PAYLOAD)
//
// blob = u32 length | bytes. MSG2's wrapped_key is empty for these: no key
// is wrapped to the recipient's long-term box key any more.
#pragma once
#include <optional>

#include "shared/bytes.hpp"
#include "shared/ratchet.hpp"
#include "shared/x3dh.hpp"

namespace tacit::dm {

inline constexpr uint8_t kTag = 5;
inline constexpr size_t kInitMax = 1 + 32 + 32 + 4 + 1 + 4;

struct Wire {
    std::optional<x3dh::InitHeader> init;
    ratchet::Header header;  // the ratchet message's header, decoded
    Bytes ratchet;           // header | ciphertext | tag
    Bytes encode() const;
    // nullopt on anything malformed: a wrong tag, an init blob that is not
    // an InitHeader, a ratchet message shorter than header + tag, or a
    // header whose ratchet key is not a usable X25519 point. Never throws.
    static std::optional<Wire> decode(ByteView enc_msg);
};

}  // namespace tacit::dm
