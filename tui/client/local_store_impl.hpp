// The local store's insides (local_store.hpp): its layout's constants and
// LocalStore::Impl, shared by local_store.cpp (the store's operations) and
// local_store_schema.cpp (opening and migrating). Private to those files:
// it brings the names of tacit::client::local into tacit::client.
#pragma once
#include <lmdb.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "shared/crypto.hpp"
#include "tui/client/local_records.hpp"
#include "tui/client/local_store.hpp"
#include "tui/client/local_txn.hpp"

namespace tacit::client {

using namespace local;

// LMDB only reserves address space for the map. It starts at 256 MiB and
// doubles on MDB_MAP_FULL (history has no size limit of its own: ~3,850
// maximum-size messages used to fill a fixed map and wedge the client, which
// could then neither store nor acknowledge new mail).
constexpr size_t kDefaultMap = size_t(256) << 20;
constexpr size_t kMaxMap = size_t(1) << 40;
constexpr std::string_view kInfo = "tacit v2 history";
constexpr std::string_view kCheckKey = "check";
constexpr std::string_view kCheckText = "tacit local store v1";
// meta/counter: the insertion counter, 8 bytes big-endian, not sealed: it
// is the number of messages ever stored, a size like the files' own.
constexpr std::string_view kCounterKey = "counter";
// meta/index: the random 32-byte HMAC key of every index (schema 3), sealed.
constexpr std::string_view kIndexKey = "index";
// meta/filler: a scrub of the free pages is due (set by a migration);
// meta/filler | be64 i: the zero-filled records of that scrub.
constexpr std::string_view kFillerKey = "filler";
// LMDB's page header (PAGEHDRSZ) on 64-bit, for the fillers (scrub()).
constexpr size_t kPageHeader = 16;
// meta/schema: the layout's version, 4 bytes big-endian, not sealed (it
// hides nothing). Absent is 0: stores from before it was kept.
//   0 -> 1: the session token is no longer kept (it is erased), and ids
//           keyed by msg_id alone become (sender, msg_id).
//   1 -> 2: ids keys sender | 0x00 | msg_id become
//           HMAC-SHA256(HKDF(file_key, "tacit v2 history index"), that).
//   any -> 3: every key becomes an HMAC under the random index key and
//           every value is sealed (local_store.hpp); messages move from
//           "msgs" to "history", whose keys hold no name or time. It reads only the messages and the
//           name-keyed tables, so 0, 1 and 2 all go straight to 3.
constexpr std::string_view kSchemaKey = "schema";
constexpr uint32_t kSchemaVersion = 3;
// A schema 0-2 msgs key: conversation | 0x00 | be64 arrival | be64 counter.
constexpr size_t kOldMsgTail = 17;
constexpr std::string_view kOldTokenSecret = "token";
// Schema 3 keeps messages in "history"; "msgs" exists only in the older
// stores being migrated.
constexpr unsigned kMaxDbs = 9;

// Names of the DBs, also the first part of every record's AAD.
constexpr const char* kHistory = "history";
constexpr const char* kOldMsgs = "msgs";
constexpr const char* kIds = "ids";
constexpr const char* kConvs = "convs";
constexpr const char* kContacts = "contacts";
constexpr const char* kGroups = "groups";
constexpr const char* kSecrets = "secrets";
constexpr const char* kMeta = "meta";
constexpr const char* kSettings = "settings";

// What a schema 0-2 table held in its values, for the move to schema 3.
enum class OldValue { Sealed, SealedSetting, GroupFlag };

struct LocalStore::Impl {
    std::string dir;
    std::unique_ptr<MDB_env, EnvCloser> env;
    MDB_dbi msgs = 0, ids = 0, convs = 0, contacts = 0, groups = 0, secrets = 0, meta = 0, settings = 0;
    std::unique_ptr<crypto::Gcm> gcm;
    Secret index_key;  // meta/index: the HMAC key of every index

