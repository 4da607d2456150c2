// End-to-end envelopes (tacit-protocol(7), END-TO-END PAYLOAD):
// enc_msg = AES-256-GCM_{K'}(formatted_message), wrapped_key =
// ECIES("wrap", recipient_box_pub, K'). The sender signs every field plus
// the wrapped key, so neither the server nor another member can re-address
// or forge a message.
#pragma once
#include <optional>
#include <string>

#include "shared/keys.hpp"
#include "shared/messages.hpp"
#include "tui/client/events.hpp"

namespace tacit::client {

struct Envelope {
    Bytes enc_msg;
    Bytes wrapped_key;
    ChatMessage record;  // what we store in our own history
};

// A group message carries the sender's chain position (stamp).
Envelope seal_envelope(const UserIdentity& me, const std::string& me_name, const std::string& to,
                       const std::string& group, const UserBundle& to_bundle,
                       const std::string& body, const Array<16>& msg_id, uint64_t sent_at_ms,
                       const msg::GroupStamp& stamp = {});

// Opened but not yet verified against the sender's key.
struct OpenedEnvelope {
    msg::FormattedMessage fm;
    Bytes sig_input;
    Bytes sig;
};

// nullopt with *problem set when it does not decrypt or parse, or when the
// header disagrees with the stored record (sender, recipient, group).
std::optional<OpenedEnvelope> open_envelope(const UserIdentity& me, const std::string& me_name,
                                            const msg::Stored& st, std::string* problem);
// The formatted_message's fields, and the whole plaintext signed by me
// over formatted_sig_input(fields, wrapped): the ECIES-wrapped key for a
// group message, empty for a direct message under the ratchet.
msg::FormattedMessage make_formatted(const std::string& me_name, const std::string& to, const std::string& group,
                                     const std::string& body, const Array<16>& msg_id, uint64_t sent_at_ms);
Secret signed_formatted(const UserIdentity& me, const msg::FormattedMessage& fm, ByteView wrapped);
// Parses an opened plaintext and checks it against the stored record.
std::optional<OpenedEnvelope> parse_formatted(const Secret& pt, ByteView wrapped, const std::string& me_name,
                                              const msg::Stored& st, std::string* problem);
bool verify_envelope(const OpenedEnvelope& o, const UserBundle& sender);

ChatMessage to_chat(const msg::FormattedMessage& fm);

}  // namespace tacit::client
