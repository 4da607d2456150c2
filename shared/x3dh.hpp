// X3DH session set-up for direct messages (issue 15), as in Signal's "The
// X3DH Key Agreement Protocol", with tacit's substitutions. Every direct
// message is set up with it (tui/client/dm.cpp); tacit-protocol(7), PREKEYS
// and DIRECT MESSAGES, states these bytes (protocol v2, hence "tacit v2").
//
// Keys
//   IK   the user's X25519 box key (UserBundle::box_pub); the RSA-3072-PSS
//        identity key signs the signed prekey instead of XEdDSA.
//   SPK  signed prekey, X25519, identified by a u32 id.
//   OPK  one-time prekey, X25519, u32 id; optional.
//   EK   the initiator's ephemeral X25519 key, fresh per session.
//
// Signed prekey signature: RSA-PSS (tacit-protocol(7), Primitives) over
//   str "tacit v2 signed prekey" | str user | u32 id | u64 created | spk_pub[32]
// (str = u16 length | bytes, integers big endian, as in ENCODINGS).
//
// Prekey bundle (what a requester gets for a target user):
//   u8 3 | u32 spk_id | u64 spk_created | spk_pub[32] | sig spk_sig
//        | u8 0                                  (no one-time prekey)
//        | u8 1 | u32 opk_id | opk_pub[32]       (with one)
//   sig = u16 length | bytes; an RSA-3072 signature is exactly 384 bytes.
//   Both public keys must be usable X25519 points; trailing bytes refused.
//   The identity it is verified against is the target's pinned UserBundle,
//   not anything in the bundle.
//
// Initial-message header (sent with the initiator's first ratchet messages):
//   u8 4 | ik_pub[32] | ek_pub[32] | u32 spk_id | u8 0
//                                               | u8 1 | u32 opk_id
//   ik_pub must equal the initiator's pinned box key.
//
// Key agreement (A initiates to B):
//   DH1 = X25519(IK_A, SPK_B)   DH2 = X25519(EK_A, IK_B)
//   DH3 = X25519(EK_A, SPK_B)   DH4 = X25519(EK_A, OPK_B)  (only with an OPK)
//   SK  = HKDF-SHA256(ikm  = 0xFF * 32 | DH1 | DH2 | DH3 [| DH4],
//                     salt = 0x00 * 32, info = "tacit v2 X3DH", L = 32)
//   Any DH giving an all-zero output (a small-order key) fails set-up.
//
// Associated data (binds both identity bundles, RSA and X25519 alike):
//   AD = str "tacit v2 X3DH AD" | str initiator | blob UserBundle(initiator)
//        | str responder | blob UserBundle(responder)
//   (UserBundle = u8 1 | blob rsa3072_der | x25519_pub[32], BUNDLES)
//
// First-message identity (for refusing a repeated first message, which
// without an OPK would otherwise set up the same session again):
//   first_id = SHA-256(str "tacit v2 X3DH first" | ik_pub[32] | ek_pub[32])
// The responder keeps every first_id it accepted and refuses a seen one.
#pragma once
#include <cstdint>
#include <optional>
#include <string_view>

#include "shared/bytes.hpp"
#include "shared/crypto.hpp"
#include "shared/keys.hpp"

namespace tacit::x3dh {

inline constexpr std::string_view kSpkLabel = "tacit v2 signed prekey";
inline constexpr std::string_view kKdfInfo = "tacit v2 X3DH";
inline constexpr std::string_view kAdLabel = "tacit v2 X3DH AD";
inline constexpr std::string_view kFirstIdLabel = "tacit v2 X3DH first";
inline constexpr uint8_t kBundleTag = 3, kHeaderTag = 4;
inline constexpr size_t kRsaSigLen = crypto::kRsaSigLen;

struct SignedPrekey {
    uint32_t id = 0;
    uint64_t created = 0;  // Unix seconds, chosen by the owner
    Array<32> pub{};
    Bytes sig;
    bool operator==(const SignedPrekey&) const = default;
};

struct OneTimePrekey {
    uint32_t id = 0;
    Array<32> pub{};
};

// The bytes the identity key signs (layout above).
Bytes signed_prekey_message(std::string_view user, uint32_t id, uint64_t created, ByteView pub);
SignedPrekey sign_prekey(const crypto::PkKey& identity, std::string_view user, uint32_t id,
                         uint64_t created, const Array<32>& pub);
// False unless `identity` (the owner's pinned RSA key) signed exactly these
// fields for `user`.
bool verify_prekey(const SignedPrekey& spk, const crypto::PkKey& identity, std::string_view user);

struct PrekeyBundle {
    SignedPrekey spk;
    std::optional<OneTimePrekey> opk;
    Bytes encode() const;
    // nullopt on any malformed input; never throws on hostile bytes. Does not
    // verify the signature (that needs the pinned identity): initiate does.
    static std::optional<PrekeyBundle> decode(ByteView b);
};

struct InitHeader {
    Array<32> ik{};
    Array<32> ek{};
    uint32_t spk_id = 0;
    std::optional<uint32_t> opk_id;
    Bytes encode() const;
    static std::optional<InitHeader> decode(ByteView b);
};

Array<32> first_message_id(const InitHeader& h);

// One side of the session as the other knows it: the pinned bundle and name.
struct Party {
    std::string_view user;
    const UserBundle& bundle;
};

Bytes associated_data(const Party& initiator, const Party& responder);

struct Initiated {
    SecretArray<32> sk;
    Bytes ad;
    InitHeader header;
    Array<32> spk_pub{};  // the responder's first ratchet key (Double Ratchet init)
};

// The initiator's side. nullopt when the signed prekey's signature does not
// verify under the responder's pinned RSA key, or a DH fails (bad point).
// `self_box` must be the key whose public half is in self.bundle.
std::optional<Initiated> initiate(const crypto::X25519Key& self_box, const Party& self,
                                  const Party& peer, const PrekeyBundle& bundle);
// The same with a given ephemeral key (known-answer tests only).
std::optional<Initiated> initiate_with(const crypto::X25519Key& self_box, const Party& self,
                                       const Party& peer, const PrekeyBundle& bundle,
                                       const crypto::X25519Key& ephemeral);

struct Responded {
    SecretArray<32> sk;
    Bytes ad;
};

// The responder's side, given the private prekeys the header names (the
// caller looks them up by id: `opk` must be non-null exactly when the header
// names one). nullopt when the header's identity key is not the initiator's
// pinned box key, the OPK presence disagrees with the header, or a DH fails.
// The caller refuses a seen first_message_id before calling, and deletes
// the used OPK once the session is stored.
std::optional<Responded> respond(const crypto::X25519Key& self_box, const Party& self,
                                 const Party& peer, const InitHeader& header,
                                 const crypto::X25519Key& spk, const crypto::X25519Key* opk);

}  // namespace tacit::x3dh
