#include "shared/messages_prekey.hpp"

namespace tacit::msg {

namespace {
// An encoded bundle (shared/x3dh.hpp) is under 500 bytes.
constexpr size_t kMaxBundleBlob = 1024;
constexpr size_t kOpkItem = 4 + 32;
}  // namespace

void PrekeySet::encode(Writer& w) const {
    w.u32(spk.id).u64(spk.created).raw(spk.pub).sig(spk.sig);
    if (opks.size() > 65535) throw WireError(WireError::TooLarge, "too many one-time prekeys");
    w.u16(uint16_t(opks.size()));
    for (const auto& o : opks) w.u32(o.id).raw(o.pub);
}
PrekeySet PrekeySet::decode(Reader& r) {
    PrekeySet m;
    m.spk.id = r.u32();
    m.spk.created = r.u64();
    m.spk.pub = r.fixed<32>();
    m.spk.sig = read_sig(r);
    const uint16_t n = r.u16();
    // Each item is 36 bytes: a count the frame cannot hold fails before
    // anything is allocated.
    if (size_t(n) * kOpkItem > r.remaining()) throw WireError(WireError::Incomplete, "one-time prekeys truncated");
    m.opks.reserve(n);
    for (uint16_t i = 0; i < n; ++i) {
        PrekeyOpk o;
        o.id = r.u32();
        o.pub = r.fixed<32>();
        m.opks.push_back(o);
    }
    return m;
}

void PrekeyUpload::encode(Writer& w) const {
    w.token(token).nonce(nonce);
    prekeys.encode(w);
}
PrekeyUpload PrekeyUpload::decode(Reader& r) {
    PrekeyUpload m;
    m.token = r.token();
    m.nonce = r.nonce();
    m.prekeys = PrekeySet::decode(r);
    return m;
}

void PrekeyUploadR::encode(Writer& w) const { w.u8(status).str(msg).nonce(nonce).u32(pool); }
PrekeyUploadR PrekeyUploadR::decode(Reader& r) {
    PrekeyUploadR m;
    m.status = r.u8();
    m.msg = read_text(r);
    m.nonce = r.nonce();
    m.pool = r.u32();
    return m;
}

void PrekeyFetch::encode(Writer& w) const { w.token(token).str(target).nonce(nonce); }
PrekeyFetch PrekeyFetch::decode(Reader& r) {
    PrekeyFetch m;
    m.token = r.token();
    m.target = read_name(r);
    m.nonce = r.nonce();
    return m;
}

void PrekeyFetchR::encode(Writer& w) const { w.u8(status).str(msg).nonce(nonce).blob(bundle); }
PrekeyFetchR PrekeyFetchR::decode(Reader& r) {
    PrekeyFetchR m;
    m.status = r.u8();
    m.msg = read_text(r);
    m.nonce = r.nonce();
    m.bundle = r.blob(kMaxBundleBlob);
    return m;
}

}  // namespace tacit::msg
