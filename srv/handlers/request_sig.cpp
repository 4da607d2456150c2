// The signature a logged-in request is checked by first (the session
// key's; RENEW2's old key's), found by decoding the request as its type, so
// the crypto pool can check it before the handler runs (Server::dispatch).
#include "srv/handler.hpp"

namespace tacit::srv {

std::optional<RequestSig> request_sig(ByteView plaintext) {
    std::optional<RequestSig> out;
    auto pick = [&]<class M>(std::type_identity<M>) {
        if constexpr (M::sigs > 0) {
            auto d = msg::decode<M>(plaintext);
            out = RequestSig{d.signed_len, std::move(d.sigs[0])};
        }
    };
    try {
        if (plaintext.empty() || !msg::with_message_type(plaintext[0], pick)) return std::nullopt;
    } catch (const WireError&) {
        return std::nullopt;  // the handler answers it as malformed
    }
    return out;
}

}  // namespace tacit::srv
