// Key establishment shared by HELLO, RESUME and RENEW2 (tacit-protocol(7),
// HANDSHAKE and KEY RENEWAL AND RESUME). The client offers (session_key, session_iv, nonce[, token]) in an
// ECIES to the server's box key; the server answers with fresh randomness and
// an ephemeral X25519 key, and both derive direction keys from
// session_key | X25519(client_eph, server_eph).
#pragma once
#include <optional>
#include <string>
#include <string_view>

#include "shared/bytes.hpp"
#include "shared/channel.hpp"
#include "shared/crypto.hpp"

namespace tacit {

struct KeyOffer {
    std::optional<Token> token;  // RESUME and RENEW2 only
    SecretArray<32> session_key;
    Array<12> session_iv{};
    Nonce nonce{};

    static KeyOffer fresh(std::optional<Token> token = std::nullopt);
    Secret encode() const;
    static std::optional<KeyOffer> decode(ByteView plaintext, bool with_token);
};

// What the server sends back (HELLO_R / RENEW2_R fields) and keeps.
struct ServerKeys {
    Nonce nonce{};
    Array<32> server_random{};
    Array<32> server_eph_pub{};
    Channel channel;
    Array<32> session_id{};
};

// Client side of an offer in flight.
struct ClientOffer {
    KeyOffer offer;
    crypto::X25519Key eph;  // ECIES ephemeral, reused for `ee`
    Bytes ecies;            // the 108/140-byte ECIES value
};

ClientOffer make_offer(std::string_view label, ByteView server_box_pub, KeyOffer offer);

// Plaintext HELLO / RESUME frame bodies: "TACT" | version | kind | ecies.
Bytes plain_frame_body(uint8_t kind, ByteView payload);

// REFUSED (tacit-protocol(7) FRAMING): "TACT" | version | 5 | str reason,
// the server's answer to a first frame of another protocol version.
constexpr size_t kMaxRefusalReason = 200;
Bytes refusal_body(std::string_view reason);
// The reason of a REFUSED frame of any version, non-printable bytes shown
// as '?'; nullopt when body is not one. It is unauthenticated: it may only
// end a connection attempt, never change what the client trusts.
std::optional<std::string> parse_refusal(ByteView body);

// The server opened `offer` from an ECIES whose first 32 bytes are the
// client's ephemeral key; id_input is HELLO/RESUME body or RENEW2's ECIES.
// nullopt when `ee` is all zero.
std::optional<ServerKeys> server_establish(const KeyOffer& offer, ByteView client_eph_pub,
                                           ByteView id_input);

// The client's half once HELLO_R / RENEW2_R arrived. nullopt if ee is zero.
struct ClientKeys {
    Channel channel;
    Array<32> session_id{};
};
std::optional<ClientKeys> client_establish(const ClientOffer& co, const Array<32>& server_random,
                                           const Array<32>& server_eph_pub, ByteView id_input);

// The preliminary frame (tacit-protocol(7), HELLO_R): the server's first
// sealed reply, HELLO_R, RESUME's RENEW2_R or its padded ERROR. Its body is
// prelim_random[32] | AES-256-GCM_k0(plaintext) | tag[16], IV = session_iv,
// AAD = the frame's length prefix, under
//   k0 = HKDF(session_key, salt = session_iv | prelim_random, "tacit v2 s2c0").
// prelim_random is fresh per reply, so a replayed HELLO or RESUME never has
// the server seal two plaintexts under one key and IV.
constexpr size_t kPrelimRandomLen = 32;
Secret preliminary_key(const KeyOffer& offer, const Array<32>& prelim_random);
// The whole frame, length prefix included; seal_preliminary draws the
// randomness, the _with form takes it (test vectors).
Bytes seal_preliminary(const KeyOffer& offer, ByteView plaintext);
Bytes seal_preliminary_with(const KeyOffer& offer, const Array<32>& prelim_random, ByteView plaintext);
// Opens a preliminary frame's body (without its prefix); nullopt when it
// is too short or does not open.
std::optional<Secret> open_preliminary(const KeyOffer& offer, ByteView body);

}  // namespace tacit
