#include "tui/client/dm_sessions.hpp"

#include <algorithm>

#include "shared/direct_message.hpp"
#include "shared/wire.hpp"

namespace tacit::client {

namespace {
constexpr uint8_t kVersion = 1;
// A ratchet state holds at most kMaxSkippedPerSession skipped keys of 76
// bytes each, the AD and a few fixed fields.
constexpr size_t kMaxState = 64 + ratchet::kMaxAd + ratchet::kMaxSkippedPerSession * 76 + 256;
}  // namespace

Array<32> bundles_id(const UserBundle& own, const UserBundle& peer) {
    Writer w;
    w.str("tacit v2 dm bundles").blob(own.encode()).blob(peer.encode());
    return crypto::sha256(w.bytes());
}

Secret DmSessions::encode() const {
    Writer w;
    w.u8(kVersion).u8(uint8_t(list.size()));
    for (auto& s : list) {
        w.raw(s.bundles).raw(s.first_id);
        if (s.pending_init) w.blob(s.pending_init->encode());
        else w.blob({});
        Secret st = s.ratchet.serialize();
        w.blob(st);
    }
    Bytes b = w.take();
    Secret out(b);
    wipe(b.data(), b.size());
    return out;
}

std::optional<DmSessions> DmSessions::decode(ByteView b) {
    try {
        Reader r(b);
        if (r.u8() != kVersion) return std::nullopt;
        size_t n = r.u8();
        if (n > kMaxSessions) return std::nullopt;
        DmSessions out;
        for (size_t i = 0; i < n; ++i) {
            auto bundles = r.fixed<32>();
            auto first = r.fixed<32>();
            auto init = r.blob_view(dm::kInitMax);
            std::optional<x3dh::InitHeader> pending;
            if (!init.empty() && !(pending = x3dh::InitHeader::decode(init))) return std::nullopt;
            auto s = ratchet::Session::deserialize(r.blob_view(kMaxState));
            if (!s) return std::nullopt;
            out.list.push_back(DmSession{bundles, first, pending, std::move(*s)});
        }
        r.finish();
        return out;
    } catch (const WireError&) {
        return std::nullopt;
    }
}

void DmSessions::add_front(DmSession s) {
    list.insert(list.begin(), std::move(s));
    if (list.size() > kMaxSessions) list.erase(list.begin() + long(kMaxSessions), list.end());
}

void DmSessions::move_front(size_t i) {
    if (i == 0 || i >= list.size()) return;
    std::rotate(list.begin(), list.begin() + long(i), list.begin() + long(i) + 1);
}

DmSession* DmSessions::current(const Array<32>& bundles) {
    for (auto& s : list)
        if (s.bundles == bundles) return &s;
    return nullptr;
}

}  // namespace tacit::client
