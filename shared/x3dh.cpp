// X3DH (layouts and KDF inputs in shared/x3dh.hpp).
#include "shared/x3dh.hpp"

#include "shared/wire.hpp"

namespace tacit::x3dh {

namespace {

// Signal X3DH 2.2: F domain-separates the KDF input from XEdDSA's use of
// the same curve; kept although tacit signs with RSA, so the KDF is exactly
// the specification's.
constexpr size_t kF = 32;

std::optional<uint32_t> read_optional_id(Reader& r) {
    switch (r.u8()) {
        case 0: return std::nullopt;
        case 1: return r.u32();
        default: throw WireError(WireError::Invalid, "bad presence byte");
    }
}

// Appends X25519(priv, pub) to km; false when the DH fails.
bool append_dh(Secret& km, size_t& at, const crypto::X25519Key& priv, ByteView pub) {
    auto s = crypto::x25519(priv.priv, pub);
    if (!s) return false;
    std::copy(s->a.begin(), s->a.end(), km.data() + at);
    at += 32;
    return true;
}

// km holds F followed by room for the DH outputs; `used` bytes are filled.
SecretArray<32> kdf(const Secret& km, size_t used) {
    Array<32> zero_salt{};
    Secret out = crypto::hkdf_sha256(km.view().first(used), zero_salt, as_bytes(kKdfInfo), 32);
    SecretArray<32> sk;
    std::copy(out.data(), out.data() + 32, sk.a.begin());
    return sk;
}

Secret new_km() {
    Secret km(kF + 4 * 32);
    std::fill(km.data(), km.data() + kF, uint8_t(0xFF));
    return km;
}

}  // namespace

Bytes signed_prekey_message(std::string_view user, uint32_t id, uint64_t created, ByteView pub) {
    Writer w;
    w.str(kSpkLabel).str(user).u32(id).u64(created).raw(pub);
    return w.take();
}

SignedPrekey sign_prekey(const crypto::PkKey& identity, std::string_view user, uint32_t id,
                         uint64_t created, const Array<32>& pub) {
    SignedPrekey s{id, created, pub, {}};
    s.sig = identity.sign(signed_prekey_message(user, id, created, pub));
    return s;
}

bool verify_prekey(const SignedPrekey& spk, const crypto::PkKey& identity, std::string_view user) {
    if (identity.type() != crypto::PkKey::Type::Rsa || spk.sig.size() != kRsaSigLen) return false;
    return identity.verify(signed_prekey_message(user, spk.id, spk.created, spk.pub), spk.sig);
}

Bytes PrekeyBundle::encode() const {
    Writer w;
    w.u8(kBundleTag).u32(spk.id).u64(spk.created).raw(spk.pub).sig(spk.sig);
    if (opk)
        w.u8(1).u32(opk->id).raw(opk->pub);
    else
        w.u8(0);
    return w.take();
}

std::optional<PrekeyBundle> PrekeyBundle::decode(ByteView b) {
    try {
        Reader r(b);
        if (r.u8() != kBundleTag) return std::nullopt;
        PrekeyBundle out;
        out.spk.id = r.u32();
        out.spk.created = r.u64();
        out.spk.pub = r.fixed<32>();
        out.spk.sig = r.sig();
        if (out.spk.sig.size() != kRsaSigLen) return std::nullopt;
        if (auto id = read_optional_id(r)) out.opk = OneTimePrekey{*id, r.fixed<32>()};
        r.finish();
        if (!crypto::x25519_pub_valid(out.spk.pub)) return std::nullopt;
        if (out.opk && !crypto::x25519_pub_valid(out.opk->pub)) return std::nullopt;
        return out;
    } catch (const WireError&) {
        return std::nullopt;
    }
}

Bytes InitHeader::encode() const {
    Writer w;
    w.u8(kHeaderTag).raw(ik).raw(ek).u32(spk_id);
    if (opk_id)
        w.u8(1).u32(*opk_id);
    else
        w.u8(0);
    return w.take();
}

std::optional<InitHeader> InitHeader::decode(ByteView b) {
    try {
        Reader r(b);
        if (r.u8() != kHeaderTag) return std::nullopt;
        InitHeader h;
        h.ik = r.fixed<32>();
        h.ek = r.fixed<32>();
        h.spk_id = r.u32();
        h.opk_id = read_optional_id(r);
        r.finish();
        if (!crypto::x25519_pub_valid(h.ik) || !crypto::x25519_pub_valid(h.ek)) return std::nullopt;
        return h;
    } catch (const WireError&) {
        return std::nullopt;
    }
}

Array<32> first_message_id(const InitHeader& h) {
    Writer w;
    w.str(kFirstIdLabel).raw(h.ik).raw(h.ek);
    return crypto::sha256(w.bytes());
}

Bytes associated_data(const Party& initiator, const Party& responder) {
    Writer w;
    w.str(kAdLabel)
        .str(initiator.user)
        .blob(initiator.bundle.encode())
        .str(responder.user)
        .blob(responder.bundle.encode());
    return w.take();
}

std::optional<Initiated> initiate(const crypto::X25519Key& self_box, const Party& self,
                                  const Party& peer, const PrekeyBundle& bundle) {
    return initiate_with(self_box, self, peer, bundle, crypto::X25519Key::generate());
}

std::optional<Initiated> initiate_with(const crypto::X25519Key& self_box, const Party& self,
                                       const Party& peer, const PrekeyBundle& bundle,
                                       const crypto::X25519Key& ek) {
    auto rsa = crypto::PkKey::parse_public_der(peer.bundle.rsa_der);
    if (!rsa || !verify_prekey(bundle.spk, *rsa, peer.user)) return std::nullopt;
    Secret km = new_km();
    size_t at = kF;
    if (!append_dh(km, at, self_box, bundle.spk.pub) || !append_dh(km, at, ek, peer.bundle.box_pub) ||
        !append_dh(km, at, ek, bundle.spk.pub))
        return std::nullopt;
    if (bundle.opk && !append_dh(km, at, ek, bundle.opk->pub)) return std::nullopt;
    Initiated out;
    out.sk = kdf(km, at);
    out.ad = associated_data(self, peer);
    out.header.ik = self_box.pub;
    out.header.ek = ek.pub;
    out.header.spk_id = bundle.spk.id;
    if (bundle.opk) out.header.opk_id = bundle.opk->id;
    out.spk_pub = bundle.spk.pub;
    return out;
}

std::optional<Responded> respond(const crypto::X25519Key& self_box, const Party& self,
                                 const Party& peer, const InitHeader& h,
                                 const crypto::X25519Key& spk, const crypto::X25519Key* opk) {
    // Public values: an ordinary comparison leaks nothing secret.
    if (h.ik != peer.bundle.box_pub) return std::nullopt;
    if (h.opk_id.has_value() != (opk != nullptr)) return std::nullopt;
    Secret km = new_km();
    size_t at = kF;
    if (!append_dh(km, at, spk, h.ik) || !append_dh(km, at, self_box, h.ek) ||
        !append_dh(km, at, spk, h.ek))
        return std::nullopt;
    if (opk && !append_dh(km, at, *opk, h.ek)) return std::nullopt;
    Responded out;
    out.sk = kdf(km, at);
    out.ad = associated_data(peer, self);
    return out;
}

}  // namespace tacit::x3dh
