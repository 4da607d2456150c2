#include "tui/client/local_store.hpp"

#include <errno.h>
#include <lmdb.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string_view>
#include <tuple>
#include <utility>

#include "shared/crypto.hpp"
#include "shared/wire.hpp"

namespace tacit::client {

namespace {

// LMDB only reserves address space for the map. It starts at 256 MiB and
// doubles on MDB_MAP_FULL (history has no size limit of its own: ~3,850
// maximum-size messages used to fill a fixed map and wedge the client, which
// could then neither store nor acknowledge new mail).
constexpr size_t kDefaultMap = size_t(256) << 20;
constexpr size_t kMaxMap = size_t(1) << 40;
constexpr size_t kIv = 12, kTag = 16;
// LMDB's default key limit is 511 bytes; conversation keys add 17 more.
constexpr size_t kMaxName = 255;
constexpr size_t kMaxBody = size_t(16) << 20;
// 2 appends received_at; 1 (without it) is still read.
constexpr uint8_t kRecordVersion = 2, kRecordV1 = 1;
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
// A history key: HMAC(index key, "history" | 0x00 | conversation)[16] |
// be64 position; 24 bytes.
constexpr size_t kConvTag = 16, kMsgKey = kConvTag + 8;
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

// Carries the LMDB code, so a write can tell MAP_FULL (grow and retry)
// from real failures (reported, e.g. a full disk).
struct LmdbError : std::runtime_error {
    LmdbError(const std::string& what, int rc)
        : std::runtime_error("local store: " + what + ": " + mdb_strerror(rc)), rc(rc) {}
    int rc;
};

[[noreturn]] void fail(const std::string& what, int rc) { throw LmdbError(what, rc); }
void check(int rc, const char* what) {
    if (rc != MDB_SUCCESS) fail(what, rc);
}

MDB_val val(ByteView b) { return {b.size(), const_cast<uint8_t*>(b.data())}; }
ByteView view(const MDB_val& v) { return {static_cast<const uint8_t*>(v.mv_data), v.mv_size}; }


bool key_name_ok(std::string_view s) {
    return !s.empty() && s.size() <= kMaxName && s.find('\0') == std::string_view::npos;
}
ByteView name_key(std::string_view s, const char* what) {
    if (!key_name_ok(s)) throw std::invalid_argument(std::string("local store: bad ") + what);
    return as_bytes(s);
}

// tag | be64 position: a conversation's keys share the tag and sort by
// position, which add() keeps in arrival order.
Bytes msg_key(ByteView tag, uint64_t pos) {
    Bytes k(tag.begin(), tag.end());
    k.resize(kMsgKey);
    put_u64be(k.data() + kConvTag, pos);
    return k;
}
bool has_tag(ByteView key, ByteView tag) {
    return key.size() == kMsgKey && std::equal(tag.begin(), tag.end(), key.begin());
}
uint64_t msg_pos(ByteView key) { return get_u64be(key.data() + kConvTag); }

// A conversation's latest activity, sealed in convs (schema 3): be64
// arrival | be64 position | name. Arrival is the greatest of its messages'.
struct Activity {
    uint64_t at = 0, pos = 0;
    std::string conv;
};
Bytes encode_activity(const Activity& a) {
    Bytes b(16);
    put_u64be(b.data(), a.at);
    put_u64be(b.data() + 8, a.pos);
    b.insert(b.end(), as_bytes(a.conv).begin(), as_bytes(a.conv).end());
    return b;
}
std::optional<Activity> decode_activity(ByteView b) {
    if (b.size() < 17) return std::nullopt;
    return Activity{get_u64be(b.data()), get_u64be(b.data() + 8), std::string(as_chars(b.subspan(16)))};
}

uint8_t ascii_lower(uint8_t c) { return (c >= 'A' && c <= 'Z') ? uint8_t(c + ('a' - 'A')) : c; }

bool contains_ci(ByteView hay, std::string_view needle_lower) {
    auto nb = as_bytes(needle_lower);
    return std::search(hay.begin(), hay.end(), nb.begin(), nb.end(),
                       [](uint8_t a, uint8_t b) { return ascii_lower(a) == b; }) != hay.end();
}

// mkdir -p, each created level 0700; the store dir itself is forced to 0700
// because it holds the lock file and the (encrypted) data.
void make_dirs(const std::string& dir) {
    if (dir.empty()) throw std::runtime_error("local store: empty directory name");
    for (size_t i = 1; i <= dir.size(); ++i) {
        if (i != dir.size() && dir[i] != '/') continue;
        std::string part = dir.substr(0, i);
        if (::mkdir(part.c_str(), 0700) != 0 && errno != EEXIST)
            throw std::runtime_error("local store: cannot create " + part + ": " + std::strerror(errno));
    }
    struct stat st {};
    if (::stat(dir.c_str(), &st) != 0)
        throw std::runtime_error("local store: cannot stat " + dir + ": " + std::strerror(errno));
    if (!S_ISDIR(st.st_mode)) throw std::runtime_error("local store: " + dir + " is not a directory");
    if ((st.st_mode & 0777) != 0700 && ::chmod(dir.c_str(), 0700) != 0)
        throw std::runtime_error("local store: cannot chmod 0700 " + dir + ": " + std::strerror(errno));
}

struct EnvCloser {
    void operator()(MDB_env* e) const { mdb_env_close(e); }
};
struct CursorCloser {
    void operator()(MDB_cursor* c) const { mdb_cursor_close(c); }
};
using Cursor = std::unique_ptr<MDB_cursor, CursorCloser>;

// Aborts unless committed. Everything read is copied out before it ends.
class Txn {
public:
    Txn(MDB_env* env, bool writable) {
        unsigned flags = writable ? 0 : MDB_RDONLY;
        int rc = mdb_txn_begin(env, nullptr, flags, &t_);
        if (rc == MDB_MAP_RESIZED) {
            // Another process of this account grew the map: adopt its size
            // (no transaction of ours is open here) and begin again.
            check(mdb_env_set_mapsize(env, 0), "cannot adopt the grown map size");
            rc = mdb_txn_begin(env, nullptr, flags, &t_);
        }
        check(rc, "cannot begin transaction");
    }
    ~Txn() {
        if (t_) mdb_txn_abort(t_);
    }
    Txn(const Txn&) = delete;
    Txn& operator=(const Txn&) = delete;

