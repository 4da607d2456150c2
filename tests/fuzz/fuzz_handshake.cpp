// libFuzzer target for the handshake pieces the server runs on bytes from
// the network before anyone is authenticated (tacit-protocol(7), HANDSHAKE): the
// plaintext HELLO/RESUME frame, ecies_open under a fixed test server key,
// KeyOffer::decode, and opening sealed frames. tacitd's on_plain needs a
// whole server (store, loop), so its steps are repeated here in order.
// The first byte picks a mode:
//   0: the rest is a HELLO/RESUME body as it arrives (the seeds are real
//      ones to the test key, so mutations probe every check on the way).
//   1: the rest is an offer plaintext, sealed properly: the server opens
//      exactly it, and when it is a well-formed offer both ends agree on the
//      channel (round trip both ways, tampering and replay refused).
//   2: the rest is a stream of sealed frames under fixed keys: none opens.
#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "shared/channel.hpp"
#include "shared/crypto.hpp"
#include "shared/frame_decoder.hpp"
#include "shared/handshake.hpp"
#include "shared/messages.hpp"
#include "shared/protocol.hpp"

using namespace tacit;

namespace {

void check(bool ok) {
    if (!ok) std::abort();
}

bool same(ByteView a, ByteView b) { return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin()); }

const crypto::X25519Key& server_box() {
    static const crypto::X25519Key k = [] {
        uint8_t priv[32];
        for (int i = 0; i < 32; ++i) priv[i] = uint8_t(0x40 + i);
        return crypto::X25519Key::from_private(ByteView(priv, 32));
    }();
    return k;
}

// What on_plain / on_hello check, in their order. Returns the offer if the
// body would get as far as a key agreement.
std::optional<KeyOffer> server_plain(ByteView body, ByteView* ecies_out, bool* resume_out) {
    if (body.size() < 6 || as_chars(body.first(4)) != proto::kMagic || body[4] != proto::kVersion)
        return std::nullopt;
    uint8_t kind = body[5];
    bool resume = kind == uint8_t(proto::Kind::Resume);
    if (kind != uint8_t(proto::Kind::Hello) && !resume) return std::nullopt;
    auto ecies = body.subspan(6);
    if (ecies.size() != (resume ? proto::kResumeEciesLen : proto::kHelloEciesLen)) return std::nullopt;
    auto pt = crypto::ecies_open(resume ? "resume" : "hello", server_box(), ecies);
    if (!pt) return std::nullopt;
    *ecies_out = ecies;
    *resume_out = resume;
    return KeyOffer::decode(*pt, resume);
}

void mode_raw(ByteView in) {
    ByteView ecies;
    bool resume = false;
    // Only a real HELLO/RESUME to the test key (the seeds) gets past the tag;
    // then the server's next steps must work on it.
    if (auto offer = server_plain(in, &ecies, &resume)) {
        if (auto sk = server_establish(*offer, ecies.first(32), in)) {
            check(sk->nonce == offer->nonce);
            check(resume == offer->token.has_value());
        }
    }
    // The offer parser alone, on anything.
    for (bool t : {false, true}) {
        auto o = KeyOffer::decode(in, t);
        check(o.has_value() == (in.size() == (t ? 92u : 60u)));
        if (o) {
            Secret again = o->encode();
            check(same(again, in));
        }
    }
}

void mode_sealed_offer(ByteView in) {
    bool resume = !in.empty() && (in[0] & 1);
    auto sealed = crypto::ecies_seal(resume ? "resume" : "hello", server_box().pub, in);
    Bytes body = plain_frame_body(uint8_t(resume ? proto::Kind::Resume : proto::Kind::Hello), sealed.ct);
    bool right_size = in.size() == (resume ? 92u : 60u);
    ByteView ecies;
    bool r2 = false;
    auto offer = server_plain(body, &ecies, &r2);
    check(offer.has_value() == right_size);
    // Opening returns exactly what was sealed.
    auto pt = crypto::ecies_open(resume ? "resume" : "hello", server_box(), sealed.ct);
    check(pt && same(*pt, in));
    // The wrong label never opens it.
    check(!crypto::ecies_open(resume ? "hello" : "resume", server_box(), sealed.ct));
    if (!offer) return;
    auto sk = server_establish(*offer, ecies.first(32), body);
    if (!sk) return;  // all-zero ee: refused, as it should be
    ClientOffer co{*offer, sealed.eph, sealed.ct};
    auto ck = client_establish(co, sk->server_random, sk->server_eph_pub, body);
    check(ck.has_value());
    check(ck->session_id == sk->session_id);
    // HELLO_R under the preliminary key: it opens once, never with a
    // changed prelim_random, and a second seal draws another prelim_random.
    msg::HelloR hr{offer->nonce, sk->server_random, sk->server_eph_pub};
    Bytes f = seal_preliminary(*offer, msg::encode_body(hr));
    auto hr_pt = open_preliminary(*offer, ByteView(f).subspan(4));
    check(hr_pt && msg::decode<msg::HelloR>(*hr_pt).m == hr);
    Bytes f2 = seal_preliminary(*offer, msg::encode_body(hr));
    check(!std::equal(f.begin() + 4, f.begin() + 36, f2.begin() + 4));
    f[4 + (in.size() % kPrelimRandomLen)] ^= 0x01;
    check(!open_preliminary(*offer, ByteView(f).subspan(4)));
    // Both directions, then a replay and a flipped bit.
    Bytes c2s = ck->channel.seal(in);
    auto got = sk->channel.open(ByteView(c2s).subspan(4));
    check(got && same(*got, in));
    check(!sk->channel.open(ByteView(c2s).subspan(4)));
    Bytes s2c = sk->channel.seal(in);
    s2c[4 + (in.size() % (s2c.size() - 4))] ^= 0x20;
    check(!ck->channel.open(ByteView(s2c).subspan(4)));
}

void mode_frames(ByteView in) {
    uint8_t k1[32], k2[32];
    std::memset(k1, 0x11, 32);
    std::memset(k2, 0x22, 32);
    Array<12> iv{};
    Channel server = Channel::for_role(Role::Server, ByteView(k1, 32), ByteView(k2, 32), iv);
    FrameDecoder dec(proto::kMaxFramePreLogin);
    dec.feed(in);
    Bytes body;
    while (dec.next(body) == FrameDecoder::Result::Frame) {
        check(!server.open(body));  // nobody forges a tag
        check(server.next_recv_seq() == 0);
    }
    // The same bytes sealed properly by the client open exactly once.
    Channel client = Channel::for_role(Role::Client, ByteView(k1, 32), ByteView(k2, 32), iv);
    Bytes f = client.seal(in);
    auto pt = server.open(ByteView(f).subspan(4));
    check(pt && same(*pt, in));
    check(!server.open(ByteView(f).subspan(4)));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size == 0) return 0;
    ByteView in(data + 1, size - 1);
    switch (data[0] % 3) {
    case 0: mode_raw(in); break;
    case 1: mode_sealed_offer(in); break;
    default: mode_frames(in); break;
    }
    return 0;
}
