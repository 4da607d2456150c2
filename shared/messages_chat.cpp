#include "shared/messages_chat.hpp"

namespace tacit::msg {

void Msg1::encode(Writer& w) const { w.token(token).str(target).nonce(nonce1); }
Msg1 Msg1::decode(Reader& r) {
    Msg1 m;
    m.token = r.token();
    m.target = read_name(r);
    m.nonce1 = r.nonce();
    return m;
}

void Msg1R::encode(Writer& w) const { w.blob(target_public_key).nonce(nonce1); }
Msg1R Msg1R::decode(Reader& r) {
    Msg1R m;
    m.target_public_key = r.blob(limit::kPublicKey);
    m.nonce1 = r.nonce();
    return m;
}

void Msg2::encode(Writer& w) const {
    w.nonce(nonce2).str(target).blob(enc_msg).blob(wrapped_key);
}
Msg2 Msg2::decode(Reader& r) {
    Msg2 m;
    m.nonce2 = r.nonce();
    m.target = read_name(r);
    m.enc_msg = r.blob(limit::kEncMsg);
    m.wrapped_key = r.blob(limit::kWrappedKey);
    return m;
}

void Msg2R::encode(Writer& w) const { w.str(msg).u8(status).nonce(nonce2); }
Msg2R Msg2R::decode(Reader& r) {
    Msg2R m;
    m.msg = read_text(r);
    m.status = r.u8();
    m.nonce2 = r.nonce();
    return m;
}

void Stored::encode(Writer& w) const {
    w.u64(id).u8(kind).str(sender).str(group).u64(received_at_ms).blob(enc_msg).blob(wrapped_key);
}
Stored Stored::decode(Reader& r) {
    Stored m;
    m.id = r.u64();
    m.kind = r.u8();
    m.sender = read_name(r);
    m.group = read_name(r);
    m.received_at_ms = r.u64();
    m.enc_msg = r.blob(limit::kEncMsg);
    m.wrapped_key = r.blob(limit::kWrappedKey);
    return m;
}

void Update1::encode(Writer& w) const { w.token(token).nonce(nonce1); }
Update1 Update1::decode(Reader& r) {
    Update1 m;
    m.token = r.token();
    m.nonce1 = r.nonce();
    return m;
}

void Update1R::encode(Writer& w) const {
    w.u32(uint32_t(messages.size()));
    for (const auto& s : messages) s.encode(w);
    w.nonce(nonce1).nonce(nonce2).u8(more);
}
Update1R Update1R::decode(Reader& r) {
    Update1R m;
    uint32_t n = r.count(Stored::kMinSize);
    m.messages.reserve(n);
    for (uint32_t i = 0; i < n; ++i) m.messages.push_back(Stored::decode(r));
    m.nonce1 = r.nonce();
    m.nonce2 = r.nonce();
    m.more = r.u8();
    return m;
}

void Update2::encode(Writer& w) const { w.nonce(nonce2); }
Update2 Update2::decode(Reader& r) { return {r.nonce()}; }

}  // namespace tacit::msg
