// Limits on mail waiting in the store (tacitd(8), "Storage quotas"), and
// which of them a new message would break. Bytes are those of the stored
// record (mail_charge); the counts behind them live in the quota database
// (records.hpp), kept exact in the same transaction as every mailbox write
// and delete.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

namespace tacit::store {

struct Quotas {
    uint64_t mailbox_count = 10000;                // messages per mailbox
    uint64_t mailbox_bytes = UINT64_MAX;           // bytes per mailbox
    uint64_t sender_mailbox_bytes = UINT64_MAX;    // one sender's bytes in one mailbox
    uint64_t sender_bytes = UINT64_MAX;            // one sender's bytes in all mailboxes
    // Mail is refused once the live pages of the map plus this reach the
    // ceiling, so acks and deletes (which need fresh pages for their
    // copy-on-write) always find room.
    uint64_t reserve = 0;
    uint64_t max_map = UINT64_MAX;  // set by Store from Options::max_map
};

// The limit a message would break, in the order they are checked.
enum class Limit : uint8_t { None, MailboxCount, MailboxBytes, SenderMailboxBytes, SenderBytes, Reserve };

// A sentence for the sender naming the limit (STORAGE_FULL's msg).
std::string limit_sentence(Limit, const Quotas&, std::string_view receiver);

// "64 MiB", "512 KiB", "300 bytes": for sentences and logs.
std::string size_text(uint64_t bytes);

}  // namespace tacit::store
