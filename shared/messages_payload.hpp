// What travels inside enc_msg (tacit-protocol(7), END-TO-END PAYLOAD
// and STORED MESSAGES): the end-to-end formatted_message the server can't
// read, and the server-signed system entry for membership events.
#pragma once
#include <string_view>

#include "shared/messages_common.hpp"

namespace tacit::msg {

struct DecodedFormatted;

// The group stamp (tacit-protocol(7), END-TO-END PAYLOAD): the epoch and
// head of the sender's verified chain when it sent, u64 epoch | head[32].
// Signed with the rest, so a recipient can tell whether the sender was a
// member at that point of the chain.
struct GroupStamp {
    uint64_t epoch = 0;
    Array<32> head{};
    bool operator==(const GroupStamp&) const = default;
};

// formatted_message = u8 version=1 | msg_id[16] | str sender | str recipient |
//                     str group | [stamp, iff group is not empty] |
//                     u64 sent_at_ms | blob body | sig
struct FormattedMessage {
    static constexpr uint8_t kVersion = 1;
    uint8_t version = kVersion;
    Array<16> msg_id{};
    std::string sender;
    std::string recipient;  // always the individual, also in groups
    std::string group;      // empty outside groups
    GroupStamp stamp;       // on the wire only in group messages
    uint64_t sent_at_ms = 0;
    Bytes body;  // UTF-8, at most proto::kMaxBody
    // Every field before sig: the "fields" of formatted_sig_input.
    void encode_unsigned(Writer&) const;
    // The whole plaintext: encode_unsigned | sig.
    Bytes encode(ByteView sig) const;
    // Decodes the whole plaintext (trailing bytes and version != 1 rejected).
    static DecodedFormatted decode(ByteView plaintext);
    bool operator==(const FormattedMessage&) const = default;
};

struct DecodedFormatted {
    FormattedMessage m;
    size_t signed_len = 0;  // bytes of plaintext before sig
    Bytes sig;
};

// "tacit v2 msg" | fields_before_sig | blob wrapped_key
Bytes formatted_sig_input(ByteView fields_before_sig, ByteView wrapped_key);

// A group message's one signature, over the message as a whole, whoever
// receives it (tacit-protocol(7), GROUP MESSAGES): "tacit v2 group msg" |
// msg_id[16] | str sender | str group | u64 epoch | head[32] |
// u64 sent_at_ms | blob body. The recipient is bound by the pairwise
// ratchet session the copy travels on, not by the signature.
Bytes group_sig_input(const FormattedMessage& fm);

// enc_msg of a STORED_SYSTEM item = str text | sig (the server's).
// text is "EVENT ACTOR SUBJECT", e.g. "added alice carol".
struct SystemEntry {
    std::string text;
    Bytes sig;
    void encode(Writer&) const;
    Bytes encode() const;
    static SystemEntry decode(Reader&);
    // The whole enc_msg, consumed exactly.
    static SystemEntry decode(ByteView enc_msg);
    bool operator==(const SystemEntry&) const = default;
};

}  // namespace tacit::msg
