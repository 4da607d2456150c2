// The end-to-end payload (tacit-protocol(7), END-TO-END PAYLOAD): the
// formatted_message every direct and group message carries inside its
// pairwise ratchet message (DIRECT MESSAGES, GROUP MESSAGES), and the
// sender's RSA signature over it.
#pragma once
#include <optional>
#include <string>

#include "shared/keys.hpp"
#include "shared/messages.hpp"
#include "tui/client/events.hpp"

namespace tacit::client {

// Opened but not yet verified against the sender's key.
struct OpenedEnvelope {
    msg::FormattedMessage fm;
    Bytes sig_input;
    Bytes sig;
};

msg::FormattedMessage make_formatted(const std::string& me_name, const std::string& to, const std::string& group,
                                     const std::string& body, const Array<16>& msg_id, uint64_t sent_at_ms);
// A direct message's whole plaintext, signed by me over
// formatted_sig_input(fields, empty wrapped key).
Secret signed_formatted(const UserIdentity& me, const msg::FormattedMessage& fm);
// A group message's one signature (msg::group_sig_input): fm's recipient
// is not covered, so one signature serves every member's copy.
Bytes group_signature(const UserIdentity& me, const msg::FormattedMessage& fm);
// Parses an opened plaintext and checks it against the stored record: the
// sender, us as recipient, and the group (empty for a direct message, so
// neither kind passes for the other). sig_input is the direct or the group
// form by the group field.
std::optional<OpenedEnvelope> parse_formatted(const Secret& pt, const std::string& me_name, const msg::Stored& st,
                                              std::string* problem);
bool verify_envelope(const OpenedEnvelope& o, const UserBundle& sender);

ChatMessage to_chat(const msg::FormattedMessage& fm);

}  // namespace tacit::client
