// Opening the local store and bringing an older layout to this one
// (local_store_impl.hpp lists the schema steps), and the scrub of LMDB's
// free pages that follows a migration.
#include <lmdb.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <stdexcept>
#include <tuple>

#include "shared/crypto.hpp"
#include "shared/wire.hpp"
#include "tui/client/local_store_impl.hpp"

namespace tacit::client {

namespace {

Bytes filler_key(uint64_t i) {
    Bytes k(as_bytes(kFillerKey).begin(), as_bytes(kFillerKey).end());
    k.resize(k.size() + 8);
    put_u64be(k.data() + k.size() - 8, i);
    return k;
}

// Free pages LMDB may hand to the next write transaction: those in the
// free list (DB 0) of transactions older than t's snapshot. Each free-list
// value is an array of page numbers whose first element is their count.
size_t reusable_pages(Txn& t) {
    const uint64_t now = mdb_txn_id(t.get());
    size_t n = 0;
    Cursor c = t.cursor(0);
    MDB_val k{}, v{};
    for (bool ok = step(c.get(), &k, &v, MDB_FIRST); ok; ok = step(c.get(), &k, &v, MDB_NEXT)) {
        if (k.mv_size != sizeof(size_t) || v.mv_size < sizeof(size_t)) continue;
        size_t id = 0, count = 0;
        std::memcpy(&id, k.mv_data, sizeof id);
        std::memcpy(&count, v.mv_data, sizeof count);
        if (id < now) n += count;
    }
    return n;
}

}  // namespace

// Opens every DB, checks the key, migrates and loads the index key;
// returns whether a scrub of the free pages is due.
bool LocalStore::Impl::open_all(Txn& t, const std::string& dir) {
    Impl& s = *this;
    s.msgs = t.open_dbi(kHistory);
    s.ids = t.open_dbi(kIds);
    s.convs = t.open_dbi(kConvs);
    s.contacts = t.open_dbi(kContacts);
    s.groups = t.open_dbi(kGroups);
    s.secrets = t.open_dbi(kSecrets);
    s.meta = t.open_dbi(kMeta);
    s.settings = t.open_dbi(kSettings);  // stores from before it get it here

    // The check record tells a wrong key apart before anything is read.
    auto ck = as_bytes(kCheckKey);
    if (auto rec = t.get(s.meta, ck)) {
        auto pt = s.open(kMeta, ck, *rec);
        if (!pt || !ct_equal(pt->view(), as_bytes(kCheckText)))
            throw std::runtime_error("local store " + dir +
                                     ": cannot decrypt with this key (wrong password, or another "
                                     "account's store)");
    } else {
        t.put(s.meta, ck, s.seal(kMeta, ck, as_bytes(kCheckText)));
    }
    migrate(t);

    auto ik = as_bytes(kIndexKey);
    auto rec = t.get(s.meta, ik);
    auto k = rec ? s.open(kMeta, ik, *rec) : std::nullopt;
    if (!k || k->size() != 32) throw std::runtime_error("local store " + dir + ": damaged index key");
    s.index_key = std::move(*k);
    return t.get(s.meta, as_bytes(kFillerKey)).has_value();
}

// Brings a store of an older layout to kSchemaVersion, in the opening
// transaction: all steps commit together or not at all, so an interrupted
// migration leaves the old layout as it was.
void LocalStore::Impl::migrate(Txn& t) {
    const uint32_t v = schema(t);
    if (v > kSchemaVersion)
        throw std::runtime_error("local store " + dir + " has schema " + std::to_string(v) +
                                 ", newer than this tacit knows (" + std::to_string(kSchemaVersion) +
                                 "); use a newer tacit");
    if (v == kSchemaVersion) return;
    migrate_to_3(t, v);
    const uint8_t be[4] = {uint8_t(kSchemaVersion >> 24), uint8_t(kSchemaVersion >> 16), uint8_t(kSchemaVersion >> 8),
                           uint8_t(kSchemaVersion)};
    t.put(meta, as_bytes(kSchemaKey), ByteView(be, 4));
}

// No page holding an old plaintext key is ever modified: each table is read,
// emptied and written anew (new pages), the old messages DB is deleted
// whole, and scrub() then overwrites the freed pages. Editing old pages in
// place would leave copies of deleted keys in their free space.
void LocalStore::Impl::migrate_to_3(Txn& t, uint32_t from) {
    Secret k(32);
    crypto::random_bytes(k.data(), k.size());
    t.put(meta, as_bytes(kIndexKey), seal(kMeta, as_bytes(kIndexKey), k.view()));
    index_key = std::move(k);
    migrate_msgs(t);
    migrate_names(t, contacts, kContacts, OldValue::Sealed);
    // 0 -> 1 erased the session token (tacit(1) keeps it in memory only).
    migrate_names(t, secrets, kSecrets, OldValue::Sealed, from < 1 ? kOldTokenSecret : "");
    migrate_names(t, settings, kSettings, OldValue::SealedSetting);
    migrate_names(t, groups, kGroups, OldValue::GroupFlag);
    static constexpr uint8_t due = 1;
    t.put(meta, as_bytes(kFillerKey), ByteView(&due, 1));  // the old keys are in free pages now
}

// Old "msgs" keys conversation | 0x00 | arrival | counter become history
// keys tag | position, positions given in (arrival, counter) order, so each
// conversation keeps its order. ids and convs are rebuilt from the messages
// (an HMAC of schema 2 can't be undone); a message that no longer opens is
// dropped, as its key alone named its conversation.
void LocalStore::Impl::migrate_msgs(Txn& t) {
    t.clear(ids);
    t.clear(convs);
    auto old_db = t.find_dbi(kOldMsgs);
    if (!old_db) return;  // a new store
    struct Old {
        uint64_t at, ctr;
        Bytes key;
    };
    std::vector<Old> old;
    {
        Cursor c = t.cursor(*old_db);
        MDB_val k{}, v{};
        for (bool ok = step(c.get(), &k, &v, MDB_FIRST); ok; ok = step(c.get(), &k, &v, MDB_NEXT)) {
            auto key = view(k);
            if (key.size() <= kOldMsgTail || key[key.size() - kOldMsgTail] != 0) continue;
            const uint8_t* tail = key.data() + key.size() - 16;
            old.push_back({get_u64be(tail), get_u64be(tail + 8), Bytes(key.begin(), key.end())});
        }
    }
    std::sort(old.begin(), old.end(), [](const Old& a, const Old& b) { return std::tie(a.at, a.ctr) < std::tie(b.at, b.ctr); });
    std::map<std::string, Activity> acts;
    uint64_t counter = 0;
    for (const auto& o : old) {
        auto rec = t.get(*old_db, o.key);
        const std::string conv(as_chars(ByteView(o.key).first(o.key.size() - kOldMsgTail)));
        auto m = rec ? open_msg(o.key, *rec, {}, false, kOldMsgs) : std::nullopt;
        if (!m || !key_name_ok(conv) || !sender_ok(m->from) || !key_name_ok(m->id)) continue;
        Bytes pt = encode(*m);  // decoded from a record, so it encodes
        put_msg(t, msg_key(conv_tag(conv), ++counter), pt, *m);
        wipe(pt.data(), pt.size());
        acts[conv] = {o.at, counter, conv};  // in arrival order: the last is the latest
    }
    t.drop_dbi(*old_db);
    for (const auto& a : acts) put_activity(t, a.second);
    uint8_t cbuf[8];
    put_u64be(cbuf, counter);
    t.put(meta, as_bytes(kCounterKey), ByteView(cbuf, 8));
}

// A table keyed by plain names gets HMAC keys; the value is re-sealed under
// its new key (groups' plain flag becomes the sealed name). A record that
// did not open stays unreadable under its new key: pinned() still refuses
// a damaged pin rather than seeing none. The name drop is left out.
void LocalStore::Impl::migrate_names(Txn& t, MDB_dbi dbi, const char* db, OldValue kind, std::string_view drop) {
    const auto old = entries(t, dbi);
    t.clear(dbi);
    for (auto& [name, rec] : old) {
        if (as_chars(name) == drop) continue;
        const Bytes key = index(db, ByteView(name));
        std::optional<Secret> pt = kind == OldValue::GroupFlag ? std::optional<Secret>(Secret(ByteView(name)))
                                                               : open(db, name, rec);
        if (!pt) {
            t.put(dbi, key, rec);
        } else if (kind == OldValue::SealedSetting) {
            Bytes v = encode_setting(as_chars(name), pt->view());
            t.put(dbi, key, seal(db, key, v));
        } else {
            t.put(dbi, key, seal(db, key, pt->view()));
        }
    }
}

// LMDB does not wipe the pages it frees, so after a migration the old
// plaintext keys would stay in the file's free pages until reused. This
// fills every reusable free page with a zero record of one page and then
// deletes those records. Three transactions: LMDB reuses only pages freed
// by transactions before the newest, so the first one ages the migration's;
// meta/filler stays until the last, so an interrupted scrub runs again.
void LocalStore::Impl::scrub() {
    static constexpr uint8_t due = 1;
    write([&](Txn& t) { t.put(meta, as_bytes(kFillerKey), ByteView(&due, 1)); });
    size_t pages = 0;
    {
        Txn t = read();
        pages = reusable_pages(t);
    }
    MDB_stat st{};
    check(mdb_env_stat(env.get(), &st), "cannot read the page size");
    // Values over about half a page go to overflow pages; this one fills
    // exactly one, past its header (LMDB's PAGEHDRSZ, 16 bytes on 64-bit),
    // as LMDB reuses page buffers without clearing them.
    const Bytes zeros(st.ms_psize - kPageHeader, 0);
    write([&](Txn& t) {
        for (size_t i = 0; i < pages; ++i) t.put(meta, filler_key(i), zeros);
    });
    write([&](Txn& t) { clear_fillers(t); });
}

// Deletes meta/filler and every meta/filler | i.
void LocalStore::Impl::clear_fillers(Txn& t) {
    std::vector<Bytes> keys;
    {
        Cursor c = t.cursor(meta);
        Bytes seek(as_bytes(kFillerKey).begin(), as_bytes(kFillerKey).end());
        MDB_val k = val(seek), v{};
        for (bool ok = step(c.get(), &k, &v, MDB_SET_RANGE);
             ok && as_chars(view(k)).substr(0, kFillerKey.size()) == kFillerKey; ok = step(c.get(), &k, &v, MDB_NEXT))
            keys.emplace_back(view(k).begin(), view(k).end());
    }
    for (auto& k : keys) t.del(meta, k);
}

}  // namespace tacit::client
