// Protocol version 2 against a real tacitd: a client of another version is
// told so in the clear (REFUSED, tacit-protocol(7) FRAMING) and closed,
// while clients of this version keep being served.
#include <catch2/catch.hpp>

#include "shared/frame_decoder.hpp"
#include "shared/handshake.hpp"
#include "shared/net.hpp"
#include "shared/protocol.hpp"
#include "shared/wire.hpp"
#include "tests/integration/raw_frames.hpp"

using namespace tacit;
using namespace tacit::test;

namespace {

// Sends one plaintext first frame "TACT" | version | kind and returns the
// server's answer (if any) and whether it then closed.
struct Answer {
    std::optional<Bytes> body;
    bool closed = false;
};
Answer first_frame(const TestServer& s, uint8_t version, uint8_t kind) {
    auto fd = connect_tcp(*parse_hostport(s.addr(), 0), 2000);
    Writer w;
    w.raw(as_bytes(proto::kMagic)).u8(version).u8(kind);
    REQUIRE(write_all(fd.get(), frame_with_prefix(w.bytes()), 2000));
    FrameDecoder dec(65536);
    Answer a;
    Bytes body;
    auto rr = read_frame(fd.get(), dec, body, 5000);
    if (rr == ReadResult::Closed) return Answer{std::nullopt, true};
    REQUIRE(rr == ReadResult::Frame);
    a.body = body;
    a.closed = read_frame(fd.get(), dec, body, 5000) == ReadResult::Closed;
    return a;
}

}  // namespace

TEST_CASE("a version 1 handshake is refused in the clear and closed; v2 clients go on", "[integration][version]") {
    TestServer s;
    TestClient good(s, "good");
    uint64_t rtt = 0;
    REQUIRE(good->ping(&rtt).ok);
    auto a = first_frame(s, 1, uint8_t(proto::Kind::KeyRequest));
    REQUIRE(a.body);
    CHECK((*a.body)[4] == proto::kVersion);
    auto why = parse_refusal(*a.body);
    REQUIRE(why);
    CHECK(*why == "this server speaks tacit protocol v2, the client v1");
    CHECK(a.closed);
    CHECK(log_shows(s, "refused protocol v1", 3000));
    REQUIRE(good->ping(&rtt).ok);
}

TEST_CASE("this version's KEY_REQUEST is answered, not refused; bad magic is closed silently", "[integration][version]") {
    TestServer s;
    auto a = first_frame(s, proto::kVersion, uint8_t(proto::Kind::KeyRequest));
    REQUIRE(a.body);
    CHECK_FALSE(parse_refusal(*a.body));
    CHECK((*a.body)[5] == uint8_t(proto::Kind::KeyResponse));
    auto fd = connect_tcp(*parse_hostport(s.addr(), 0), 2000);
    REQUIRE(write_all(fd.get(), frame_with_prefix(as_bytes(std::string("TICT\x01\x01"))), 2000));
    FrameDecoder dec(65536);
    Bytes body;
    CHECK(read_frame(fd.get(), dec, body, 5000) == ReadResult::Closed);
}
