#include "shared/messages_session.hpp"

namespace tacit::msg {

void HelloR::encode(Writer& w) const { w.nonce(nonce).raw(server_random).raw(server_eph_pub); }
HelloR HelloR::decode(Reader& r) {
    HelloR m;
    m.nonce = r.nonce();
    m.server_random = r.fixed<32>();
    m.server_eph_pub = r.fixed<32>();
    return m;
}

void Online::encode(Writer& w) const { w.token(token).nonce(nonce); }
Online Online::decode(Reader& r) {
    Online m;
    m.token = r.token();
    m.nonce = r.nonce();
    return m;
}

void OnlineR::encode(Writer& w) const {
    w.nonce(nonce).u32(uint32_t(users.size()));
    for (const auto& u : users) w.str(u);
}
OnlineR OnlineR::decode(Reader& r) {
    OnlineR m;
    m.nonce = r.nonce();
    uint32_t n = r.count(2);
    m.users.reserve(n);
    for (uint32_t i = 0; i < n; ++i) m.users.push_back(read_name(r));
    return m;
}

void Ping::encode(Writer& w) const { w.nonce(nonce); }
Ping Ping::decode(Reader& r) { return {r.nonce()}; }

void Pong::encode(Writer& w) const { w.nonce(nonce); }
Pong Pong::decode(Reader& r) { return {r.nonce()}; }

// Kind 4 carries str group after count; the other kinds end at count
// (tacit-protocol(7), NOTIFY AND PING).
void Notify::encode(Writer& w) const {
    w.u8(what).u32(count);
    if (what == proto::NOTIFY_GROUP_RECORDS) w.str(group);
}
Notify Notify::decode(Reader& r) {
    Notify m;
    m.what = r.u8();
    m.count = r.u32();
    if (m.what == proto::NOTIFY_GROUP_RECORDS) m.group = read_name(r);
    return m;
}

void Error::encode(Writer& w) const { w.nonce(nonce).u8(status).str(msg); }
Error Error::decode(Reader& r) {
    Error m;
    m.nonce = r.nonce();
    m.status = r.u8();
    m.msg = read_text(r);
    return m;
}

}  // namespace tacit::msg
