#include "shared/messages_account.hpp"

namespace tacit::msg {

void Register::encode(Writer& w) const {
    w.str(user).blob(pass).blob(public_key).nonce(nonce);
    prekeys.encode(w);
}
Register Register::decode(Reader& r) {
    Register m;
    m.user = read_name(r);
    m.pass = r.blob(limit::kPass);
    m.public_key = r.blob(limit::kPublicKey);
    m.nonce = r.nonce();
    m.prekeys = PrekeySet::decode(r);
    return m;
}

void RegisterR::encode(Writer& w) const { w.nonce(nonce).str(msg).u8(status); }
RegisterR RegisterR::decode(Reader& r) {
    RegisterR m;
    m.nonce = r.nonce();
    m.msg = read_text(r);
    m.status = r.u8();
    return m;
}

void Renew1::encode(Writer& w) const { w.token(token).nonce(nonce); }
Renew1 Renew1::decode(Reader& r) {
    Renew1 m;
    m.token = r.token();
    m.nonce = r.nonce();
    return m;
}

void Renew1R::encode(Writer& w) const { w.nonce(nonce); }
Renew1R Renew1R::decode(Reader& r) { return {r.nonce()}; }

void Renew2::encode(Writer& w) const {
    // Raw, without a length: a wrong size would shift every later byte.
    if (ecies.size() != proto::kResumeEciesLen)
        throw WireError(WireError::Invalid, "RENEW2 ECIES must be 140 bytes");
    w.raw(ecies);
}
Renew2 Renew2::decode(Reader& r) { return {r.raw(proto::kResumeEciesLen)}; }

void Renew2R::encode(Writer& w) const {
    w.nonce(nonce).raw(server_random).raw(server_eph_pub);
}
Renew2R Renew2R::decode(Reader& r) {
    Renew2R m;
    m.nonce = r.nonce();
    m.server_random = r.fixed<32>();
    m.server_eph_pub = r.fixed<32>();
    return m;
}

void Renew3::encode(Writer& w) const {
    w.token(token).blob(pass).blob(public_key).nonce(nonce);
}
Renew3 Renew3::decode(Reader& r) {
    Renew3 m;
    m.token = r.token();
    m.pass = r.blob(limit::kPass);
    m.public_key = r.blob(limit::kPublicKey);
    m.nonce = r.nonce();
    return m;
}

void Renew3R::encode(Writer& w) const { w.nonce(nonce).str(msg).u8(status); }
Renew3R Renew3R::decode(Reader& r) {
    Renew3R m;
    m.nonce = r.nonce();
    m.msg = read_text(r);
    m.status = r.u8();
    return m;
}

void Login1::encode(Writer& w) const { w.str(user).nonce(nonce1); }
Login1 Login1::decode(Reader& r) {
    Login1 m;
    m.user = read_name(r);
    m.nonce1 = r.nonce();
    return m;
}

void Login1R::encode(Writer& w) const { w.nonce(nonce2).blob(salt); }
Login1R Login1R::decode(Reader& r) {
    Login1R m;
    m.nonce2 = r.nonce();
    m.salt = r.blob(limit::kSalt);
    return m;
}

void Login2::encode(Writer& w) const { w.blob(proof); }
Login2 Login2::decode(Reader& r) { return {r.blob(limit::kProof)}; }

void Login2R::encode(Writer& w) const { w.token(token).nonce(nonce1).u8(status).str(msg); }
Login2R Login2R::decode(Reader& r) {
    Login2R m;
    m.token = r.token();
    m.nonce1 = r.nonce();
    m.status = r.u8();
    m.msg = read_text(r);
    return m;
}

void Logout::encode(Writer& w) const { w.token(token); }
Logout Logout::decode(Reader& r) { return {r.token()}; }

}  // namespace tacit::msg
