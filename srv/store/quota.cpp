// Txn's quota accounting (txn.hpp, quota.hpp): three kinds of counters of
// waiting bytes, changed by append_mail and delete_mail in the transaction
// that changes the mailbox, so they are exactly what the mailboxes hold
// after any commit, restart or kill -9.
#include <lmdb.h>

#include <fmt/core.h>
#include <map>
#include <memory>

#include "srv/store/txn.hpp"

namespace tacit::store {

namespace {

// The named databases (opened by Store) plus LMDB's own two: the free list
// (0) and the main database (1).
constexpr unsigned kFreeDbi = 0, kMainDbi = 1;

}  // namespace

std::string size_text(uint64_t b) {
    if (b >= (1ull << 30) && b % (1ull << 30) == 0) return fmt::format("{} GiB", b >> 30);
    if (b >= (1ull << 20) && b % (1ull << 20) == 0) return fmt::format("{} MiB", b >> 20);
    if (b >= (1ull << 10) && b % (1ull << 10) == 0) return fmt::format("{} KiB", b >> 10);
    if (b >= (1ull << 20)) return fmt::format("{:.1f} MiB", double(b) / double(1ull << 20));
    if (b >= (1ull << 10)) return fmt::format("{:.1f} KiB", double(b) / double(1ull << 10));
    return fmt::format("{} bytes", b);
}

std::string limit_sentence(Limit l, const Quotas& q, std::string_view receiver) {
    const std::string r(receiver);
    switch (l) {
    case Limit::None: return "";
    case Limit::MailboxCount:
        return fmt::format("mailbox of {} is full: it holds {} messages, the most this server keeps for one user",
                           r, q.mailbox_count);
    case Limit::MailboxBytes:
        return fmt::format("mailbox of {} is full: it holds {}, the most this server keeps for one user", r,
                           size_text(q.mailbox_bytes));
    case Limit::SenderMailboxBytes:
        return fmt::format("you have {} waiting for {}, the most this server keeps from one sender for one user; "
                           "try again once {} has read them",
                           size_text(q.sender_mailbox_bytes), r, r);
    case Limit::SenderBytes:
        return fmt::format("you have {} waiting unread, the most this server keeps from one sender for all "
                           "users together; try again once they have been read",
                           size_text(q.sender_bytes));
    case Limit::Reserve:
        return "server storage is full: the rest is kept so that mail can still be fetched and deleted; try later";
    }
    return "";
}

uint64_t Txn::mailbox_bytes(std::string_view receiver) {
    return get_u64(d_.quota, mailbox_bytes_key(receiver), "quota");
}

uint64_t Txn::sender_bytes(std::string_view sender) {
    return get_u64(d_.quota, sender_bytes_key(sender), "quota");
}

uint64_t Txn::sender_mailbox_bytes(std::string_view sender, std::string_view receiver) {
    return get_u64(d_.quota, pair_bytes_key(sender, receiver), "quota");
}

void Txn::charge(std::string_view receiver, std::string_view payer, int64_t bytes) {
    add_u64(d_.quota, mailbox_bytes_key(receiver), bytes, "quota");
    if (payer.empty()) return;
    add_u64(d_.quota, sender_bytes_key(payer), bytes, "quota");
    add_u64(d_.quota, pair_bytes_key(payer, receiver), bytes, "quota");
}

uint64_t Txn::live_bytes() {
    const unsigned dbis[] = {kFreeDbi,     kMainDbi,     d_.users,      d_.groups, d_.members,
                             d_.member_of, d_.mailboxes, d_.mbox_count, d_.meta,   d_.quota};
    uint64_t pages = 2;  // the two meta pages
    unsigned psize = 0;
    for (unsigned dbi : dbis) {
        MDB_stat st{};
        check(mdb_stat(t_, dbi, &st), "database statistics");
        pages += st.ms_branch_pages + st.ms_leaf_pages + st.ms_overflow_pages;
        psize = st.ms_psize;
    }
    return pages * psize;
}

bool Txn::has_room(uint64_t bytes) {
    if (q_.max_map == UINT64_MAX) return true;
    const uint64_t used = live_bytes();
    return used < q_.max_map && bytes + q_.reserve <= q_.max_map - used;
}

Limit Txn::mail_limit(std::string_view receiver, const StoredMsg& m) {
    const uint64_t c = mail_charge(m);
    auto over = [c](uint64_t have, uint64_t cap) { return have > cap || c > cap - have; };
    if (mailbox_full(receiver)) return Limit::MailboxCount;
    if (over(mailbox_bytes(receiver), q_.mailbox_bytes)) return Limit::MailboxBytes;
    if (const std::string payer = mail_payer(m); !payer.empty()) {
        if (over(sender_mailbox_bytes(payer, receiver), q_.sender_mailbox_bytes)) return Limit::SenderMailboxBytes;
        if (over(sender_bytes(payer), q_.sender_bytes)) return Limit::SenderBytes;
    }
    if (!has_room(c)) return Limit::Reserve;
    return Limit::None;
}

void Txn::rebuild_mail_bytes() {
    need_writable();
    std::map<Bytes, uint64_t> sums;  // quota key -> bytes
    MDB_cursor* raw = nullptr;
    check(mdb_cursor_open(t_, d_.mailboxes, &raw), "open cursor");
    std::unique_ptr<MDB_cursor, void (*)(MDB_cursor*)> c(raw, mdb_cursor_close);
    MDB_val k, v;
    int rc = mdb_cursor_get(c.get(), &k, &v, MDB_FIRST);
    for (; rc == MDB_SUCCESS; rc = mdb_cursor_get(c.get(), &k, &v, MDB_NEXT)) {
        std::string_view key(static_cast<const char*>(k.mv_data), k.mv_size);
        auto zero = key.find('\0');
        if (zero == std::string_view::npos || key.size() != zero + 9)
            throw StoreError("mailboxes: malformed key", MDB_CORRUPTED);
        const std::string receiver(key.substr(0, zero));
        const std::string payer = mail_payer({static_cast<const uint8_t*>(v.mv_data), v.mv_size});
        sums[mailbox_bytes_key(receiver)] += v.mv_size;
        if (payer.empty()) continue;
        sums[sender_bytes_key(payer)] += v.mv_size;
        sums[pair_bytes_key(payer, receiver)] += v.mv_size;
    }
    if (rc != MDB_NOTFOUND) check(rc, "scan mailboxes");
    c.reset();
    for (auto& [key, n] : sums) {
        uint8_t b[8];
        put_u64be(b, n);
        put_raw(d_.quota, key, b, 0, "rebuild byte counts");
    }
}

}  // namespace tacit::store
