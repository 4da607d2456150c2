// The one bounds-checked reader and writer for every wire encoding in
// tacit-protocol(7), ENCODINGS (in the manner of OpenSSH's sshbuf). Handlers never do
// pointer arithmetic: they read fields in order and call finish().
#pragma once
#include <stdexcept>
#include <string>

#include "shared/bytes.hpp"

namespace tacit {

struct WireError : std::runtime_error {
    enum Kind { Incomplete, TooLarge, Invalid } kind;
    WireError(Kind k, const char* what) : std::runtime_error(what), kind(k) {}
};

class Reader {
public:
    explicit Reader(ByteView b) : b_(b) {}
    uint8_t u8();
    uint16_t u16();
    uint32_t u32();
    uint64_t u64();
    // str = u16 length | UTF-8 (validity of UTF-8 is the caller's concern).
    std::string str(size_t max = 65535);
    // blob = u32 length | bytes; max bounds the length before allocation.
    Bytes blob(size_t max);
    ByteView blob_view(size_t max);
    Bytes raw(size_t n);
    ByteView raw_view(size_t n);
    template <size_t N> Array<N> fixed() {
        Array<N> a;
        auto v = raw_view(N);
        std::copy(v.begin(), v.end(), a.begin());
        return a;
    }
    Nonce nonce() { return fixed<16>(); }
    Token token() { return fixed<32>(); }
    // sig = u16 length | bytes.
    Bytes sig();
    // list<T> count, checked against the bytes left: each item needs at
    // least min_item bytes, so a huge count cannot make us allocate.
    uint32_t count(size_t min_item);
    size_t pos() const { return p_; }
    size_t remaining() const { return b_.size() - p_; }
    bool empty() const { return p_ == b_.size(); }
    ByteView rest() const { return b_.subspan(p_); }
    ByteView prefix(size_t end) const { return b_.subspan(0, end); }
    // Every message must be consumed exactly.
    void finish() const;

private:
    void need(size_t n) const;
    ByteView b_;
    size_t p_ = 0;
};

class Writer {
public:
    Writer& u8(uint8_t v);
    Writer& u16(uint16_t v);
    Writer& u32(uint32_t v);
    Writer& u64(uint64_t v);
    Writer& str(std::string_view s);  // throws WireError::TooLarge over 65535
    Writer& blob(ByteView b);
    Writer& raw(ByteView b);
    Writer& sig(ByteView b);
    // Serializers of secrets reserve the whole size first, so no growth
    // leaves an unwiped copy in freed memory.
    Writer& reserve(size_t n) {
        b_.reserve(n);
        return *this;
    }
    Writer& nonce(const Nonce& n) { return raw(n); }
    Writer& token(const Token& t) { return raw(t); }
    const Bytes& bytes() const { return b_; }
    size_t size() const { return b_.size(); }
    Bytes take() { return std::move(b_); }

private:
    Bytes b_;
};

// Big-endian integers in place, for prefixes and store keys.
void put_u32be(uint8_t* p, uint32_t v);
uint32_t get_u32be(const uint8_t* p);
void put_u64be(uint8_t* p, uint64_t v);
uint64_t get_u64be(const uint8_t* p);

}  // namespace tacit
