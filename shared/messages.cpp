#include "shared/messages.hpp"

#include <array>

namespace tacit::msg {

namespace {
template <class... Ms> constexpr bool types_unique(TypeList<Ms...>) {
    std::array<uint8_t, sizeof...(Ms)> t{Ms::type...};
    for (size_t i = 0; i < t.size(); ++i)
        for (size_t j = i + 1; j < t.size(); ++j)
            if (t[i] == t[j]) return false;
    return true;
}
static_assert(types_unique(AllMessages{}), "two message structs share a type byte");
static_assert(HelloR::type == 0x83 && Pong::type == 0xB0 && Error::type == 0xFF);
}  // namespace

Bytes read_sig(Reader& r) {
    // Peek at the length so an oversize sig is refused before allocating.
    Reader peek = r;
    if (peek.u16() > limit::kSig) throw WireError(WireError::TooLarge, "signature too long");
    return r.sig();
}

Decoded<Error> decode_error(ByteView plaintext) {
    Reader r(plaintext);
    if (r.u8() != Error::type) throw WireError(WireError::Invalid, "unexpected message type");
    Decoded<Error> d{Error::decode(r), 0, {}};
    d.signed_len = r.pos();
    if (!r.empty()) d.sigs.push_back(read_sig(r));
    r.finish();
    return d;
}

Bytes sig_input(uint8_t direction, const Array<32>& session_id, uint64_t seq,
                ByteView type_and_fields) {
    Writer w;
    w.raw(as_bytes("tacit v2")).u8(direction).raw(session_id).u64(seq).raw(type_and_fields);
    return w.take();
}

void append_sig(Bytes& body, ByteView sig) {
    if (sig.empty()) throw WireError(WireError::Invalid, "empty signature");
    if (sig.size() > 65535) throw WireError(WireError::TooLarge, "signature too long");
    body.push_back(uint8_t(sig.size() >> 8));
    body.push_back(uint8_t(sig.size()));
    body.insert(body.end(), sig.begin(), sig.end());
}

uint8_t type_of(ByteView plaintext) {
    if (plaintext.empty()) throw WireError(WireError::Incomplete, "empty message");
    return plaintext[0];
}

}  // namespace tacit::msg
