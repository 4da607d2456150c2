// The Double Ratchet (layouts, KDFs and limits in shared/ratchet.hpp).
#include "shared/ratchet.hpp"

#include <algorithm>
#include <map>

#include "shared/wire.hpp"

namespace tacit::ratchet {

namespace {

constexpr size_t kSkippedItem = 32 + 4 + 8 + 32;  // dh_pub | n | stored | mk

struct RootStep {
    SecretArray<32> rk;
    SecretArray<32> ck;
};

template <size_t N> SecretArray<N> take(const Secret& s, size_t from) {
    SecretArray<N> out;
    std::copy(s.data() + from, s.data() + from + N, out.a.begin());
    return out;
}

RootStep kdf_rk(const SecretArray<32>& rk, const SecretArray<32>& dh_out) {
    Secret o = crypto::hkdf_sha256(dh_out, rk, as_bytes(kRootInfo), 64);
    return {take<32>(o, 0), take<32>(o, 32)};
}

// Returns the message key and advances ck (Signal DR 5.2 constants).
SecretArray<32> kdf_ck(SecretArray<32>& ck) {
    static const uint8_t kMk = 0x01, kCk = 0x02;
    SecretArray<32> mk;
    mk.a = crypto::hmac_sha256(ck, ByteView(&kMk, 1));
    Array<32> next = crypto::hmac_sha256(ck, ByteView(&kCk, 1));
    ck.a = next;
    wipe(next.data(), next.size());
    return mk;
}

// AES-256-GCM key | IV from one message key.
Secret aead_keys(const SecretArray<32>& mk) {
    Array<32> zero_salt{};
    return crypto::hkdf_sha256(mk, zero_salt, as_bytes(kMessageKeyInfo), 44);
}

std::optional<SecretArray<32>> read_opt_key(Reader& r) {
    switch (r.u8()) {
        case 0: return std::nullopt;
        case 1: {
            SecretArray<32> k;
            auto v = r.raw_view(32);
            std::copy(v.begin(), v.end(), k.a.begin());
            return k;
        }
        default: throw WireError(WireError::Invalid, "bad presence byte");
    }
}

void write_opt(Writer& w, const std::optional<SecretArray<32>>& k) {
    if (k)
        w.u8(1).raw(*k);
    else
        w.u8(0);
}

}  // namespace

Array<kHeaderLen> Header::encode() const {
    Array<kHeaderLen> out;
    std::copy(dh.begin(), dh.end(), out.begin());
    put_u32be(out.data() + 32, pn);
    put_u32be(out.data() + 36, n);
    return out;
}

std::optional<Header> Header::decode(ByteView b) {
    if (b.size() != kHeaderLen) return std::nullopt;
    Header h;
    std::copy(b.begin(), b.begin() + 32, h.dh.begin());
    h.pn = get_u32be(b.data() + 32);
    h.n = get_u32be(b.data() + 36);
    return h;
}

Bytes duplicate_key(const Header& h) {
    Writer w;
    w.raw(h.dh).u32(h.n);
    return w.take();
}

std::optional<Header> message_header(ByteView message) {
    if (message.size() < kHeaderLen) return std::nullopt;
    return Header::decode(message.first(kHeaderLen));
}

std::string_view describe(DecryptStatus s) {
    switch (s) {
        case DecryptStatus::Ok: return "ok";
        case DecryptStatus::Malformed: return "malformed message";
        case DecryptStatus::KeyGone: return "message key already used, expired or dropped";
        case DecryptStatus::TooFarAhead: return "too many skipped messages";
        case DecryptStatus::BadKey: return "bad ratchet key";
        case DecryptStatus::AuthFailed: return "authentication failed";
    }
    return "unknown";
}

Session Session::initiator(const SecretArray<32>& sk, ByteView ad, const Array<32>& peer_spk,
                           KeyGen keygen) {
    Session s;
    s.role_ = Role::Initiator;
    s.ad_.assign(ad.begin(), ad.end());
    s.keygen_ = keygen ? std::move(keygen) : KeyGen(crypto::X25519Key::generate);
    s.dhs_ = s.keygen_();
    s.dhr_ = peer_spk;
    auto dh = crypto::x25519(s.dhs_.priv, peer_spk);
    if (!dh) throw crypto::CryptoError("ratchet: bad prekey (X3DH should have refused it)", -1);
    RootStep st = kdf_rk(sk, *dh);
    s.rk_ = st.rk;
    s.cks_ = st.ck;
    return s;
}

Session Session::responder(const SecretArray<32>& sk, ByteView ad, const crypto::X25519Key& spk,
                           KeyGen keygen) {
    Session s;
    s.role_ = Role::Responder;
    s.ad_.assign(ad.begin(), ad.end());
    s.keygen_ = keygen ? std::move(keygen) : KeyGen(crypto::X25519Key::generate);
    s.dhs_ = spk;
    s.rk_ = sk;
    return s;
}

Bytes Session::aad(Role sender, const Array<kHeaderLen>& header) const {
    Writer w;
    w.str(kAadLabel).blob(ad_).u8(uint8_t(sender)).raw(header);
    return w.take();
}

std::optional<Bytes> Session::encrypt(ByteView plaintext) {
    if (!cks_ || ns_ == UINT32_MAX) return std::nullopt;
    Header h{dhs_.pub, pn_, ns_};
    Array<kHeaderLen> hb = h.encode();
    SecretArray<32> mk = kdf_ck(*cks_);
    ++ns_;
    Secret k = aead_keys(mk);
    Bytes ct = crypto::gcm_seal(k.view().first(32), k.view().subspan(32, 12), aad(role_, hb),
                                plaintext);
    Bytes out(hb.begin(), hb.end());
    out.insert(out.end(), ct.begin(), ct.end());
    return out;
}

std::optional<Secret> Session::open(const SecretArray<32>& mk, Role sender, const Header& h,
                                    ByteView ct) const {
    Secret k = aead_keys(mk);
    return crypto::gcm_open(k.view().first(32), k.view().subspan(32, 12), aad(sender, h.encode()),
                            ct);
}

void Session::expire(uint64_t now) {
    std::erase_if(skipped_, [now](const Skipped& s) {
        return now >= s.stored && now - s.stored >= kSkippedLifetime;
    });
}

Decrypted Session::decrypt(ByteView message, uint64_t now) {
    expire(now);
    auto h = message_header(message);
    if (!h || message.size() < kHeaderLen + kTagLen) return {DecryptStatus::Malformed, {}};
    ByteView ct = message.subspan(kHeaderLen);
    auto it = std::find_if(skipped_.begin(), skipped_.end(),
                           [&](const Skipped& s) { return s.n == h->n && s.dh == h->dh; });
    if (it != skipped_.end()) return decrypt_skipped(it, *h, ct);
    if (dhr_ && *dhr_ == h->dh) {
        if (!ckr_) return {DecryptStatus::AuthFailed, {}};
        return decrypt_current(*h, ct, now);
    }
    return decrypt_new_chain(*h, ct, now);
}

Decrypted Session::decrypt_skipped(std::deque<Skipped>::iterator it, const Header& h,
                                   ByteView ct) {
    auto pt = open(it->mk, peer_role(), h, ct);
    // A forgery naming a stored key must not make us delete it.
    if (!pt) return {DecryptStatus::AuthFailed, {}};
    skipped_.erase(it);
    return {DecryptStatus::Ok, std::move(*pt)};
}

namespace {

// Signal DR 3.5 SkipMessageKeys on a copy: keys nr..until-1 of chain dh.
void skip_keys(SecretArray<32>& ck, uint32_t& nr, uint32_t until, const Array<32>& dh,
               uint64_t now, auto& fresh) {
    while (nr < until) {
        fresh.push_back({dh, nr, now, kdf_ck(ck)});
        ++nr;
    }
}

}  // namespace

Decrypted Session::decrypt_current(const Header& h, ByteView ct, uint64_t now) {
    if (h.n < nr_) return {DecryptStatus::KeyGone, {}};
    if (h.n - nr_ > kMaxSkip) return {DecryptStatus::TooFarAhead, {}};
    SecretArray<32> ck = *ckr_;
    uint32_t nr = nr_;
    std::deque<Skipped> fresh;
    skip_keys(ck, nr, h.n, h.dh, now, fresh);
    SecretArray<32> mk = kdf_ck(ck);
    auto pt = open(mk, peer_role(), h, ct);
    if (!pt) return {DecryptStatus::AuthFailed, {}};
    ckr_ = ck;
    nr_ = nr + 1;
    store_skipped(std::move(fresh));
    return {DecryptStatus::Ok, std::move(*pt)};
}

Decrypted Session::decrypt_new_chain(const Header& h, ByteView ct, uint64_t now) {
    std::deque<Skipped> fresh;
    // The rest of the old receiving chain, up to the sender's pn.
    if (ckr_ && dhr_) {
        if (h.pn > nr_ && h.pn - nr_ > kMaxSkip) return {DecryptStatus::TooFarAhead, {}};
        SecretArray<32> old = *ckr_;
        uint32_t nr = nr_;
        skip_keys(old, nr, h.pn, *dhr_, now, fresh);
    }
    if (h.n > kMaxSkip) return {DecryptStatus::TooFarAhead, {}};
    auto dh_recv = crypto::x25519(dhs_.priv, h.dh);
    if (!dh_recv) return {DecryptStatus::BadKey, {}};
    RootStep recv = kdf_rk(rk_, *dh_recv);
    uint32_t nr = 0;
    skip_keys(recv.ck, nr, h.n, h.dh, now, fresh);
    SecretArray<32> mk = kdf_ck(recv.ck);
    auto pt = open(mk, peer_role(), h, ct);
    if (!pt) return {DecryptStatus::AuthFailed, {}};
    // Opened: the second half of the DH ratchet step, then commit.
    crypto::X25519Key next = keygen_();
    auto dh_send = crypto::x25519(next.priv, h.dh);
    if (!dh_send) return {DecryptStatus::BadKey, {}};
    RootStep send = kdf_rk(recv.rk, *dh_send);
    pn_ = ns_;
    ns_ = 0;
    nr_ = nr + 1;
    dhr_ = h.dh;
    ckr_ = recv.ck;
    rk_ = send.rk;
    cks_ = send.ck;
    dhs_ = next;
    store_skipped(std::move(fresh));
    return {DecryptStatus::Ok, std::move(*pt)};
}

// Appends, then drops the oldest first until each chain keeps at most
// kMaxSkippedPerChain and the session kMaxSkippedPerSession.
void Session::store_skipped(std::deque<Skipped>&& fresh) {
    for (auto& s : fresh) skipped_.push_back(std::move(s));
    std::map<Array<32>, size_t> per_chain;
    for (const auto& s : skipped_) ++per_chain[s.dh];
    for (auto it = skipped_.begin(); it != skipped_.end();) {
        size_t& c = per_chain[it->dh];
        if (c > kMaxSkippedPerChain) {
            --c;
            it = skipped_.erase(it);
        } else {
            ++it;
        }
    }
    while (skipped_.size() > kMaxSkippedPerSession) skipped_.pop_front();
}

Secret Session::serialize() const {
    constexpr size_t kFixed = 2 + kStateLabel.size() + 1 + 4 + 32 + 32 + 3 * 33 + 4 * 4;
    Writer w;
    w.reserve(kFixed + ad_.size() + skipped_.size() * kSkippedItem);
    w.str(kStateLabel).u8(uint8_t(role_)).blob(ad_).raw(rk_).raw(dhs_.priv);
    if (dhr_)
        w.u8(1).raw(*dhr_);
    else
        w.u8(0);
    write_opt(w, cks_);
    write_opt(w, ckr_);
    w.u32(ns_).u32(nr_).u32(pn_).u32(uint32_t(skipped_.size()));
    for (const auto& s : skipped_) w.raw(s.dh).u32(s.n).u64(s.stored).raw(s.mk);
    if (w.size() > kFixed + ad_.size() + skipped_.size() * kSkippedItem)
        throw crypto::CryptoError("ratchet state larger than reserved", -1);
    Bytes b = w.take();
    Secret out(b);
    wipe(b.data(), b.size());
    return out;
}

std::optional<Session> Session::deserialize(ByteView b, KeyGen keygen) {
    try {
        Reader r(b);
        if (r.str(kStateLabel.size()) != kStateLabel) return std::nullopt;
        Session s;
        uint8_t role = r.u8();
        if (role != uint8_t(Role::Initiator) && role != uint8_t(Role::Responder)) return std::nullopt;
        s.role_ = Role(role);
        ByteView ad = r.blob_view(kMaxAd);
        s.ad_.assign(ad.begin(), ad.end());
        auto rk = r.raw_view(32);
        std::copy(rk.begin(), rk.end(), s.rk_.a.begin());
        ByteView priv = r.raw_view(32);
        s.dhs_ = crypto::X25519Key::from_private(priv);
        switch (r.u8()) {
            case 0: break;
            case 1: s.dhr_ = r.fixed<32>(); break;
            default: return std::nullopt;
        }
        s.cks_ = read_opt_key(r);
        s.ckr_ = read_opt_key(r);
        s.ns_ = r.u32();
        s.nr_ = r.u32();
        s.pn_ = r.u32();
        uint32_t count = r.count(kSkippedItem);
        if (count > kMaxSkippedPerSession) return std::nullopt;
        for (uint32_t i = 0; i < count; ++i) {
            Skipped k;
            k.dh = r.fixed<32>();
            k.n = r.u32();
            k.stored = r.u64();
            auto mk = r.raw_view(32);
            std::copy(mk.begin(), mk.end(), k.mk.a.begin());
            s.skipped_.push_back(std::move(k));
        }
        r.finish();
        if (s.dhr_ && !crypto::x25519_pub_valid(*s.dhr_)) return std::nullopt;
        // A state the session itself could not reach is refused, so the
        // limits hold after a load as well.
        if (s.role_ == Role::Responder && s.cks_.has_value() != s.dhr_.has_value()) return std::nullopt;
        if (s.ckr_ && !s.dhr_) return std::nullopt;
        if (s.role_ == Role::Initiator && !(s.cks_ && s.dhr_)) return std::nullopt;
        std::map<Array<32>, size_t> per_chain;
        for (const auto& k : s.skipped_)
            if (++per_chain[k.dh] > kMaxSkippedPerChain) return std::nullopt;
        s.keygen_ = keygen ? std::move(keygen) : KeyGen(crypto::X25519Key::generate);
        return s;
    } catch (const WireError&) {
        return std::nullopt;
    }
}

}  // namespace tacit::ratchet