    static std::unique_ptr<crypto::Gcm> derive(ByteView file_key) {
        if (file_key.size() != 32) throw std::runtime_error("local store: file key must be 32 bytes");
        Secret k = crypto::hkdf_sha256(file_key, {}, as_bytes(kInfo));
        return std::make_unique<crypto::Gcm>(k.view());
    }

    // db | 0x00 | key: the AAD of a record, and the HMAC input of a name.
    static Bytes aad(const char* db, ByteView key) {
        static constexpr uint8_t zero = 0;
        return concat({as_bytes(db), ByteView(&zero, 1), key});
    }

    // HMAC-SHA256(index key, db | 0x00 | name): name's LMDB key in db. The
    // db in it keeps one name's keys in two tables from being linked.
    Bytes index(const char* db, ByteView name) const {
        auto mac = crypto::hmac_sha256(index_key.view(), aad(db, name));
        return Bytes(mac.begin(), mac.end());
    }
    Bytes index(const char* db, std::string_view name) const { return index(db, as_bytes(name)); }
    Bytes id_index(std::string_view sender, std::string_view msg_id) const {
        return index(kIds, id_key(sender, msg_id));
    }
    Bytes conv_tag(std::string_view conv) const {
        Bytes k = index(kHistory, conv);
        k.resize(kConvTag);
        return k;
    }

    // iv[12] | ciphertext | tag[16]
    static Bytes seal(const crypto::Gcm& g, const char* db, ByteView key, ByteView pt) {
        Bytes out(kIv + pt.size() + kTag);
        crypto::random_bytes(out.data(), kIv);
        g.seal(ByteView(out.data(), kIv), aad(db, key), pt, out.data() + kIv);
        return out;
    }
    Bytes seal(const char* db, ByteView key, ByteView pt) const { return seal(*gcm, db, key, pt); }

    static std::optional<Secret> open(const crypto::Gcm& g, const char* db, ByteView key, ByteView rec) {
        if (rec.size() < kIv + kTag) return std::nullopt;
        Secret pt(rec.size() - kIv - kTag);
        uint8_t dummy = 0;
        if (!g.open(rec.subspan(0, kIv), aad(db, key), rec.subspan(kIv), pt.empty() ? &dummy : pt.data()))
            return std::nullopt;
        return pt;
    }
    std::optional<Secret> open(const char* db, ByteView key, ByteView rec) const {
        return open(*gcm, db, key, rec);
    }

    // nullopt for a record that fails authentication or does not decode.
    std::optional<ChatMessage> open_msg(ByteView key, ByteView rec, std::string_view needle_lower, bool filter,
                                        const char* db = kHistory) const {
        auto pt = open(db, key, rec);
        if (!pt) return std::nullopt;
        try {
            ByteView body;
            ChatMessage m = decode_head(pt->view(), &body);
            if (filter && !contains_ci(body, needle_lower)) return std::nullopt;
            m.body.assign(as_chars(body));
            return m;
        } catch (const WireError&) {
            return std::nullopt;
        }
    }

    Txn read() { return Txn(env.get(), false); }
    bool open_all(Txn& t, const std::string& dir);

    // Runs fn in a write transaction and commits it. On MDB_MAP_FULL (from
    // any put or the commit) the transaction is aborted, the map doubled
    // and fn run again from the start, so fn must only write through t.
    // Any other failure, a full disk included, is thrown to the caller.
    template <class F> void write(F&& fn) {
        for (;;) {
            try {
                Txn t(env.get(), true);
                fn(t);
                t.commit();
                return;
            } catch (const LmdbError& e) {
                if (e.rc != MDB_MAP_FULL) throw;
            }
            grow();
        }
    }

    void grow() {
        MDB_envinfo info{};
        check(mdb_env_info(env.get(), &info), "cannot read the map size");
        if (info.me_mapsize >= kMaxMap) fail("history is at its largest map size", MDB_MAP_FULL);
        check(mdb_env_set_mapsize(env.get(), std::min(kMaxMap, info.me_mapsize * 2)), "cannot grow the map");
    }

