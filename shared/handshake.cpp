#include "shared/handshake.hpp"

#include "shared/protocol.hpp"
#include "shared/wire.hpp"

namespace tacit {

KeyOffer KeyOffer::fresh(std::optional<Token> token) {
    KeyOffer o;
    o.token = token;
    crypto::random_bytes(o.session_key.data(), 32);
    crypto::random_bytes(o.session_iv.data(), 12);
    crypto::random_bytes(o.nonce.data(), 16);
    return o;
}

Secret KeyOffer::encode() const {
    Secret s(size_t(token ? 32 : 0) + 32 + 12 + 16);
    size_t p = 0;
    auto put = [&](ByteView v) {
        std::copy(v.begin(), v.end(), s.data() + p);
        p += v.size();
    };
    if (token) put(*token);
    put(session_key);
    put(session_iv);
    put(nonce);
    return s;
}

std::optional<KeyOffer> KeyOffer::decode(ByteView pt, bool with_token) {
    size_t want = size_t(with_token ? 32 : 0) + 60;
    if (pt.size() != want) return std::nullopt;
    KeyOffer o;
    size_t p = 0;
    auto take = [&](uint8_t* dst, size_t n) {
        std::copy(pt.begin() + long(p), pt.begin() + long(p + n), dst);
        p += n;
    };
    if (with_token) {
        Token t;
        take(t.data(), 32);
        o.token = t;
    }
    take(o.session_key.data(), 32);
    take(o.session_iv.data(), 12);
    take(o.nonce.data(), 16);
    return o;
}

ClientOffer make_offer(std::string_view label, ByteView server_box_pub, KeyOffer offer) {
    auto pt = offer.encode();
    auto sealed = crypto::ecies_seal(label, server_box_pub, pt);
    return ClientOffer{std::move(offer), std::move(sealed.eph), std::move(sealed.ct)};
}

Bytes plain_frame_body(uint8_t kind, ByteView payload) {
    Writer w;
    w.raw(as_bytes(proto::kMagic)).u8(proto::kVersion).u8(kind).raw(payload);
    return w.take();
}

Bytes refusal_body(std::string_view reason) {
    Writer w;
    w.str(reason.substr(0, kMaxRefusalReason));
    return plain_frame_body(uint8_t(proto::Kind::Refused), w.bytes());
}

std::optional<std::string> parse_refusal(ByteView body) {
    if (body.size() < 6 || as_chars(body.first(4)) != proto::kMagic || body[5] != uint8_t(proto::Kind::Refused))
        return std::nullopt;
    try {
        Reader r(body.subspan(6));
        std::string reason = r.str(kMaxRefusalReason);
        r.finish();
        for (char& ch : reason)
            if (ch < 0x20 || ch > 0x7e) ch = '?';
        return reason;
    } catch (const WireError&) {
        return std::nullopt;
    }
}

namespace {

struct Derived {
    Secret c2s, s2c;
};

Derived derive(const KeyOffer& offer, ByteView ee, const Array<32>& server_random) {
    Secret ikm(64);
    std::copy(offer.session_key.a.begin(), offer.session_key.a.end(), ikm.data());
    std::copy(ee.begin(), ee.end(), ikm.data() + 32);
    auto salt = concat({offer.session_iv, server_random});
    return {crypto::hkdf_sha256(ikm, salt, as_bytes("tacit v2 c2s")),
            crypto::hkdf_sha256(ikm, salt, as_bytes("tacit v2 s2c"))};
}

}  // namespace

std::optional<ServerKeys> server_establish(const KeyOffer& offer, ByteView client_eph_pub,
                                           ByteView id_input) {
    auto eph = crypto::X25519Key::generate();
    auto ee = crypto::x25519(eph.priv, client_eph_pub);
    if (!ee) return std::nullopt;
    auto random = crypto::random_array<32>();
    auto keys = derive(offer, *ee, random);
    ServerKeys out{offer.nonce, random, eph.pub,
                   Channel::for_role(Role::Server, keys.c2s, keys.s2c, offer.session_iv), {}};
    out.session_id = crypto::sha256({id_input, random});
    return out;
}

std::optional<ClientKeys> client_establish(const ClientOffer& co, const Array<32>& server_random,
                                           const Array<32>& server_eph_pub, ByteView id_input) {
    auto ee = crypto::x25519(co.eph.priv, server_eph_pub);
    if (!ee) return std::nullopt;
    auto keys = derive(co.offer, *ee, server_random);
    ClientKeys out{Channel::for_role(Role::Client, keys.c2s, keys.s2c, co.offer.session_iv), {}};
    out.session_id = crypto::sha256({id_input, server_random});
    return out;
}

Secret preliminary_key(const KeyOffer& offer, const Array<32>& prelim_random) {
    return crypto::hkdf_sha256(offer.session_key, concat({offer.session_iv, prelim_random}),
                               as_bytes("tacit v2 s2c0"));
}

Bytes seal_preliminary(const KeyOffer& offer, ByteView plaintext) {
    return seal_preliminary_with(offer, crypto::random_array<32>(), plaintext);
}

Bytes seal_preliminary_with(const KeyOffer& offer, const Array<32>& prelim_random, ByteView plaintext) {
    // k0 is used for this one frame, so the IV is session_iv (sequence 0).
    crypto::Gcm gcm(preliminary_key(offer, prelim_random));
    Bytes frame(4 + kPrelimRandomLen + plaintext.size() + 16);
    put_u32be(frame.data(), uint32_t(frame.size() - 4));
    std::copy(prelim_random.begin(), prelim_random.end(), frame.data() + 4);
    gcm.seal(offer.session_iv, ByteView(frame.data(), 4), plaintext, frame.data() + 4 + kPrelimRandomLen);
    return frame;
}

std::optional<Secret> open_preliminary(const KeyOffer& offer, ByteView body) {
    if (body.size() < kPrelimRandomLen + 16) return std::nullopt;
    Array<32> prelim_random;
    std::copy(body.begin(), body.begin() + long(kPrelimRandomLen), prelim_random.begin());
    crypto::Gcm gcm(preliminary_key(offer, prelim_random));
    uint8_t prefix[4];
    put_u32be(prefix, uint32_t(body.size()));
    auto ct = body.subspan(kPrelimRandomLen);
    Secret out(ct.size() - 16);
    if (!gcm.open(offer.session_iv, ByteView(prefix, 4), ct, out.data())) return std::nullopt;
    return out;
}

}  // namespace tacit
