#include <catch2/catch.hpp>

#include <random>

#include "shared/frame_decoder.hpp"

using namespace tacit;
using R = FrameDecoder::Result;

namespace {

Bytes body_of(size_t n, uint8_t seed) {
    Bytes b(n);
    for (size_t i = 0; i < n; ++i) b[i] = uint8_t(seed + i * 7);
    return b;
}

Bytes header(uint32_t len) {
    return {uint8_t(len >> 24), uint8_t(len >> 16), uint8_t(len >> 8), uint8_t(len)};
}

}  // namespace

TEST_CASE("frame_with_prefix and append_frame write a big-endian length") {
    Bytes f = frame_with_prefix(Bytes{0xaa, 0xbb, 0xcc});
    CHECK(f == Bytes{0, 0, 0, 3, 0xaa, 0xbb, 0xcc});
    Bytes out{0x01};
    append_frame(out, body_of(300, 1));
    REQUIRE(out.size() == 1 + 4 + 300);
    CHECK(Bytes(out.begin(), out.begin() + 5) == Bytes{0x01, 0, 0, 0x01, 0x2c});
}

TEST_CASE("decoder returns a whole frame and then needs more") {
    FrameDecoder d(100);
    Bytes body;
    CHECK(d.next(body) == R::NeedMore);
    d.feed(frame_with_prefix(body_of(10, 3)));
    CHECK(d.buffered() == 14);
    REQUIRE(d.next(body) == R::Frame);
    CHECK(body == body_of(10, 3));
    CHECK(d.buffered() == 0);
    CHECK(d.next(body) == R::NeedMore);
}

TEST_CASE("decoder waits on truncated input") {
    FrameDecoder d(100);
    Bytes f = frame_with_prefix(body_of(20, 9));
    Bytes body{0x55};
    d.feed(ByteView(f).first(2));  // half a prefix
    CHECK(d.next(body) == R::NeedMore);
    d.feed(ByteView(f).subspan(2, 10));  // prefix and part of the body
    CHECK(d.next(body) == R::NeedMore);
    CHECK(d.buffered() == 12);
    CHECK(body == Bytes{0x55});  // untouched until a frame is complete
    d.feed(ByteView(f).subspan(12));
    REQUIRE(d.next(body) == R::Frame);
    CHECK(body == body_of(20, 9));
}

TEST_CASE("oversized length is BadLength, sticky, and stores nothing more") {
    FrameDecoder d(100);
    Bytes body;
    d.feed(header(101));
    CHECK(d.next(body) == R::BadLength);
    CHECK(d.bad());
    d.feed(body_of(500, 0));
    CHECK(d.buffered() == 0);
    d.feed(frame_with_prefix(body_of(5, 0)));
    CHECK(d.next(body) == R::BadLength);

    FrameDecoder huge(1 << 20);
    huge.feed(header(0xffffffff));
    CHECK(huge.next(body) == R::BadLength);
}

TEST_CASE("bad length is detected at feed time, before the body is buffered") {
    FrameDecoder d(1000);
    Bytes input = header(5000);
    Bytes junk = body_of(4000, 1);
    input.insert(input.end(), junk.begin(), junk.end());
    d.feed(input);
    CHECK(d.buffered() == 0);
    Bytes body;
    CHECK(d.next(body) == R::BadLength);
}

TEST_CASE("zero length is BadLength") {
    FrameDecoder d(100);
    Bytes body;
    d.feed(header(0));
    CHECK(d.next(body) == R::BadLength);
    CHECK(d.next(body) == R::BadLength);
}

TEST_CASE("length equal to max is accepted, max + 1 is not") {
    Bytes body;
    FrameDecoder ok(64);
    ok.feed(frame_with_prefix(body_of(64, 2)));
    REQUIRE(ok.next(body) == R::Frame);
    CHECK(body.size() == 64);
    FrameDecoder bad(64);
    bad.feed(frame_with_prefix(body_of(65, 2)));
    CHECK(bad.next(body) == R::BadLength);
}

TEST_CASE("a bad frame after good ones in the same feed is reported in order") {
    FrameDecoder d(10);
    Bytes in = frame_with_prefix(body_of(3, 1));
    append_frame(in, body_of(11, 2));
    d.feed(in);
    Bytes body;
    REQUIRE(d.next(body) == R::Frame);
    CHECK(body == body_of(3, 1));
    CHECK(d.next(body) == R::BadLength);
}

