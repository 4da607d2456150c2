// The Double Ratchet for direct messages (issue 15), as in Signal's "The
// Double Ratchet Algorithm" (section 3, without header encryption), started
// from X3DH (shared/x3dh.hpp). Every direct message is sent under it
// (tui/client/dm.cpp, shared/direct_message.hpp); tacit-protocol(7), DIRECT
// MESSAGES, states these bytes.
//
// KDFs (integers big endian)
//   KDF_RK(rk, dh_out) = HKDF-SHA256(ikm = dh_out, salt = rk,
//                        info = "tacit v2 ratchet root", L = 64)
//                        -> new rk = bytes 0..31, chain key = bytes 32..63
//   KDF_CK(ck)         = message key mk = HMAC-SHA256(ck, 0x01),
//                        next ck        = HMAC-SHA256(ck, 0x02)
//   Message AEAD       = HKDF-SHA256(ikm = mk, salt = 0x00 * 32,
//                        info = "tacit v2 message key", L = 44)
//                        -> AES-256-GCM key = bytes 0..31, IV = bytes 32..43
//   Every mk seals exactly one message and is wiped once used.
//
// Initialisation (Signal DR 3.3 with X3DH 3.3's SK, AD and SPK):
//   initiator: DHs = new key, DHr = SPK_B,
//              RK, CKs = KDF_RK(SK, X25519(DHs, SPK_B)), Ns = Nr = PN = 0
//   responder: DHs = SPK_B's key pair, RK = SK, no chains until the first
//              message arrives (it cannot send before that).
//
// Header (plain, 40 bytes): dh_pub[32] | u32 pn | u32 n
//   dh_pub = sender's current ratchet key, pn = length of its previous
//   sending chain, n = this message's number in the current chain.
// Message: header[40] | AES-256-GCM ciphertext | tag[16]
// AAD:     str "tacit v2 message" | blob AD | u8 sender_role | header[40]
//   AD is X3DH's (both users' names and identity bundles, initiator first);
//   sender_role 1 = initiator, 2 = responder, so the AAD names which of the
//   two pinned identities sent the message.
//
// Headers are not encrypted (decision). The header-encryption variant
// (Signal DR 4) hides dh_pub, pn and n; without it a server or a recorded
// transcript sees, per message: the sender's ratchet public key (so when
// the DH ratchet turned, i.e. how the conversation alternated), the message
// number in its chain and the previous chain's length (so how many messages
// each turn held and whether some are missing). It already sees who sends
// to whom, when and how long each message is, so header encryption would
// hide little, and it would cost a second trial decryption per message and a
// harder duplicate check. Nothing in the header is secret: contents and
// keys stay protected either way.
//
// Sender authentication comes from X3DH: DH1 binds the initiator's identity
// key and DH2 the responder's, so only the two pinned identities can derive
// the chains, and the AAD says which of them sent a message. No signature
// per message is needed for that; tacit keeps the RSA signature inside the
// plaintext all the same (non-repudiation, and no forging from a stolen
// local store: tacit-protocol(7), DIRECT MESSAGES, Decisions). Until the initiator has received a reply it sends
// x3dh::InitHeader with every message, so the responder can start the
// session from whichever arrives first (X3DH 3.3).
//
// Skipped message keys: a header may skip at most kMaxSkip (1000) keys in a
// chain (more is refused, state unchanged); at most 1000 are kept per chain
// and 2000 per session, the oldest dropped first; each is deleted 30 days
// after it was stored (`now`, Unix seconds, from the caller).
//
// Duplicates: duplicate_key(header) = dh_pub[32] | u32 n, which with the
// sender's name identifies a message; the caller drops a seen one before
// decrypting (a used key is gone, so decrypting it again fails).
//
// Serialized session state (kept only in the encrypted local store):
//   str "tacit v2 ratchet state" | u8 role | blob AD (<= 8192)
//   | rk[32] | dhs_priv[32] | u8 0 | u8 1 dhr_pub[32]
//   | u8 0 | u8 1 cks[32] | u8 0 | u8 1 ckr[32] | u32 ns | u32 nr | u32 pn
//   | u32 count (<= 2000) | count * (dh_pub[32] | u32 n | u64 stored | mk[32])
// Skipped keys are listed oldest first. dhs_pub is recomputed from dhs_priv.
#pragma once
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string_view>

#include "shared/bytes.hpp"
#include "shared/crypto.hpp"

