#include "shared/messages_payload.hpp"

namespace tacit::msg {

void FormattedMessage::encode_unsigned(Writer& w) const {
    w.u8(version).raw(msg_id).str(sender).str(recipient).str(group);
    if (!group.empty()) w.u64(stamp.epoch).raw(stamp.head);
    w.u64(sent_at_ms).blob(body);
}

Bytes FormattedMessage::encode(ByteView sig) const {
    Writer w;
    encode_unsigned(w);
    w.sig(sig);
    return w.take();
}

DecodedFormatted FormattedMessage::decode(ByteView plaintext) {
    Reader r(plaintext);
    DecodedFormatted d;
    FormattedMessage& m = d.m;
    m.version = r.u8();
    if (m.version != kVersion) throw WireError(WireError::Invalid, "unknown message version");
    m.msg_id = r.fixed<16>();
    m.sender = read_name(r);
    m.recipient = read_name(r);
    m.group = read_name(r);
    if (!m.group.empty()) {
        m.stamp.epoch = r.u64();
        m.stamp.head = r.fixed<32>();
    }
    m.sent_at_ms = r.u64();
    m.body = r.blob(limit::kBody);
    d.signed_len = r.pos();
    d.sig = read_sig(r);
    r.finish();
    return d;
}

Bytes formatted_sig_input(ByteView fields_before_sig, ByteView wrapped_key) {
    Writer w;
    w.raw(as_bytes("tacit v2 msg")).raw(fields_before_sig).blob(wrapped_key);
    return w.take();
}

Bytes group_sig_input(const FormattedMessage& fm) {
    Writer w;
    w.raw(as_bytes("tacit v2 group msg")).raw(fm.msg_id).str(fm.sender).str(fm.group);
    w.u64(fm.stamp.epoch).raw(fm.stamp.head).u64(fm.sent_at_ms).blob(fm.body);
    return w.take();
}

void SystemEntry::encode(Writer& w) const { w.str(text).sig(sig); }
Bytes SystemEntry::encode() const {
    Writer w;
    encode(w);
    return w.take();
}
SystemEntry SystemEntry::decode(Reader& r) {
    SystemEntry e;
    e.text = read_text(r);
    e.sig = read_sig(r);
    return e;
}
SystemEntry SystemEntry::decode(ByteView enc_msg) {
    Reader r(enc_msg);
    SystemEntry e = decode(r);
    r.finish();
    return e;
}

}  // namespace tacit::msg
