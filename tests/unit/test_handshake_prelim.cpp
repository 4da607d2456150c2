// The preliminary frame of tacit-protocol(7), HELLO_R: prelim_random in the
// clear, then the plaintext under k0 = HKDF(session_key, session_iv |
// prelim_random, "tacit v2 s2c0") at IV session_iv.
#include <catch2/catch.hpp>

#include "shared/handshake.hpp"
#include "shared/wire.hpp"

using namespace tacit;

TEST_CASE("a preliminary frame opens once per offer and its randomness changes the key", "[handshake][prelim]") {
    auto offer = KeyOffer::fresh();
    Bytes pt(81, 0x83);
    Bytes f = seal_preliminary(offer, pt);
    REQUIRE(f.size() == 4 + kPrelimRandomLen + 81 + 16);
    CHECK(get_u32be(f.data()) == f.size() - 4);
    ByteView body = ByteView(f).subspan(4);
    auto got = open_preliminary(offer, body);
    REQUIRE(got);
    CHECK(ct_equal(got->view(), pt));

    // Two seals of one offer: another prelim_random, another key.
    Bytes f2 = seal_preliminary(offer, pt);
    Array<32> r1, r2;
    std::copy(f.begin() + 4, f.begin() + 36, r1.begin());
    std::copy(f2.begin() + 4, f2.begin() + 36, r2.begin());
    CHECK(r1 != r2);
    CHECK_FALSE(ct_equal(preliminary_key(offer, r1).view(), preliminary_key(offer, r2).view()));
    CHECK(Bytes(f.begin() + 36, f.end()) != Bytes(f2.begin() + 36, f2.end()));

    // A changed prelim_random, ciphertext or length, or another offer, does not open.
    Bytes bad(body.begin(), body.end());
    bad[0] ^= 1;
    CHECK_FALSE(open_preliminary(offer, bad));
    bad[0] ^= 1;
    bad[40] ^= 1;
    CHECK_FALSE(open_preliminary(offer, bad));
    CHECK_FALSE(open_preliminary(offer, body.first(body.size() - 1)));
    CHECK_FALSE(open_preliminary(offer, body.first(kPrelimRandomLen + 15)));
    CHECK_FALSE(open_preliminary(KeyOffer::fresh(), body));
    // With the randomness given, the frame is a function of its inputs.
    CHECK(seal_preliminary_with(offer, r1, pt) == f);
}
