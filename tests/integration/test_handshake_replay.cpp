// The preliminary key under replay (tacit-protocol(7), HELLO_R and SECURITY
// PROPERTIES): the same HELLO or RESUME sent on several connections must
// never make tacitd seal two frames under one AES-GCM key and IV. The
// frames are read off the wire as they are and compared byte by byte.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "shared/frame_decoder.hpp"
#include "shared/handshake.hpp"
#include "shared/net.hpp"
#include "shared/protocol.hpp"
#include "tests/integration/harness.hpp"
#include "tests/integration/raw_client.hpp"
#include "tests/integration/raw_frames.hpp"
#include "tui/client/known_servers.hpp"

using namespace tacit;
using namespace tacit::test;

namespace {

const std::vector<std::string> kLoose = {"--login-rate", "1000", "--register-rate", "1000", "--handshake-rate",
                                         "100000/100000/100000"};
constexpr int kReplays = 4;

// The first frame body the server sends back to `first_frame` on each of
// n fresh connections.
std::vector<Bytes> replay(const TestServer& s, ByteView first_frame, int n) {
    std::vector<Bytes> bodies;
    for (int i = 0; i < n; ++i) {
        FrameConn c(s);
        REQUIRE(c.write(first_frame));
        FrameDecoder dec(proto::kMaxFramePreLogin);
        Bytes body;
        REQUIRE(read_frame(c.fd(), dec, body, 10000) == ReadResult::Frame);
        bodies.push_back(std::move(body));
    }
    return bodies;
}

Bytes xor_of(ByteView a, ByteView b) {
    Bytes out(a.size());
    for (size_t i = 0; i < a.size(); ++i) out[i] = a[i] ^ b[i];
    return out;
}

// Every body opens as a preliminary frame of `offer`, and no two share a
// key and IV. The IV is session_iv for all of them (one offer), so the
// keys must differ; and, whatever the layout, equal keystreams would show
// as ciphertext XOR equal to plaintext XOR, which is checked as well.
void check_unique(const KeyOffer& offer, const std::vector<Bytes>& bodies, uint8_t want_type) {
    std::vector<Secret> pts, keys;
    for (const auto& b : bodies) {
        auto pt = open_preliminary(offer, b);
        REQUIRE(pt);
        REQUIRE(pt->size() > 0);
        CHECK((*pt)[0] == want_type);
        Array<32> r;
        std::copy(b.begin(), b.begin() + long(kPrelimRandomLen), r.begin());
        keys.push_back(preliminary_key(offer, r));
        pts.push_back(std::move(*pt));
    }
    for (size_t i = 0; i < bodies.size(); ++i)
        for (size_t j = i + 1; j < bodies.size(); ++j) {
            INFO("frames " << i << " and " << j);
            ByteView bi = bodies[i], bj = bodies[j];
            CHECK_FALSE(std::equal(bi.begin(), bi.begin() + long(kPrelimRandomLen), bj.begin()));
            CHECK_FALSE(ct_equal(keys[i].view(), keys[j].view()));
            REQUIRE(pts[i].size() == pts[j].size());
            size_t n = pts[i].size();
            auto ct_x = xor_of(bi.subspan(kPrelimRandomLen, n), bj.subspan(kPrelimRandomLen, n));
            CHECK(ct_x != xor_of(pts[i].view(), pts[j].view()));
        }
}

Bytes first_frame(uint8_t kind, const ClientOffer& co) { return frame_with_prefix(plain_frame_body(kind, co.ecies)); }

}  // namespace

TEST_CASE("a replayed HELLO never gets two server frames under one key and IV", "[integration][handshake]") {
    TestServer s(kLoose);
    auto server = client::read_server_pub(s.pub_file());
    auto co = make_offer("hello", server.box_pub, KeyOffer::fresh());
    auto bodies = replay(s, first_frame(uint8_t(proto::Kind::Hello), co), kReplays);
    check_unique(co.offer, bodies, msg::HelloR::type);
}

TEST_CASE("a replayed RESUME, live or dead, never gets two server frames under one key and IV",
          "[integration][handshake]") {
    TestServer s(kLoose);
    auto server = client::read_server_pub(s.pub_file());
    const auto& id = pooled_identity(0);
    Token token;
    {
        FrameConn r(s);
        r.hello();
        REQUIRE(r.register_user("replayer", "pw", id) == proto::OK);
    }
    FrameConn logged(s);
    logged.hello();
    auto t = logged.login("replayer", "pw", id);
    REQUIRE(t);
    token = *t;
    SECTION("a live token: RENEW2_R each time, or the padded ERROR once the session is full") {
        auto co = make_offer("resume", server.box_pub, KeyOffer::fresh(token));
        auto bodies = replay(s, first_frame(uint8_t(proto::Kind::Resume), co), kReplays);
        std::vector<Bytes> renew, refused;
        for (auto& b : bodies) {
            auto pt = open_preliminary(co.offer, b);
            REQUIRE(pt);
            ((*pt)[0] == msg::Renew2R::type ? renew : refused).push_back(b);
        }
        CHECK(renew.size() >= 1);
        check_unique(co.offer, renew, msg::Renew2R::type);
        check_unique(co.offer, refused, proto::ERROR);
    }
    SECTION("a dead token: the same padded ERROR each time, never under one key and IV") {
        Token dead;
        crypto::random_bytes(dead.data(), dead.size());
        auto co = make_offer("resume", server.box_pub, KeyOffer::fresh(dead));
        auto bodies = replay(s, first_frame(uint8_t(proto::Kind::Resume), co), kReplays);
        check_unique(co.offer, bodies, proto::ERROR);
        // As long as a live token's reply (tacit-protocol(7), RESUME).
        for (auto& b : bodies) CHECK(b.size() == kPrelimRandomLen + 81 + 16);
    }
}