    // mdb_txn_commit frees the handle whether or not it succeeds.
    void commit() {
        MDB_txn* t = std::exchange(t_, nullptr);
        check(mdb_txn_commit(t), "commit failed");
    }
    MDB_txn* get() const { return t_; }

    // nullopt when the DB does not exist.
    std::optional<MDB_dbi> find_dbi(const char* name) {
        MDB_dbi d = 0;
        int rc = mdb_dbi_open(t_, name, 0, &d);
        if (rc == MDB_NOTFOUND) return std::nullopt;
        check(rc, "cannot open database");
        return d;
    }
    // Deletes d and its handle.
    void drop_dbi(MDB_dbi d) { check(mdb_drop(t_, d, 1), "cannot delete database"); }
    MDB_dbi open_dbi(const char* name) {
        MDB_dbi d = 0;
        check(mdb_dbi_open(t_, name, MDB_CREATE, &d), "cannot open database");
        return d;
    }
    std::optional<Bytes> get(MDB_dbi d, ByteView key) {
        MDB_val k = val(key), v{};
        int rc = mdb_get(t_, d, &k, &v);
        if (rc == MDB_NOTFOUND) return std::nullopt;
        check(rc, "read failed");
        auto b = view(v);
        return Bytes(b.begin(), b.end());
    }
    void put(MDB_dbi d, ByteView key, ByteView value, unsigned flags = 0) {
        MDB_val k = val(key), v = val(value);
        check(mdb_put(t_, d, &k, &v, flags), "write failed");
    }
    void del(MDB_dbi d, ByteView key) {
        MDB_val k = val(key);
        int rc = mdb_del(t_, d, &k, nullptr);
        if (rc != MDB_NOTFOUND) check(rc, "delete failed");
    }
    // Empties d (the DB itself stays).
    void clear(MDB_dbi d) { check(mdb_drop(t_, d, 0), "cannot empty database"); }
    Cursor cursor(MDB_dbi d) {
        MDB_cursor* c = nullptr;
        check(mdb_cursor_open(t_, d, &c), "cannot open cursor");
        return Cursor(c);
    }

private:
    MDB_txn* t_ = nullptr;
};

// One cursor step; false at either end. Keys and values point into the map
// and are valid only until the transaction ends.
bool step(MDB_cursor* c, MDB_val* k, MDB_val* v, MDB_cursor_op op) {
    int rc = mdb_cursor_get(c, k, v, op);
    if (rc == MDB_NOTFOUND) return false;
    check(rc, "cursor read failed");
    return true;
}

// Duplicates are (sender, msg_id): a msg_id is chosen by its sender, so
// anyone who learns one must not be able to suppress another sender's
// message with it. sender | 0x00 | msg_id fits LMDB's 511-byte key limit.
Bytes id_key(std::string_view sender, std::string_view msg_id) {
    Bytes k(as_bytes(sender).begin(), as_bytes(sender).end());
    k.push_back(0);
    k.insert(k.end(), as_bytes(msg_id).begin(), as_bytes(msg_id).end());
    return k;
}
bool sender_ok(std::string_view s) { return s.size() <= kMaxName && s.find('\0') == std::string_view::npos; }

uint64_t arrival(const ChatMessage& m) { return m.received_at_ms ? m.received_at_ms : m.sent_at_ms; }

Bytes encode(const ChatMessage& m) {
    Writer w;
    w.u8(kRecordVersion).str(m.id).str(m.from).str(m.to).str(m.group).u64(m.sent_at_ms);
    w.blob(as_bytes(m.body)).u8(m.verified ? 1 : 0).u8(m.outgoing ? 1 : 0).str(m.problem);
    w.u64(m.received_at_ms);
    return w.take();
}

// Decodes everything but the body, which stays a view into pt, so search can
// test it before copying. Throws WireError on a malformed record.
ChatMessage decode_head(ByteView pt, ByteView* body) {
    Reader r(pt);
    uint8_t version = r.u8();
    if (version != kRecordVersion && version != kRecordV1) throw WireError(WireError::Invalid, "unknown record version");
    ChatMessage m;
    m.id = r.str();
    m.from = r.str();
    m.to = r.str();
    m.group = r.str();
    m.sent_at_ms = r.u64();
    *body = r.blob_view(kMaxBody);
    m.verified = r.u8() != 0;
    m.outgoing = r.u8() != 0;
    m.problem = r.str();
    if (version == kRecordVersion) m.received_at_ms = r.u64();
    r.finish();
    return m;
}

// A setting's sealed value: str(name) | blob(value); the key is an HMAC, so
// settings() reads the name from here.
Bytes encode_setting(std::string_view name, ByteView value) {
    Writer w;
    w.str(name).blob(value);
    return w.take();
}
std::optional<std::pair<std::string, std::string>> decode_setting(ByteView pt) {
    try {
        Reader r(pt);
        std::string name = r.str(kMaxName);
        std::string value(as_chars(r.blob_view(pt.size())));
        r.finish();
        return std::make_pair(std::move(name), std::move(value));
    } catch (const WireError&) {
        return std::nullopt;
    }
}

// Every (key, value) of d, copied out: puts while a cursor walks the same
// DB are best avoided.
std::vector<std::pair<Bytes, Bytes>> entries(Txn& t, MDB_dbi d) {
    std::vector<std::pair<Bytes, Bytes>> out;
    Cursor c = t.cursor(d);
    MDB_val k{}, v{};
    for (bool ok = step(c.get(), &k, &v, MDB_FIRST); ok; ok = step(c.get(), &k, &v, MDB_NEXT))
        out.emplace_back(Bytes(view(k).begin(), view(k).end()), Bytes(view(v).begin(), view(v).end()));
    return out;
}

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

// What a schema 0-2 table held in its values, for the move to schema 3.
enum class OldValue { Sealed, SealedSetting, GroupFlag };

}  // namespace

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

// Positions follow arrival (a sender's clock can't move its message). Mail
// nearly always arrives last, and is appended; one that arrives before the
// conversation's latest (a delayed drain, another terminal's send) takes
// the next position and the messages that arrived after it are moved
// behind it, in their order, so last() never has to sort.
bool LocalStore::Impl::store_msg(Txn& t, const ChatMessage& m, const std::string& conv, uint64_t& counter) {
    Bytes pt;
    try {
        pt = encode(m);
    } catch (const WireError&) {
        return false;  // a field too long for the record format
    }
    const uint64_t at = arrival(m);
    const Bytes tag = conv_tag(conv);
    const auto act = activity(t, conv);
    std::vector<std::pair<Bytes, ChatMessage>> later;  // newest first
    if (act && act->at > at) walk_back(t, tag, [&](ByteView k, std::optional<ChatMessage> lm) {
        if (!lm || arrival(*lm) <= at) return false;
        later.emplace_back(Bytes(k.begin(), k.end()), std::move(*lm));
        return true;
    });
    for (auto& kv : later) t.del(msgs, kv.first);
    put_msg(t, msg_key(tag, ++counter), pt, m);
    wipe(pt.data(), pt.size());
    for (auto it = later.rbegin(); it != later.rend(); ++it) {
        Bytes lp = encode(it->second);  // it was decoded from a record, so it encodes
        put_msg(t, msg_key(tag, ++counter), lp, it->second);
        wipe(lp.data(), lp.size());
    }
    put_activity(t, {std::max(act ? act->at : 0, at), counter, conv});
    return true;
}

// Re-seals every record of dbi under fresh, keys unchanged. A record that
// no longer authenticates is left as it is (it stays unreadable either way).
void LocalStore::Impl::reseal(Txn& t, const crypto::Gcm& fresh, MDB_dbi dbi, const char* db) {
    std::vector<std::pair<Bytes, Bytes>> redo;
    {
        Cursor c = t.cursor(dbi);
        MDB_val k{}, v{};
        for (bool ok = step(c.get(), &k, &v, MDB_FIRST); ok; ok = step(c.get(), &k, &v, MDB_NEXT)) {
            auto key = view(k);
            auto pt = open(db, key, view(v));
            if (pt) redo.emplace_back(Bytes(key.begin(), key.end()), seal(fresh, db, key, pt->view()));
        }
    }
    for (auto& [k, v] : redo) t.put(dbi, k, v);
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

LocalStore::LocalStore(const std::string& dir, ByteView file_key, size_t initial_map)
    : impl_(std::make_unique<Impl>()) {
    Impl& s = *impl_;
    s.dir = dir;
    s.gcm = Impl::derive(file_key);
    make_dirs(dir);

    MDB_env* e = nullptr;
    check(mdb_env_create(&e), "cannot create environment");
    s.env.reset(e);
    check(mdb_env_set_mapsize(e, initial_map ? initial_map : kDefaultMap), "cannot set map size");
    check(mdb_env_set_maxdbs(e, kMaxDbs), "cannot set max dbs");
    int rc = mdb_env_open(e, dir.c_str(), 0, 0600);
    if (rc != MDB_SUCCESS) fail("cannot open " + dir, rc);

    bool scrub_due = false;
    s.write([&](Txn& t) { scrub_due = s.open_all(t, dir); });
    if (scrub_due) s.scrub();
}

size_t LocalStore::map_size() {
    MDB_envinfo info{};
    check(mdb_env_info(impl_->env.get(), &info), "cannot read the map size");
    return info.me_mapsize;
}

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

uint32_t LocalStore::schema_version() {
    Txn t = impl_->read();
    return impl_->schema(t);
}

LocalStore::~LocalStore() = default;
LocalStore::LocalStore(LocalStore&&) noexcept = default;
LocalStore& LocalStore::operator=(LocalStore&&) noexcept = default;

std::string LocalStore::conversation_of(const ChatMessage& m, const std::string& me) {
    if (!m.group.empty()) return "#" + m.group;
    return (m.outgoing || m.from == me) ? m.to : m.from;
}

bool LocalStore::seen(const std::string& sender, const std::string& msg_id) {
    if (!key_name_ok(msg_id) || !sender_ok(sender)) return false;
    Txn t = impl_->read();
    return impl_->has_id(t, sender, msg_id);
}

std::vector<ChatMessage> LocalStore::add(const std::vector<ChatMessage>& msgs, const std::string& me) {
    return add(msgs, me, {});
}

std::vector<ChatMessage> LocalStore::add(const std::vector<ChatMessage>& msgs, const std::string& me,
                                         const SecretChanges& secrets) {
    return add(msgs, me, secrets, {});
}

std::vector<ChatMessage> LocalStore::add(const std::vector<ChatMessage>& msgs, const std::string& me,
                                         const SecretChanges& secrets, const SecretChanges& basis) {
    Impl& s = *impl_;
    std::vector<ChatMessage> fresh;
    for (auto& [name, value] : secrets) name_key(name, "secret name");  // throws before any write
    for (auto& [name, value] : basis) name_key(name, "secret name");
    s.write([&](Txn& t) {
        fresh.clear();  // a retry after MAP_FULL starts over
        for (auto& [name, value] : basis)
            if (!s.secret_is(t, name, value)) throw Conflict("local store: another client changed " + name);
        Impl::SecretsIn in(s, t);
        for (auto& [name, value] : secrets) {
            if (value) in.put(name, *value);
            else in.erase(name);
        }
        auto ckey = as_bytes(kCounterKey);
        uint64_t counter = 0;
        if (auto c = t.get(s.meta, ckey); c && c->size() == 8) counter = get_u64be(c->data());

        for (const auto& m : msgs) {
            std::string conv = conversation_of(m, me);
            if (!key_name_ok(m.id) || !key_name_ok(conv) || !sender_ok(m.from)) continue;
            // The txn sees its own writes, so duplicates within msgs are caught too.
            if (s.has_id(t, m.from, m.id)) continue;
            if (s.store_msg(t, m, conv, counter)) fresh.push_back(m);
        }
        if (fresh.empty() && secrets.empty()) return;  // nothing worth a durable commit

        uint8_t cbuf[8];
        put_u64be(cbuf, counter);
        t.put(s.meta, ckey, ByteView(cbuf, 8));
    });
    return fresh;
}

std::vector<ChatMessage> LocalStore::last(const std::string& conversation, size_t n) {
    std::vector<ChatMessage> out;
    if (n == 0 || !key_name_ok(conversation)) return out;
    Impl& s = *impl_;
    Txn t = s.read();
    s.walk_back(t, s.conv_tag(conversation), [&](ByteView, std::optional<ChatMessage> m) {
        if (m) out.push_back(std::move(*m));
        return out.size() < n;
    });
    std::reverse(out.begin(), out.end());
    return out;
}

std::vector<ChatMessage> LocalStore::search(const std::string& text, size_t max) {
    Impl& s = *impl_;
    std::string needle(text);
    for (auto& ch : needle) ch = static_cast<char>(ascii_lower(static_cast<uint8_t>(ch)));

    using Hit = std::tuple<uint64_t, uint64_t, ChatMessage>;
    std::vector<Hit> hits;
    {
        Txn t = s.read();
        Cursor c = t.cursor(s.msgs);
        MDB_val k{}, v{};
        for (bool ok = step(c.get(), &k, &v, MDB_FIRST); ok; ok = step(c.get(), &k, &v, MDB_NEXT)) {
            auto key = view(k);
            if (key.size() != kMsgKey) continue;
            if (auto m = s.open_msg(key, view(v), needle, true)) {
                const uint64_t at = arrival(*m);
                hits.emplace_back(at, msg_pos(key), std::move(*m));
            }
        }
    }
    std::sort(hits.begin(), hits.end(), [](const Hit& a, const Hit& b) {
        return std::tie(std::get<0>(a), std::get<1>(a)) < std::tie(std::get<0>(b), std::get<1>(b));
    });
    size_t skip = hits.size() > max ? hits.size() - max : 0;
    std::vector<ChatMessage> out;
    out.reserve(hits.size() - skip);
    for (size_t i = skip; i < hits.size(); ++i) out.push_back(std::move(std::get<2>(hits[i])));
    return out;
}

std::vector<std::string> LocalStore::conversations() {
    Impl& s = *impl_;
    std::vector<Activity> all;
    {
        Txn t = s.read();
        Cursor c = t.cursor(s.convs);
        MDB_val k{}, v{};
        for (bool ok = step(c.get(), &k, &v, MDB_FIRST); ok; ok = step(c.get(), &k, &v, MDB_NEXT)) {
            auto pt = s.open(kConvs, view(k), view(v));
            if (auto a = pt ? decode_activity(pt->view()) : std::nullopt) all.push_back(std::move(*a));
        }
    }
    std::sort(all.begin(), all.end(), [](const Activity& a, const Activity& b) {
        return std::tie(a.at, a.pos, a.conv) > std::tie(b.at, b.pos, b.conv);
    });
    std::vector<std::string> out;
    out.reserve(all.size());
    for (auto& a : all) out.push_back(std::move(a.conv));
    return out;
}

std::optional<Bytes> LocalStore::pinned(const std::string& user) {
    Impl& s = *impl_;
    const Bytes key = s.index(kContacts, name_key(user, "user name"));
    std::optional<Bytes> rec;
    {
        Txn t = s.read();
        rec = t.get(s.contacts, key);
    }
    if (!rec) return std::nullopt;
    auto pt = s.open(kContacts, key, *rec);
    if (!pt) throw std::runtime_error("local store: pinned key of " + user + " fails authentication");
    auto b = pt->view();
    return Bytes(b.begin(), b.end());
}

void LocalStore::pin(const std::string& user, ByteView bundle) {
    Impl& s = *impl_;
    const Bytes key = s.index(kContacts, name_key(user, "user name"));
    s.write([&](Txn& t) {
        t.put(s.contacts, key, s.seal(kContacts, key, bundle));
    });
}

void LocalStore::set_group(const std::string& group, bool member) {
    Impl& s = *impl_;
    const Bytes key = s.index(kGroups, name_key(group, "group name"));
    s.write([&](Txn& t) {
        if (member)
            t.put(s.groups, key, s.seal(kGroups, key, as_bytes(group)));
        else
            t.del(s.groups, key);
    });
}

std::vector<std::string> LocalStore::groups() {
    Impl& s = *impl_;
    std::vector<std::string> out;
    {
        Txn t = s.read();
        Cursor c = t.cursor(s.groups);
        MDB_val k{}, v{};
        for (bool ok = step(c.get(), &k, &v, MDB_FIRST); ok; ok = step(c.get(), &k, &v, MDB_NEXT))
            if (auto pt = s.open(kGroups, view(k), view(v))) out.emplace_back(as_chars(pt->view()));
    }
    std::sort(out.begin(), out.end());
    return out;
}

void LocalStore::put_secret(const std::string& name, ByteView value) {
    name_key(name, "secret name");  // throws before any write
    update_secrets([&](SecretTxn& t) { t.put(name, value); });
}

std::optional<Secret> LocalStore::get_secret(const std::string& name) {
    Txn t = impl_->read();
    return impl_->secret_in(t, name);
}

std::optional<Secret> LocalStore::Impl::secret_in(Txn& t, const std::string& name) const {
    const Bytes key = index(kSecrets, name_key(name, "secret name"));
    auto rec = t.get(secrets, key);
    if (!rec) return std::nullopt;
    return open(kSecrets, key, *rec);
}

bool LocalStore::Impl::secret_is(Txn& t, const std::string& name, const std::optional<Secret>& want) const {
    auto have = secret_in(t, name);
    if (!have || !want) return !have && !want;
    return ct_equal(have->view(), want->view());
}

void LocalStore::update_secrets(const std::function<void(SecretTxn&)>& fn) {
    Impl& s = *impl_;
    s.write([&](Txn& t) {
        Impl::SecretsIn st(s, t);
        fn(st);
    });
}

void LocalStore::erase_secret(const std::string& name) {
    name_key(name, "secret name");  // throws before any write
    update_secrets([&](SecretTxn& t) { t.erase(name); });
}

void LocalStore::put_setting(const std::string& name, std::string_view value) {
    Impl& s = *impl_;
    const Bytes key = s.index(kSettings, name_key(name, "setting name"));
    Bytes pt = encode_setting(name, as_bytes(value));
    s.write([&](Txn& t) {
        t.put(s.settings, key, s.seal(kSettings, key, pt));
    });
}

void LocalStore::erase_setting(const std::string& name) {
    Impl& s = *impl_;
    const Bytes key = s.index(kSettings, name_key(name, "setting name"));
    s.write([&](Txn& t) {
        t.del(s.settings, key);
    });
}

std::map<std::string, std::string> LocalStore::settings() {
    Impl& s = *impl_;
    std::map<std::string, std::string> out;
    Txn t = s.read();
    Cursor c = t.cursor(s.settings);
    MDB_val k{}, v{};
    for (bool ok = step(c.get(), &k, &v, MDB_FIRST); ok; ok = step(c.get(), &k, &v, MDB_NEXT)) {
        auto pt = s.open(kSettings, view(k), view(v));
        if (auto kv = pt ? decode_setting(pt->view()) : std::nullopt) out.emplace(std::move(*kv));
    }
    return out;
}

// The index key is not re-derived: it is random (meta/index), so only the
// records are re-sealed, the index key's own among them.
void LocalStore::rekey(ByteView new_file_key) {
    Impl& s = *impl_;
    auto fresh = Impl::derive(new_file_key);
    s.write([&](Txn& t) {
        s.reseal(t, *fresh, s.msgs, kHistory);
        s.reseal(t, *fresh, s.ids, kIds);
        s.reseal(t, *fresh, s.convs, kConvs);
        s.reseal(t, *fresh, s.contacts, kContacts);
        s.reseal(t, *fresh, s.groups, kGroups);
        s.reseal(t, *fresh, s.secrets, kSecrets);
        s.reseal(t, *fresh, s.settings, kSettings);
        auto ck = as_bytes(kCheckKey), ik = as_bytes(kIndexKey);
        t.put(s.meta, ck, Impl::seal(*fresh, kMeta, ck, as_bytes(kCheckText)));
        t.put(s.meta, ik, Impl::seal(*fresh, kMeta, ik, s.index_key.view()));
    });
    s.gcm = std::move(fresh);
}

}  // namespace tacit::client
