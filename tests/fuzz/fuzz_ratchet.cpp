// libFuzzer target for the Double Ratchet's parsers (shared/ratchet.hpp):
// message headers, the serialized session state, and whole messages fed to
// a live session. The first byte picks the mode:
//   0: Header::decode / message_header
//   1: Session::deserialize; an accepted state re-serializes to the same
//      bytes and survives encrypt and decrypt
//   2: the rest decrypted by a responder that has read one message: only
//      a message that opens may change its state
#include <cstdlib>

#include "shared/ratchet.hpp"
#include "tests/crypto/fixed_keys.hpp"

using namespace tacit;
using namespace tacit::ratchet;

namespace {

void check(bool ok) {
    if (!ok) std::abort();
}

constexpr uint64_t kNow = 1764633600;

SecretArray<32> fixed_sk() {
    SecretArray<32> s;
    s.a = crypto::sha256(as_bytes("tacit fuzz sk"));
    return s;
}

// A responder after one message from its initiator, and the initiator.
struct Pair {
    Session alice, bob;
    Pair()
        : alice(Session::initiator(fixed_sk(), as_bytes("fuzz ad"), test::fixed_key("bob spk").pub,
                                   test::fixed_keygen("alice"))),
          bob(Session::responder(fixed_sk(), as_bytes("fuzz ad"), test::fixed_key("bob spk"),
                                 test::fixed_keygen("bob"))) {
        auto m = alice.encrypt(as_bytes("first"));
        check(m && bob.decrypt(*m, kNow).status == DecryptStatus::Ok);
    }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size == 0) return 0;
    ByteView in(data + 1, size - 1);
    switch (data[0] % 3) {
    case 0:
        if (auto h = Header::decode(in)) {
            auto e = h->encode();
            check(std::equal(e.begin(), e.end(), in.begin(), in.end()));
            check(duplicate_key(*h).size() == 36);
        }
        check(message_header(in).has_value() == (in.size() >= kHeaderLen));
        break;
    case 1:
        if (auto s = Session::deserialize(in, test::fixed_keygen("fuzz"))) {
            Secret again = s->serialize();
            check(ct_equal(again, in));
            if (auto m = s->encrypt(as_bytes("x"))) check(m->size() == kHeaderLen + 1 + kTagLen);
            (void)s->decrypt(in, kNow);
            s->expire(kNow);
            check(s->skipped_count() <= kMaxSkippedPerSession);
        }
        break;
    default: {
        // Built once (its DHs are the slow part), copied per input.
        static const Pair start;
        Pair p = start;
        Secret before = p.bob.serialize();
        auto r = p.bob.decrypt(in, kNow);
        if (r.status != DecryptStatus::Ok) check(ct_equal(p.bob.serialize(), before));
        break;
    }
    }
    return 0;
}
