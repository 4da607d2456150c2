#include "srv/store/txn.hpp"

#include <lmdb.h>

#include <memory>
#include <stdexcept>

#include "shared/crypto.hpp"
#include "srv/store/lmdb_val.hpp"
#include "srv/store/meta_keys.hpp"

namespace tacit::store {

void Txn::need_writable() const {
    if (!writable_) throw std::logic_error("store: write inside Store::read");
}

void Txn::check(int rc, const char* what) {
    if (rc == MDB_SUCCESS) return;
    if (rc == MDB_MAP_FULL || rc == MDB_TXN_FULL) {
        full_rc_ = rc;
        throw detail::Full{rc};
    }
    throw StoreError(what, rc);
}

std::optional<Bytes> Txn::get_raw(unsigned dbi, ByteView key, const char* what) {
    MDB_val k = val(key), v;
    int rc = mdb_get(t_, dbi, &k, &v);
    if (rc == MDB_NOTFOUND) return std::nullopt;
    check(rc, what);
    auto b = view(v);
    return Bytes(b.begin(), b.end());
}

void Txn::put_raw(unsigned dbi, ByteView key, ByteView value, unsigned flags, const char* what) {
    need_writable();
    MDB_val k = val(key), v = val(value);
    check(mdb_put(t_, dbi, &k, &v, flags), what);
}

std::optional<UserRec> Txn::get_user(std::string_view name) {
    auto v = get_raw(d_.users, name_key(name), "get user");
    if (!v) return std::nullopt;
    UserRec u = decode_user(*v);
    wipe(v->data(), v->size());
    return u;
}

void Txn::put_user(std::string_view name, const UserRec& u) {
    Bytes v = encode_user(u);
    try {
        put_raw(d_.users, name_key(name), v, 0, "put user");
    } catch (...) {
        wipe(v.data(), v.size());
        throw;
    }
    wipe(v.data(), v.size());
}

std::optional<GroupRec> Txn::get_group(std::string_view id) {
    auto v = get_raw(d_.groups, name_key(id), "get group");
    if (!v) return std::nullopt;
    return decode_group(*v);
}

void Txn::put_group(std::string_view id, const GroupRec& g) {
    put_raw(d_.groups, name_key(id), encode_group(g), 0, "put group");
}

bool Txn::is_member(std::string_view group, std::string_view user) {
    MDB_cursor* raw = nullptr;
    check(mdb_cursor_open(t_, d_.members, &raw), "open cursor");
    Cursor c(raw);
    MDB_val k = val(name_key(group)), v = val(name_key(user));
    int rc = mdb_cursor_get(c.get(), &k, &v, MDB_GET_BOTH);
    if (rc == MDB_NOTFOUND) return false;
    check(rc, "is member");
    return true;
}

void Txn::add_member(std::string_view group, std::string_view user) {
    need_writable();
    MDB_val g = val(name_key(group)), u = val(name_key(user));
    int rc = mdb_put(t_, d_.members, &g, &u, MDB_NODUPDATA);
    if (rc != MDB_KEYEXIST) check(rc, "add member");
    g = val(name_key(group));
    u = val(name_key(user));
    rc = mdb_put(t_, d_.member_of, &u, &g, MDB_NODUPDATA);
    if (rc != MDB_KEYEXIST) check(rc, "add member_of");
}

void Txn::remove_member(std::string_view group, std::string_view user) {
    need_writable();
    MDB_val g = val(name_key(group)), u = val(name_key(user));
    int rc = mdb_del(t_, d_.members, &g, &u);
    if (rc != MDB_NOTFOUND) check(rc, "remove member");
    g = val(name_key(group));
    u = val(name_key(user));
    rc = mdb_del(t_, d_.member_of, &u, &g);
    if (rc != MDB_NOTFOUND) check(rc, "remove member_of");
}

std::vector<std::string> Txn::dups(unsigned dbi, std::string_view key, const char* what) {
    std::vector<std::string> out;
    MDB_cursor* raw = nullptr;
    check(mdb_cursor_open(t_, dbi, &raw), "open cursor");
    Cursor c(raw);
    MDB_val k = val(name_key(key)), v;
    int rc = mdb_cursor_get(c.get(), &k, &v, MDB_SET);
    while (rc == MDB_SUCCESS) {
        out.emplace_back(as_chars(view(v)));
        rc = mdb_cursor_get(c.get(), &k, &v, MDB_NEXT_DUP);
    }
    if (rc != MDB_NOTFOUND) check(rc, what);
    return out;
}

std::vector<std::string> Txn::members(std::string_view group) { return dups(d_.members, group, "members"); }
std::vector<std::string> Txn::groups_of(std::string_view user) { return dups(d_.member_of, user, "groups of"); }

size_t Txn::member_count(std::string_view group) {
    MDB_cursor* raw = nullptr;
    check(mdb_cursor_open(t_, d_.members, &raw), "open cursor");
    Cursor c(raw);
    MDB_val k = val(name_key(group)), v;
    int rc = mdb_cursor_get(c.get(), &k, &v, MDB_SET);
    if (rc == MDB_NOTFOUND) return 0;
    check(rc, "member count");
    size_t n = 0;
    check(mdb_cursor_count(c.get(), &n), "member count");
    return size_t(n);
}

std::optional<GroupHead> Txn::group_head(std::string_view group) {
    auto v = get_raw(d_.group_heads, name_key(group), "get group head");
    if (!v) return std::nullopt;
    if (v->size() != 40) throw StoreError("group head: malformed record", MDB_CORRUPTED);
    GroupHead h;
    h.epoch = get_u64be(v->data());
    std::copy(v->begin() + 8, v->end(), h.hash.begin());
    return h;
}

void Txn::append_record(std::string_view group, uint64_t epoch, ByteView record, const Array<32>& hash) {
    put_raw(d_.group_records, mailbox_key(group, epoch), record, MDB_NOOVERWRITE, "put group record");
    uint8_t head[40];
    put_u64be(head, epoch);
    std::copy(hash.begin(), hash.end(), head + 8);
    put_raw(d_.group_heads, name_key(group), head, 0, "put group head");
}

std::optional<Bytes> Txn::group_record(std::string_view group, uint64_t epoch) {
    // Same key shape as a mailbox entry: name | 0x00 | u64be.
    return get_raw(d_.group_records, mailbox_key(group, epoch), "get group record");
}

uint64_t Txn::allocate_id() {
    need_writable();
    uint64_t seq = 0;
    if (auto v = get_raw(d_.meta, as_bytes(meta::kSeq), "read sequence")) {
        if (v->size() != 8) throw StoreError("meta seq: malformed record", MDB_CORRUPTED);
        seq = get_u64be(v->data());
    }
    if (seq == UINT64_MAX) throw StoreError("meta seq: exhausted", MDB_CORRUPTED);
    ++seq;
    uint8_t b[8];
    put_u64be(b, seq);
    put_raw(d_.meta, as_bytes(meta::kSeq), b, 0, "write sequence");
    return seq;
}

uint64_t Txn::get_u64(unsigned dbi, ByteView key, const char* what) {
    auto v = get_raw(dbi, key, what);
    if (!v) return 0;
    if (v->size() != 8) throw StoreError(std::string(what) + ": malformed record", MDB_CORRUPTED);
    return get_u64be(v->data());
}

// A counter that is absent when zero, so the databases hold only the
// mailboxes and senders that have mail waiting.
void Txn::add_u64(unsigned dbi, ByteView key, int64_t delta, const char* what) {
    uint64_t n = get_u64(dbi, key, what);
    if (delta < 0 && uint64_t(-delta) > n) throw StoreError(std::string(what) + ": below zero", MDB_CORRUPTED);
    n += uint64_t(delta);
    if (n == 0) {
        MDB_val k = val(key);
        int rc = mdb_del(t_, dbi, &k, nullptr);
        if (rc != MDB_NOTFOUND) check(rc, what);
        return;
    }
    uint8_t b[8];
    put_u64be(b, n);
    put_raw(dbi, key, b, 0, what);
}

void Txn::add_count(std::string_view receiver, int64_t delta) {
    add_u64(d_.mbox_count, name_key(receiver), delta, "mbox_count");
}

uint64_t Txn::mailbox_count(std::string_view receiver) {
    return get_u64(d_.mbox_count, name_key(receiver), "mbox_count");
}

uint64_t Txn::append_mail(std::string_view receiver, StoredMsg msg) {
    need_writable();
    name_key(receiver);
    if (msg.id == 0) {
        msg.id = allocate_id();
    } else {
        auto v = get_raw(d_.meta, as_bytes(meta::kSeq), "read sequence");
        if (!v || v->size() != 8 || msg.id > get_u64be(v->data()))
            throw std::logic_error("store: append_mail with an id never allocated");
    }
    const Bytes value = encode_mail(msg);
    put_raw(d_.mailboxes, mailbox_key(receiver, msg.id), value, MDB_NOOVERWRITE, "append mail");
    add_count(receiver, 1);
    charge(receiver, mail_payer(msg), int64_t(value.size()));
    return msg.id;
}

std::vector<StoredMsg> Txn::mailbox_page(std::string_view receiver, size_t max_msgs, size_t max_bytes,
                                         bool* more) {
    std::vector<StoredMsg> out;
    bool rest = false;
    const Bytes prefix = mailbox_prefix(receiver);
    name_key(receiver);
    MDB_cursor* raw = nullptr;
    check(mdb_cursor_open(t_, d_.mailboxes, &raw), "open cursor");
    Cursor c(raw);
    MDB_val k = val(prefix), v;
    size_t bytes = 0;
    int rc = mdb_cursor_get(c.get(), &k, &v, MDB_SET_RANGE);
    while (rc == MDB_SUCCESS) {
        auto kb = view(k);
        if (kb.size() < prefix.size() || !std::equal(prefix.begin(), prefix.end(), kb.begin())) break;
        if (kb.size() != prefix.size() + 8) throw StoreError("mailboxes: malformed key", MDB_CORRUPTED);
        if (!out.empty() && out.size() >= max_msgs) {
            rest = true;
            break;
        }
        StoredMsg m = decode_mail(view(v), get_u64be(kb.data() + prefix.size()));
        size_t sz = stored_wire_size(m);
        if (!out.empty() && (bytes >= max_bytes || sz > max_bytes - bytes)) {
            rest = true;
            break;
        }
        bytes += sz;
        out.push_back(std::move(m));
        rc = mdb_cursor_get(c.get(), &k, &v, MDB_NEXT);
    }
    if (rc != MDB_SUCCESS && rc != MDB_NOTFOUND) check(rc, "mailbox page");
    if (more) *more = rest;
    return out;
}

size_t Txn::delete_mail(std::string_view receiver, std::span<const uint64_t> ids) {
    need_writable();
    name_key(receiver);
    size_t n = 0;
    for (uint64_t id : ids) {
        Bytes key = mailbox_key(receiver, id);
        MDB_val k = val(key), v;
        int rc = mdb_get(t_, d_.mailboxes, &k, &v);
        if (rc == MDB_NOTFOUND) continue;
        check(rc, "read mail to delete");
        // Read before the delete: v points into the map.
        const std::string payer = mail_payer(view(v));
        const int64_t bytes = int64_t(v.mv_size);
        check(mdb_del(t_, d_.mailboxes, &k, nullptr), "delete mail");
        charge(receiver, payer, -bytes);
        ++n;
    }
    if (n) add_count(receiver, -int64_t(n));
    return n;
}

Array<32> Txn::decoy_secret() {
    auto v = get_raw(d_.meta, as_bytes(meta::kDecoy), "read decoy secret");
    if (!v) {
        need_writable();
        Array<32> s = crypto::random_array<32>();
        put_raw(d_.meta, as_bytes(meta::kDecoy), s, 0, "write decoy secret");
        return s;
    }
    if (v->size() != 32) throw StoreError("meta decoy: malformed record", MDB_CORRUPTED);
    Array<32> s;
    std::copy(v->begin(), v->end(), s.begin());
    wipe(v->data(), v->size());
    return s;
}

// sessions: SHA-256(token) -> SessionRec (records.hpp).
void Txn::put_session(const SessionHash& h, const SessionRec& s) {
    need_writable();
    put_raw(d_.sessions, h, encode_session(s), 0, "put session");
}

std::optional<SessionRec> Txn::get_session(const SessionHash& h) {
    auto v = get_raw(d_.sessions, h, "get session");
    if (!v) return std::nullopt;
    return decode_session(*v);
}

bool Txn::delete_session(const SessionHash& h) {
    need_writable();
    MDB_val k = val(h);
    int rc = mdb_del(t_, d_.sessions, &k, nullptr);
    if (rc == MDB_NOTFOUND) return false;
    check(rc, "delete session");
    return true;
}

std::vector<std::pair<SessionHash, SessionRec>> Txn::all_sessions() {
    std::vector<std::pair<SessionHash, SessionRec>> out;
    MDB_cursor* raw = nullptr;
    check(mdb_cursor_open(t_, d_.sessions, &raw), "open cursor");
    Cursor c(raw);
    MDB_val k, v;
    int rc = mdb_cursor_get(c.get(), &k, &v, MDB_FIRST);
    for (; rc == MDB_SUCCESS; rc = mdb_cursor_get(c.get(), &k, &v, MDB_NEXT)) {
        auto kb = view(k);
        if (kb.size() != 32) throw StoreError("sessions: malformed key", MDB_CORRUPTED);
        SessionHash h;
        std::copy(kb.begin(), kb.end(), h.begin());
        out.emplace_back(h, decode_session(view(v)));
    }
    if (rc != MDB_NOTFOUND) check(rc, "list sessions");
    return out;
}

}  // namespace tacit::store
