#include "shared/direct_message.hpp"

#include "shared/wire.hpp"

namespace tacit::dm {

Bytes Wire::encode() const {
    Writer w;
    w.u8(kTag);
    if (init) w.blob(init->encode());
    else w.blob({});
    w.raw(ratchet);
    return w.take();
}

std::optional<Wire> Wire::decode(ByteView b) {
    try {
        Reader r(b);
        if (r.u8() != kTag) return std::nullopt;
        Wire out;
        auto init = r.blob_view(kInitMax);
        if (!init.empty()) {
            out.init = x3dh::InitHeader::decode(init);
            if (!out.init) return std::nullopt;
        }
        auto rest = r.raw_view(r.remaining());
        if (rest.size() < ratchet::kHeaderLen + ratchet::kTagLen) return std::nullopt;
        auto h = ratchet::message_header(rest);
        if (!h || !crypto::x25519_pub_valid(h->dh)) return std::nullopt;
        out.header = *h;
        out.ratchet.assign(rest.begin(), rest.end());
        return out;
    } catch (const WireError&) {
        return std::nullopt;
    }
}

}  // namespace tacit::dm
