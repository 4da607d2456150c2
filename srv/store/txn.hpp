// Typed access to the databases of tacit-protocol(7), STORAGE. A Txn exists only
// inside a Store::write or Store::read callback and must not outlive it;
// everything it returns is copied out of the map, so results stay valid
// after the transaction ends.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <utility>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "shared/bytes.hpp"
#include "shared/messages_prekey.hpp"
#include "srv/store/quota.hpp"
#include "srv/store/records.hpp"
#include "srv/store/store_error.hpp"

// lmdb.h stays out of this header: only srv/store/*.cpp include it.
struct MDB_txn;

namespace tacit::store {

// DBI handles, opened once at start-up (lmdb.h: MDB_dbi is unsigned int).
struct Dbis {
    unsigned users = 0, groups = 0, members = 0, member_of = 0, mailboxes = 0, mbox_count = 0, meta = 0;
    unsigned quota = 0;     // quota.hpp
    unsigned sessions = 0;  // SHA-256(token) -> SessionRec
    unsigned spk = 0, opk = 0;  // prekeys (records.hpp), schema 3
    // Signed group records (tacit-protocol(7), GROUPS; schema 3):
    unsigned group_records = 0;  // group | 0x00 | u64be epoch -> record
    unsigned group_heads = 0;    // group -> u64be epoch | SHA-256 of that record
};

// The newest record of a group's chain.
struct GroupHead {
    uint64_t epoch = 0;
    Array<32> hash{};
};

namespace detail {
// Thrown through the caller's fn when LMDB runs out of room (MAP_FULL) or
// of dirty-page slots (TXN_FULL); Store::write catches it and recovers.
struct Full {
    int rc;
};
}  // namespace detail

class Txn {
public:
    Txn(MDB_txn* t, const Dbis& d, bool writable, const Quotas& q) : t_(t), d_(d), writable_(writable), q_(q) {}
    Txn(const Txn&) = delete;
    Txn& operator=(const Txn&) = delete;

    std::optional<UserRec> get_user(std::string_view name);
    void put_user(std::string_view name, const UserRec&);  // insert or overwrite

    std::optional<GroupRec> get_group(std::string_view id);
    void put_group(std::string_view id, const GroupRec&);  // insert or overwrite

    bool is_member(std::string_view group, std::string_view user);
    // Both directions (members and member_of); adding twice or removing a
    // non-member is a no-op.
    void add_member(std::string_view group, std::string_view user);
    void remove_member(std::string_view group, std::string_view user);
    std::vector<std::string> members(std::string_view group);  // sorted
    size_t member_count(std::string_view group);
    std::vector<std::string> groups_of(std::string_view user);  // sorted

    // A group's chain: nullopt for a group with no records (none, or made
    // before schema 3). append_record stores `record` at head epoch + 1
    // (0 for the first) and makes it the head; the caller checked the chain
    // rules. group_record: the record at `epoch`, nullopt past the head.
    std::optional<GroupHead> group_head(std::string_view group);
    void append_record(std::string_view group, uint64_t epoch, ByteView record, const Array<32>& hash);
    std::optional<Bytes> group_record(std::string_view group, uint64_t epoch);

    // Mailbox ids come from one global counter in meta: strictly increasing,
    // never reused. allocate_id() is for entries whose content covers their
    // own id (system entries are signed over it): allocate, build, then
    // append_mail with msg.id set. append_mail with msg.id == 0 allocates.
    uint64_t allocate_id();
    uint64_t append_mail(std::string_view receiver, StoredMsg msg);  // returns msg.id
    uint64_t mailbox_count(std::string_view receiver);               // exact, O(1)
    uint64_t mailbox_cap() const { return q_.mailbox_count; }
    bool mailbox_full(std::string_view receiver) { return mailbox_count(receiver) >= q_.mailbox_count; }

    // Bytes of mail waiting (mail_charge of each record), exact, O(1):
    // in receiver's mailbox; from sender in all mailboxes; from sender in
    // receiver's. "From" is mail_payer: a system entry counts for the user
    // whose membership change wrote it.
    uint64_t mailbox_bytes(std::string_view receiver);
    uint64_t sender_bytes(std::string_view sender);
    uint64_t sender_mailbox_bytes(std::string_view sender, std::string_view receiver);
    // Which quota appending m to receiver's mailbox would break (None: it
    // may be stored). Checks nothing append_mail does not charge.
    Limit mail_limit(std::string_view receiver, const StoredMsg& m);
    // Whether `bytes` more still leave the reserve free below the ceiling.
    bool has_room(uint64_t bytes);
    // Pages of every database, the free list's own included, times the
    // page size: what the map holds live. Pages on the free list are not
    // counted, since LMDB reuses them.
    uint64_t live_bytes();
    const Quotas& quotas() const { return q_; }
    // Oldest first; at most max_msgs messages and max_bytes of encoded
    // stored items, but at least one message if any wait. *more = messages
    // remain after the page.
    std::vector<StoredMsg> mailbox_page(std::string_view receiver, size_t max_msgs, size_t max_bytes,
                                        bool* more);
    // Deletes those ids still present in receiver's mailbox; returns how many.
    size_t delete_mail(std::string_view receiver, std::span<const uint64_t> ids);

    // Login sessions. put overwrites; delete of
    // an absent hash is a no-op and returns false.
    void put_session(const SessionHash& h, const SessionRec&);
    std::optional<SessionRec> get_session(const SessionHash& h);
    bool delete_session(const SessionHash& h);
    std::vector<std::pair<SessionHash, SessionRec>> all_sessions();

    // Prekeys (srv/store/txn_prekeys.cpp). put_opk overwrites an id
    // already held; take_opk deletes and returns the lowest id.
    std::optional<x3dh::SignedPrekey> get_spk(std::string_view user);
    void put_spk(std::string_view user, const x3dh::SignedPrekey&);
    void put_opk(std::string_view user, const msg::PrekeyOpk&);
    bool has_opk(std::string_view user, uint32_t id);
    size_t opk_count(std::string_view user);
    std::optional<x3dh::OneTimePrekey> take_opk(std::string_view user);
    // The signed prekey and the whole pool (RENEW3 with a new key).
    void drop_prekeys(std::string_view user);

    // The server secret behind decoy salts (tacit-protocol(7),
    // LOGIN); created by Store at start-up.
    Array<32> decoy_secret();

    bool writable() const { return writable_; }

private:
    friend class Store;
    void need_writable() const;
    void check(int rc, const char* what);  // throws detail::Full or StoreError
    std::optional<Bytes> get_raw(unsigned dbi, ByteView key, const char* what);
    void put_raw(unsigned dbi, ByteView key, ByteView val, unsigned flags, const char* what);
    std::vector<std::string> dups(unsigned dbi, std::string_view key, const char* what);
    void add_count(std::string_view receiver, int64_t delta);
    uint64_t get_u64(unsigned dbi, ByteView key, const char* what);
    void add_u64(unsigned dbi, ByteView key, int64_t delta, const char* what);
    void charge(std::string_view receiver, std::string_view payer, int64_t bytes);
    // Schema 1 had no byte counts: computes them from the mailboxes.
    void rebuild_mail_bytes();

    MDB_txn* t_;
    Dbis d_;
    bool writable_;
    Quotas q_;
    int full_rc_ = 0;  // MAP_FULL / TXN_FULL seen, even if fn swallowed the throw
};

}  // namespace tacit::store
