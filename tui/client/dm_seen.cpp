#include "tui/client/dm_seen.hpp"

#include <algorithm>

#include "shared/wire.hpp"

namespace tacit::client {

namespace {
constexpr uint8_t kVersion = 1;
}  // namespace

std::vector<Array<16>> SeenLog::add(const Array<16>& id, uint64_t at_ms) {
    entries.push_back(Entry{at_ms, id});
    uint64_t newest = 0;
    for (const auto& e : entries) newest = std::max(newest, e.at_ms);
    std::vector<Array<16>> gone;
    while (entries.size() > 1 &&
           (entries.size() > kSeenPerSender || entries.front().at_ms + kSeenMaxAgeMs < newest)) {
        gone.push_back(entries.front().id);
        entries.pop_front();
    }
    return gone;
}

Bytes SeenLog::encode() const {
    Writer w;
    w.reserve(5 + entries.size() * 24).u8(kVersion).u32(uint32_t(entries.size()));
    for (const auto& e : entries) w.u64(e.at_ms).raw(e.id);
    return w.take();
}

std::optional<SeenLog> SeenLog::decode(ByteView b) {
    try {
        Reader r(b);
        if (r.u8() != kVersion) return std::nullopt;
        const uint32_t n = r.u32();
        if (n > kSeenPerSender || size_t(n) * 24 != r.remaining()) return std::nullopt;
        SeenLog out;
        for (uint32_t i = 0; i < n; ++i) {
            Entry e;
            e.at_ms = r.u64();
            e.id = r.fixed<16>();
            out.entries.push_back(e);
        }
        r.finish();
        return out;
    } catch (const WireError&) {
        return std::nullopt;
    }
}

}  // namespace tacit::client