namespace tacit::ratchet {

inline constexpr std::string_view kRootInfo = "tacit v2 ratchet root";
inline constexpr std::string_view kMessageKeyInfo = "tacit v2 message key";
inline constexpr std::string_view kAadLabel = "tacit v2 message";
inline constexpr std::string_view kStateLabel = "tacit v2 ratchet state";
inline constexpr uint32_t kMaxSkip = 1000;          // per chain
inline constexpr size_t kMaxSkippedPerChain = 1000;
inline constexpr size_t kMaxSkippedPerSession = 2000;
inline constexpr uint64_t kSkippedLifetime = 30ull * 24 * 3600;  // seconds
inline constexpr size_t kHeaderLen = 40, kTagLen = 16;
inline constexpr size_t kMaxAd = 8192;

enum class Role : uint8_t { Initiator = 1, Responder = 2 };

struct Header {
    Array<32> dh{};
    uint32_t pn = 0;
    uint32_t n = 0;
    Array<kHeaderLen> encode() const;
    static std::optional<Header> decode(ByteView b);  // exactly 40 bytes
};

Bytes duplicate_key(const Header& h);

// The header of a message (its first 40 bytes); nullopt if too short.
std::optional<Header> message_header(ByteView message);

enum class DecryptStatus {
    Ok,
    Malformed,   // shorter than header + tag
    KeyGone,     // an earlier number in the current chain: used, expired or dropped
    TooFarAhead, // would skip more than kMaxSkip keys
    BadKey,      // the header's ratchet key is not a usable X25519 point
    AuthFailed,  // the keys derived do not open it (forged, or from a chain we no longer have)
};
std::string_view describe(DecryptStatus s);

struct Decrypted {
    DecryptStatus status = DecryptStatus::Malformed;
    Secret plaintext;  // set only when status is Ok
};

// Ratchet key pairs come from here; tests pass a fixed sequence to get
// known answers. Defaults to crypto::X25519Key::generate.
using KeyGen = std::function<crypto::X25519Key()>;

class Session {
public:
    // X3DH's initiator (x3dh::Initiated: sk, ad, spk_pub).
    static Session initiator(const SecretArray<32>& sk, ByteView ad, const Array<32>& peer_spk,
                             KeyGen keygen = {});
    // X3DH's responder, with the signed prekey's key pair the header named.
    static Session responder(const SecretArray<32>& sk, ByteView ad, const crypto::X25519Key& spk,
                             KeyGen keygen = {});

    // The message (layout above), or nullopt when there is no sending chain
    // yet (a responder that has received nothing) or the chain is exhausted.
    std::optional<Bytes> encrypt(ByteView plaintext);
    // State changes only when the message opens (Signal DR 3.5's advice: a
    // forged or garbled message leaves the session as it was). Expires old
    // skipped keys first.
    Decrypted decrypt(ByteView message, uint64_t now);
    // Deletes skipped keys stored kSkippedLifetime or more before `now`.
    void expire(uint64_t now);

    Role role() const { return role_; }
    size_t skipped_count() const { return skipped_.size(); }
    bool can_send() const { return cks_.has_value(); }

    Secret serialize() const;
    // nullopt on anything malformed or out of bounds; never throws on
    // hostile bytes. The key generator is not part of the state.
    static std::optional<Session> deserialize(ByteView b, KeyGen keygen = {});

private:
    struct Skipped {
        Array<32> dh{};
        uint32_t n = 0;
        uint64_t stored = 0;
        SecretArray<32> mk;
    };
    Session() = default;
    Bytes aad(Role sender, const Array<kHeaderLen>& header) const;
    std::optional<Secret> open(const SecretArray<32>& mk, Role sender, const Header& h,
                               ByteView ct) const;
    Decrypted decrypt_skipped(std::deque<Skipped>::iterator it, const Header& h, ByteView ct);
    Decrypted decrypt_current(const Header& h, ByteView ct, uint64_t now);
    Decrypted decrypt_new_chain(const Header& h, ByteView ct, uint64_t now);
    void store_skipped(std::deque<Skipped>&& fresh);
    Role peer_role() const { return role_ == Role::Initiator ? Role::Responder : Role::Initiator; }

    Role role_ = Role::Initiator;
    Bytes ad_;
    SecretArray<32> rk_;
    crypto::X25519Key dhs_;
    std::optional<Array<32>> dhr_;
    std::optional<SecretArray<32>> cks_, ckr_;
    uint32_t ns_ = 0, nr_ = 0, pn_ = 0;
    std::deque<Skipped> skipped_;  // oldest first
    KeyGen keygen_;
};

}  // namespace tacit::ratchet
