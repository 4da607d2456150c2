// The nonce an ERROR to a request carries (tacit-protocol(7), ERROR): the
// request's own, found by decoding it as its type.
#include "srv/handler.hpp"

namespace tacit::srv {

std::optional<Nonce> request_nonce(ByteView plaintext) {
    std::optional<Nonce> n;
    auto pick = [&]<class M>(std::type_identity<M>) {
        auto d = msg::decode<M>(plaintext);
        if constexpr (requires { d.m.nonce; }) n = d.m.nonce;
        else if constexpr (requires { d.m.nonce1; }) n = d.m.nonce1;
        else if constexpr (requires { d.m.nonce2; }) n = d.m.nonce2;
        else n = Nonce{};
    };
    try {
        if (plaintext.empty() || !msg::with_message_type(plaintext[0], pick)) return std::nullopt;
    } catch (const WireError&) {
        return std::nullopt;
    }
    return n;
}

}  // namespace tacit::srv
