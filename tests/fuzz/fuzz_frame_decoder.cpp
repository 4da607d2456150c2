// libFuzzer target for FrameDecoder (shared/frame_decoder.hpp). The input is
// a byte stream plus a schedule: byte 0 picks the length limit, bytes 1..4
// seed the chunk sizes the stream is fed in. Whatever the split, the decoder
// must return exactly the frames a one-shot reference parse finds, then
// NeedMore with the tail buffered, or BadLength from the first bad prefix on.
#include <cstdlib>
#include <cstring>
#include <vector>

#include "shared/frame_decoder.hpp"
#include "shared/wire.hpp"

using namespace tacit;

namespace {

void check(bool ok) {
    if (!ok) std::abort();
}

struct Reference {
    std::vector<Bytes> frames;
    bool bad = false;
    size_t tail = 0;  // bytes left after the last whole frame (when !bad)
};

Reference parse(ByteView s, size_t max) {
    Reference r;
    size_t p = 0;
    while (s.size() - p >= 4) {
        uint32_t len = get_u32be(s.data() + p);
        if (len == 0 || len > max) {
            r.bad = true;
            return r;
        }
        if (s.size() - p - 4 < len) break;
        r.frames.emplace_back(s.begin() + long(p + 4), s.begin() + long(p + 4 + len));
        p += 4 + len;
    }
    r.tail = s.size() - p;
    return r;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 5) return 0;
    // Small limits make short inputs hold many frames; 0x80+ is the real one.
    size_t max = data[0] < 0x80 ? size_t(data[0]) + 1 : 65536;
    uint32_t seed;
    std::memcpy(&seed, data + 1, 4);
    ByteView stream(data + 5, size - 5);
    Reference ref = parse(stream, max);

    FrameDecoder dec(max);
    std::vector<Bytes> got;
    FrameDecoder::Result last = FrameDecoder::Result::NeedMore;
    size_t off = 0;
    auto drain = [&] {
        Bytes body;
        for (;;) {
            last = dec.next(body);
            if (last != FrameDecoder::Result::Frame) break;
            got.push_back(body);
        }
    };
    while (off < stream.size()) {
        seed = seed * 1103515245u + 12345u;
        size_t chunk = (seed >> 16) % 9 == 0 ? (seed >> 8) % 300 : (seed >> 16) % 7;  // 0..6, sometimes big
        chunk = std::min(chunk, stream.size() - off);
        dec.feed(stream.subspan(off, chunk));
        off += chunk;
        if ((seed & 3) != 0) drain();  // sometimes feed twice before reading
    }
    drain();

    if (ref.bad) {
        check(last == FrameDecoder::Result::BadLength);
        check(dec.bad());
        // Every whole frame before the bad prefix still comes out.
        check(got == ref.frames);
        // Sticky, and holds nothing more.
        dec.feed(stream);
        Bytes body;
        check(dec.next(body) == FrameDecoder::Result::BadLength);
    } else {
        check(last == FrameDecoder::Result::NeedMore);
        check(got == ref.frames);
        check(dec.buffered() == ref.tail);
        check(!dec.bad());
    }
    // The encoder side agrees with the decoder.
    for (auto& f : ref.frames) {
        Bytes framed = frame_with_prefix(f);
        FrameDecoder d2(max);
        d2.feed(framed);
        Bytes body;
        check(d2.next(body) == FrameDecoder::Result::Frame && body == f);
    }
    return 0;
}
