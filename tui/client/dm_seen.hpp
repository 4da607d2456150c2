// The direct messages this client processed from one sender, oldest
// first, kept sealed in the local store as "dm seen log SENDER":
//
//   u8 1 | u32 n (<= kSeenPerSender) | n x ( u64 at_ms | id[16] )
//
//   at_ms  the server's received_at of the item (MESSAGES, STORED
//          MESSAGES), the mailbox's own clock.
//   id     the marker's id (dm.cpp, "dm seen HEX"): a copy of a processed
//          message is dropped by it before any decryption.
//
// The log exists so the markers can go again: without it they grew by one
// per message forever. The pruning rule, and why it keeps replays refused:
//
// A marker only decides how a second copy is shown. Without one, the copy
// is still refused: its message key was deleted when it opened (Client
// state), so it does not decrypt, and a repeated X3DH first message meets
// the "dm first" marker or its used one-time prekey (dm.cpp). History also
// drops a second (sender, msg_id). So dropping a marker can at worst show
// a late genuine copy as "undecryptable", never show any copy as text.
//
// Genuine second copies come only from the mailbox: an item fetched again
// because its page was not acknowledged (a drop, a crash before UPDATE2),
// or fetched by two sessions before either acknowledged it. A page is
// acknowledged right after its commit, oldest items first, so such a copy
// is among the last pages processed and arrives within minutes. A marker
// is therefore kept while it is among the sender's newest kSeenPerSender
// (the ratchet's MAX_SKIP per session, far above a few pages) and
// its item is less than kSeenMaxAgeMs older than the sender's newest item
// (30 days, the skipped keys' lifetime), ages measured on the mailbox's
// clock so that the client's own clock cannot age markers early. The
// marker just added is never pruned by the same call.
#pragma once
#include <cstdint>
#include <deque>
#include <optional>
#include <vector>

#include "shared/bytes.hpp"

namespace tacit::client {

inline constexpr size_t kSeenPerSender = 2000;
inline constexpr uint64_t kSeenMaxAgeMs = 30ull * 24 * 3600 * 1000;

struct SeenLog {
    struct Entry {
        uint64_t at_ms = 0;
        Array<16> id{};
    };
    std::deque<Entry> entries;  // in the order processed

    // Appends id, then drops from the front, by the rule above, every entry
    // before it that is past the count or the age; returns their ids.
    std::vector<Array<16>> add(const Array<16>& id, uint64_t at_ms);
    Bytes encode() const;
    // nullopt on anything malformed; never throws.
    static std::optional<SeenLog> decode(ByteView b);
};

}  // namespace tacit::client
