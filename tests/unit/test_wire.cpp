// shared/wire: the big-endian helpers every prefix, field and store key uses.
#include <catch2/catch.hpp>

#include <initializer_list>

#include "shared/wire.hpp"

using namespace tacit;

TEST_CASE("u32 and u64 big-endian helpers put the high byte first and read back what they wrote", "[wire]") {
    uint8_t b[8] = {};
    put_u64be(b, 0x0102030405060708ull);
    CHECK(Bytes(b, b + 8) == Bytes{1, 2, 3, 4, 5, 6, 7, 8});
    CHECK(get_u64be(b) == 0x0102030405060708ull);
    put_u32be(b, 0xa1b2c3d4u);
    CHECK(Bytes(b, b + 4) == Bytes{0xa1, 0xb2, 0xc3, 0xd4});
    CHECK(get_u32be(b) == 0xa1b2c3d4u);
    for (uint64_t v : std::initializer_list<uint64_t>{0, 1, 0xff, uint64_t(1) << 32, UINT64_MAX, 0x8000000000000001ull}) {
        put_u64be(b, v);
        CHECK(get_u64be(b) == v);
    }
}

TEST_CASE("Writer::u64 and Reader::u64 use the same byte order, and a short u64 is Incomplete", "[wire]") {
    Writer w;
    w.u64(0x1122334455667788ull).u8(0x99);
    uint8_t b[8];
    put_u64be(b, 0x1122334455667788ull);
    CHECK(Bytes(w.bytes().begin(), w.bytes().begin() + 8) == Bytes(b, b + 8));
    Reader r(w.bytes());
    CHECK(r.u64() == 0x1122334455667788ull);
    CHECK(r.u8() == 0x99);
    r.finish();
    Bytes seven(7, 0xee);
    Reader shortr(seven);
    try {
        (void)shortr.u64();
        FAIL("a 7-byte u64 was read");
    } catch (const WireError& e) {
        CHECK(e.kind == WireError::Incomplete);
    }
    CHECK(shortr.pos() == 0);  // nothing consumed
}