    // Whether (sender, id) is stored.
    bool has_id(Txn& t, std::string_view sender, std::string_view id) {
        return t.get(ids, id_index(sender, id)).has_value();
    }

    // Calls fn(key, message) for conv's messages, newest first, until it
    // returns false; a record that does not open is passed as nullopt.
    template <class F> void walk_back(Txn& t, ByteView tag, F&& fn) {
        Cursor c = t.cursor(msgs);
        Bytes seek = msg_key(tag, UINT64_MAX);
        MDB_val k = val(seek), v{};
        bool ok = step(c.get(), &k, &v, MDB_SET_RANGE) ? step(c.get(), &k, &v, MDB_PREV)
                                                         : step(c.get(), &k, &v, MDB_LAST);
        for (; ok && has_tag(view(k), tag); ok = step(c.get(), &k, &v, MDB_PREV))
            if (!fn(view(k), open_msg(view(k), view(v), {}, false))) return;
    }

    // Stores pt, m's record, at key, and points ids' (m.from, m.id) at it.
    void put_msg(Txn& t, ByteView key, ByteView pt, const ChatMessage& m) {
        t.put(msgs, key, seal(kHistory, key, pt), MDB_NOOVERWRITE);
        Bytes ik = id_index(m.from, m.id);
        t.put(ids, ik, seal(kIds, ik, key));
    }

    std::optional<Activity> activity(Txn& t, std::string_view conv) {
        Bytes ck = index(kConvs, conv);
        auto rec = t.get(convs, ck);
        auto pt = rec ? open(kConvs, ck, *rec) : std::nullopt;
        return pt ? decode_activity(pt->view()) : std::nullopt;
    }
    void put_activity(Txn& t, const Activity& a) {
        Bytes ck = index(kConvs, a.conv);
        t.put(convs, ck, seal(kConvs, ck, encode_activity(a)));
    }

    bool store_msg(Txn& t, const ChatMessage& m, const std::string& conv, uint64_t& counter);
    void reseal(Txn& t, const crypto::Gcm& fresh, MDB_dbi dbi, const char* db);
    void scrub();
    void clear_fillers(Txn& t);

    uint32_t schema(Txn& t) {
        auto v = t.get(meta, as_bytes(kSchemaKey));
        if (!v) return 0;
        if (v->size() != 4) throw std::runtime_error("local store " + dir + ": damaged schema version");
        uint32_t n = 0;
        for (uint8_t b : *v) n = (n << 8) | b;
        return n;
    }
    // A secret as txn t sees it (nullopt: absent or failing authentication),
    // and whether it holds want.
    std::optional<Secret> secret_in(Txn& t, const std::string& name) const;
    bool secret_is(Txn& t, const std::string& name, const std::optional<Secret>& want) const;
    void migrate(Txn& t);
    void migrate_to_3(Txn& t, uint32_t from);
    void migrate_msgs(Txn& t);
    void migrate_names(Txn& t, MDB_dbi dbi, const char* db, OldValue kind, std::string_view drop = {});

    // LocalStore::SecretTxn over one write transaction of this store.
    struct SecretsIn final : SecretTxn {
        const Impl& s;
        Txn& t;
        SecretsIn(const Impl& s, Txn& t) : s(s), t(t) {}
        std::optional<Secret> get(const std::string& name) override { return s.secret_in(t, name); }
        void put(const std::string& name, ByteView value) override {
            const Bytes key = s.index(kSecrets, name_key(name, "secret name"));
            t.put(s.secrets, key, s.seal(kSecrets, key, value));
        }
        void erase(const std::string& name) override {
            t.del(s.secrets, s.index(kSecrets, name_key(name, "secret name")));
        }
    };
};

}  // namespace tacit::client
