#include "shared/wire.hpp"

#include <limits>

namespace tacit {

void Reader::need(size_t n) const {
    if (n > b_.size() - p_) throw WireError(WireError::Incomplete, "truncated field");
}

uint8_t Reader::u8() {
    need(1);
    return b_[p_++];
}
uint16_t Reader::u16() {
    need(2);
    uint16_t v = uint16_t(b_[p_] << 8 | b_[p_ + 1]);
    p_ += 2;
    return v;
}
uint32_t Reader::u32() {
    need(4);
    uint32_t v = get_u32be(&b_[p_]);
    p_ += 4;
    return v;
}
uint64_t Reader::u64() {
    need(8);
    uint64_t v = get_u64be(&b_[p_]);
    p_ += 8;
    return v;
}
std::string Reader::str(size_t max) {
    size_t n = u16();
    if (n > max) throw WireError(WireError::TooLarge, "string too long");
    auto v = raw_view(n);
    return std::string(as_chars(v));
}
ByteView Reader::blob_view(size_t max) {
    size_t n = u32();
    if (n > max) throw WireError(WireError::TooLarge, "blob too long");
    return raw_view(n);
}
Bytes Reader::blob(size_t max) {
    auto v = blob_view(max);
    return Bytes(v.begin(), v.end());
}
ByteView Reader::raw_view(size_t n) {
    need(n);
    auto v = b_.subspan(p_, n);
    p_ += n;
    return v;
}
Bytes Reader::raw(size_t n) {
    auto v = raw_view(n);
    return Bytes(v.begin(), v.end());
}
Bytes Reader::sig() {
    size_t n = u16();
    if (n == 0) throw WireError(WireError::Invalid, "empty signature");
    return raw(n);
}
uint32_t Reader::count(size_t min_item) {
    uint32_t n = u32();
    if (min_item == 0) min_item = 1;
    if (n > remaining() / min_item) throw WireError(WireError::TooLarge, "list count exceeds data");
    return n;
}
void Reader::finish() const {
    if (p_ != b_.size()) throw WireError(WireError::Invalid, "trailing bytes");
}

Writer& Writer::u8(uint8_t v) {
    b_.push_back(v);
    return *this;
}
Writer& Writer::u16(uint16_t v) {
    b_.push_back(uint8_t(v >> 8));
    b_.push_back(uint8_t(v));
    return *this;
}
Writer& Writer::u32(uint32_t v) {
    uint8_t t[4];
    put_u32be(t, v);
    b_.insert(b_.end(), t, t + 4);
    return *this;
}
Writer& Writer::u64(uint64_t v) {
    uint8_t t[8];
    put_u64be(t, v);
    b_.insert(b_.end(), t, t + 8);
    return *this;
}
Writer& Writer::str(std::string_view s) {
    if (s.size() > 65535) throw WireError(WireError::TooLarge, "string too long");
    u16(uint16_t(s.size()));
    return raw(as_bytes(s));
}
Writer& Writer::blob(ByteView b) {
    if (b.size() > std::numeric_limits<uint32_t>::max())
        throw WireError(WireError::TooLarge, "blob too long");
    u32(uint32_t(b.size()));
    return raw(b);
}
Writer& Writer::raw(ByteView b) {
    b_.insert(b_.end(), b.begin(), b.end());
    return *this;
}
Writer& Writer::sig(ByteView b) {
    if (b.size() > 65535) throw WireError(WireError::TooLarge, "signature too long");
    u16(uint16_t(b.size()));
    return raw(b);
}

void put_u32be(uint8_t* p, uint32_t v) {
    p[0] = uint8_t(v >> 24);
    p[1] = uint8_t(v >> 16);
    p[2] = uint8_t(v >> 8);
    p[3] = uint8_t(v);
}
uint32_t get_u32be(const uint8_t* p) {
    return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3];
}
void put_u64be(uint8_t* p, uint64_t v) {
    put_u32be(p, uint32_t(v >> 32));
    put_u32be(p + 4, uint32_t(v));
}
uint64_t get_u64be(const uint8_t* p) { return uint64_t(get_u32be(p)) << 32 | get_u32be(p + 4); }

}  // namespace tacit