TEST_CASE("decoder accepts input one byte at a time") {
    FrameDecoder d(1000);
    Bytes stream;
    for (size_t i = 1; i <= 5; ++i) append_frame(stream, body_of(i * 37, uint8_t(i)));
    std::vector<Bytes> got;
    Bytes body;
    for (uint8_t b : stream) {
        d.feed(ByteView(&b, 1));
        while (d.next(body) == R::Frame) got.push_back(body);
    }
    REQUIRE(got.size() == 5);
    for (size_t i = 1; i <= 5; ++i) CHECK(got[i - 1] == body_of(i * 37, uint8_t(i)));
    CHECK(d.buffered() == 0);
}

TEST_CASE("several frames joined in one feed come out one by one") {
    FrameDecoder d(1000);
    Bytes stream;
    append_frame(stream, body_of(1, 1));
    append_frame(stream, body_of(200, 2));
    append_frame(stream, body_of(7, 3));
    d.feed(stream);
    Bytes body;
    REQUIRE(d.next(body) == R::Frame);
    CHECK(body == body_of(1, 1));
    CHECK(d.buffered() == 4 + 200 + 4 + 7);
    REQUIRE(d.next(body) == R::Frame);
    CHECK(body == body_of(200, 2));
    REQUIRE(d.next(body) == R::Frame);
    CHECK(body == body_of(7, 3));
    CHECK(d.next(body) == R::NeedMore);
}

TEST_CASE("a frame split across feeds, with the next frame's start attached") {
    FrameDecoder d(1000);
    Bytes stream;
    append_frame(stream, body_of(100, 4));
    append_frame(stream, body_of(50, 5));
    Bytes body;
    d.feed(ByteView(stream).first(60));
    CHECK(d.next(body) == R::NeedMore);
    d.feed(ByteView(stream).subspan(60, 50));  // ends 6 bytes into frame 2
    REQUIRE(d.next(body) == R::Frame);
    CHECK(body == body_of(100, 4));
    CHECK(d.next(body) == R::NeedMore);
    CHECK(d.buffered() == 6);
    d.feed(ByteView(stream).subspan(110));
    REQUIRE(d.next(body) == R::Frame);
    CHECK(body == body_of(50, 5));
}

TEST_CASE("set_max raises and lowers the limit for frames not yet complete") {
    Bytes body;
    SECTION("raising between frames admits a larger next frame") {
        FrameDecoder d(16);
        Bytes stream = frame_with_prefix(body_of(10, 1));
        append_frame(stream, body_of(40, 2));
        d.feed(stream);
        REQUIRE(d.next(body) == R::Frame);
        d.set_max(64);  // e.g. after LOGIN2 OK
        CHECK(d.max() == 64);
        REQUIRE(d.next(body) == R::Frame);
        CHECK(body == body_of(40, 2));
    }
    SECTION("without raising, the same stream is refused") {
        FrameDecoder d(16);
        Bytes stream = frame_with_prefix(body_of(10, 1));
        append_frame(stream, body_of(40, 2));
        d.feed(stream);
        REQUIRE(d.next(body) == R::Frame);
        CHECK(d.next(body) == R::BadLength);
    }
    SECTION("lowering below a half-received frame makes it bad") {
        FrameDecoder d(100);
        Bytes f = frame_with_prefix(body_of(50, 3));
        d.feed(ByteView(f).first(20));
        CHECK(d.next(body) == R::NeedMore);
        d.set_max(30);
        CHECK(d.next(body) == R::BadLength);
    }
    SECTION("raising does not clear a bad stream") {
        FrameDecoder d(8);
        d.feed(header(9));
        CHECK(d.next(body) == R::BadLength);
        d.set_max(100);
        CHECK(d.next(body) == R::BadLength);
    }
}

TEST_CASE("random chunking and interleaved pops preserve every frame") {
    std::mt19937 rng(12345);
    FrameDecoder d(5000);
    std::vector<Bytes> sent;
    Bytes stream;
    for (int i = 0; i < 400; ++i) {
        size_t n = 1 + rng() % (i % 10 == 0 ? 5000 : 60);
        sent.push_back(body_of(n, uint8_t(rng())));
        append_frame(stream, sent.back());
    }
    std::vector<Bytes> got;
    Bytes body;
    size_t off = 0, fed = 0;
    while (off < stream.size()) {
        size_t n = std::min<size_t>(1 + rng() % 3000, stream.size() - off);
        d.feed(ByteView(stream).subspan(off, n));
        off += n;
        fed += n;
        // Sometimes pop only part of what is ready, leaving frames queued.
        int pops = int(rng() % 4);
        while (pops-- > 0 && d.next(body) == R::Frame) got.push_back(body);
        size_t consumed = 0;
        for (auto& g : got) consumed += 4 + g.size();
        REQUIRE(d.buffered() == fed - consumed);
    }
    while (d.next(body) == R::Frame) got.push_back(body);
    REQUIRE(got.size() == sent.size());
    CHECK(got == sent);
    CHECK(d.buffered() == 0);
}
