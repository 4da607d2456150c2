// libFuzzer target for the X3DH parsers (shared/x3dh.hpp): the prekey
// bundle a server hands out and the initial-message header a peer sends.
// The first byte picks the mode:
//   0: PrekeyBundle::decode     1: InitHeader::decode, then respond() with
//                                  fixed keys (the header's identity key
//                                  taken as the pinned one, so the DHs run)
// Anything accepted must be canonical: it re-encodes to the same bytes.
#include <cstdlib>

#include "shared/x3dh.hpp"
#include "tests/crypto/fixed_keys.hpp"

using namespace tacit;

namespace {

void check(bool ok) {
    if (!ok) std::abort();
}

bool same(const Bytes& a, ByteView b) { return a == Bytes(b.begin(), b.end()); }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size == 0) return 0;
    ByteView in(data + 1, size - 1);
    if (data[0] % 2 == 0) {
        if (auto b = x3dh::PrekeyBundle::decode(in)) {
            check(same(b->encode(), in));
            check(b->spk.sig.size() == x3dh::kRsaSigLen);
            check(crypto::x25519_pub_valid(b->spk.pub));
        }
        return 0;
    }
    auto h = x3dh::InitHeader::decode(in);
    if (!h) return 0;
    check(same(h->encode(), in));
    static const auto self_box = test::fixed_key("bob identity");
    static const auto spk = test::fixed_key("bob spk");
    static const auto opk = test::fixed_key("bob opk");
    UserBundle self{Bytes{0x30}, self_box.pub}, peer{Bytes{0x30}, h->ik};
    auto r = x3dh::respond(self_box, {"bob", self}, {"alice", peer}, *h, spk, h->opk_id ? &opk : nullptr);
    check(r.has_value());  // decode admits only usable points
    auto again = x3dh::respond(self_box, {"bob", self}, {"alice", peer}, *h, spk, h->opk_id ? &opk : nullptr);
    check(again && ct_equal(again->sk, r->sk));
    return 0;
}
