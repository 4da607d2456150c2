#include "tui/client/e2e.hpp"

#include "shared/crypto.hpp"
#include "shared/names.hpp"
#include "shared/protocol.hpp"
#include "shared/wire.hpp"

namespace tacit::client {

msg::FormattedMessage make_formatted(const std::string& me_name, const std::string& to, const std::string& group,
                                     const std::string& body, const Array<16>& msg_id, uint64_t sent_at_ms) {
    msg::FormattedMessage fm;
    fm.msg_id = msg_id;
    fm.sender = me_name;
    fm.recipient = to;
    fm.group = group;
    fm.sent_at_ms = sent_at_ms;
    fm.body.assign(body.begin(), body.end());
    return fm;
}

Secret signed_formatted(const UserIdentity& me, const msg::FormattedMessage& fm) {
    Writer w;
    fm.encode_unsigned(w);
    auto sig = me.sign.sign(msg::formatted_sig_input(w.bytes(), {}));
    return Secret(fm.encode(sig));
}

Bytes group_signature(const UserIdentity& me, const msg::FormattedMessage& fm) {
    return me.sign.sign(msg::group_sig_input(fm));
}

std::optional<OpenedEnvelope> parse_formatted(const Secret& pt, const std::string& me_name, const msg::Stored& st,
                                              std::string* problem) {
    // The server names the sender; a name that isn't one (empty, say) is a
    // hostile or broken server, and must not reach the key lookups.
    if (!name_problem(st.sender).empty()) {
        *problem = "the server gave an invalid sender name";
        return std::nullopt;
    }
    try {
        auto d = msg::FormattedMessage::decode(pt);
        if (d.m.sender != st.sender || d.m.recipient != me_name || d.m.group != st.group) {
            *problem = "message header does not match its envelope";
            return std::nullopt;
        }
        OpenedEnvelope o;
        o.sig_input = d.m.group.empty() ? msg::formatted_sig_input(pt.view().first(d.signed_len), {})
                                        : msg::group_sig_input(d.m);
        o.sig = std::move(d.sig);
        o.fm = std::move(d.m);
        return o;
    } catch (const WireError& e) {
        *problem = std::string("malformed message: ") + e.what();
        return std::nullopt;
    }
}

bool verify_envelope(const OpenedEnvelope& o, const UserBundle& sender) {
    auto key = crypto::PkKey::parse_public_der(sender.rsa_der);
    return key && key->verify(o.sig_input, o.sig);
}

ChatMessage to_chat(const msg::FormattedMessage& fm) {
    ChatMessage m;
    m.id = to_hex(fm.msg_id);
    m.from = fm.sender;
    m.to = fm.recipient;
    m.group = fm.group;
    m.sent_at_ms = fm.sent_at_ms;
    m.body.assign(fm.body.begin(), fm.body.end());
    return m;
}

}  // namespace tacit::client
