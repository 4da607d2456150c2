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
constexpr std::string_view kInfo = "tacit v1 history";
// The ids index is keyed by HMAC-SHA256 under a key of its own, so the files
// hold no message id or sender name there (issue 16 item 6).
constexpr std::string_view kIndexInfo = "tacit v1 history index";
constexpr std::string_view kCheckKey = "check";
constexpr std::string_view kCheckText = "tacit local store v1";
constexpr std::string_view kCounterKey = "counter";
// meta/schema: the layout's version, 4 bytes big-endian, not sealed (it
// hides nothing). Absent is 0: stores from before it was kept.
//   0 -> 1: the session token is no longer kept (it is erased), and ids
//           keyed by msg_id alone become (sender, msg_id).
//   1 -> 2: ids keys sender | 0x00 | msg_id become
//           HMAC-SHA256(index key, sender | 0x00 | msg_id).
constexpr std::string_view kSchemaKey = "schema";
constexpr uint32_t kSchemaVersion = 2;
constexpr std::string_view kOldTokenSecret = "token";
constexpr unsigned kMaxDbs = 8;

// Names of the DBs, also the first part of every record's AAD.
constexpr const char* kMsgs = "msgs";
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

// conversation | 0x00: every message key of one conversation starts with it,
// and no other conversation's keys do (names hold no NUL).
Bytes conv_prefix(std::string_view conv) {
    Bytes k(as_bytes(conv).begin(), as_bytes(conv).end());
    k.push_back(0);
    return k;
}
Bytes msg_key(std::string_view conv, uint64_t sent_at, uint64_t counter) {
    Bytes k = conv_prefix(conv);
    size_t n = k.size();
    k.resize(n + 16);
    put_u64be(k.data() + n, sent_at);
    put_u64be(k.data() + n + 8, counter);
    return k;
}
bool has_prefix(ByteView key, ByteView prefix) {
    return key.size() == prefix.size() + 16 && std::equal(prefix.begin(), prefix.end(), key.begin());
}
// (sent_at, insertion counter) from the tail of a message key.
std::pair<uint64_t, uint64_t> msg_order(ByteView key) {
    const uint8_t* t = key.data() + key.size() - 16;
    return {get_u64be(t), get_u64be(t + 8)};
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

}  // namespace

struct LocalStore::Impl {
    std::string dir;
    std::unique_ptr<MDB_env, EnvCloser> env;
    MDB_dbi msgs = 0, ids = 0, convs = 0, contacts = 0, groups = 0, secrets = 0, meta = 0, settings = 0;
    std::unique_ptr<crypto::Gcm> gcm;
    Secret index_key;  // HMAC key of the ids index

    static std::unique_ptr<crypto::Gcm> derive(ByteView file_key) {
        if (file_key.size() != 32) throw std::runtime_error("local store: file key must be 32 bytes");
        Secret k = crypto::hkdf_sha256(file_key, {}, as_bytes(kInfo));
        return std::make_unique<crypto::Gcm>(k.view());
    }
    static Secret derive_index(ByteView file_key) { return crypto::hkdf_sha256(file_key, {}, as_bytes(kIndexInfo)); }

    // The ids key of (sender, msg_id): an HMAC of the schema-1 key.
    static Bytes id_index(ByteView index, std::string_view sender, std::string_view msg_id) {
        auto mac = crypto::hmac_sha256(index, id_key(sender, msg_id));
        return Bytes(mac.begin(), mac.end());
    }

    static Bytes aad(const char* db, ByteView key) {
        static constexpr uint8_t zero = 0;
        return concat({as_bytes(db), ByteView(&zero, 1), key});
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
    std::optional<ChatMessage> open_msg(ByteView key, ByteView rec, std::string_view needle_lower,
                                        bool filter) const {
        auto pt = open(kMsgs, key, rec);
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
    void open_all(Txn& t, const std::string& dir);

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
        return t.get(ids, id_index(index_key.view(), sender, id)).has_value();
    }

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

    // LocalStore::SecretTxn over one write transaction of this store.
    struct SecretsIn final : SecretTxn {
        const Impl& s;
        Txn& t;
        SecretsIn(const Impl& s, Txn& t) : s(s), t(t) {}
        std::optional<Secret> get(const std::string& name) override { return s.secret_in(t, name); }
        void put(const std::string& name, ByteView value) override {
            auto key = name_key(name, "secret name");
            t.put(s.secrets, key, s.seal(kSecrets, key, value));
        }
        void erase(const std::string& name) override { t.del(s.secrets, name_key(name, "secret name")); }
    };
    void migrate_0_to_1(Txn& t);
    void migrate_1_to_2(Txn& t);
    void reindex_ids(Txn& t, ByteView new_index);
};

LocalStore::LocalStore(const std::string& dir, ByteView file_key, size_t initial_map)
    : impl_(std::make_unique<Impl>()) {
    Impl& s = *impl_;
    s.dir = dir;
    s.gcm = Impl::derive(file_key);
    s.index_key = Impl::derive_index(file_key);
    make_dirs(dir);

    MDB_env* e = nullptr;
    check(mdb_env_create(&e), "cannot create environment");
    s.env.reset(e);
    check(mdb_env_set_mapsize(e, initial_map ? initial_map : kDefaultMap), "cannot set map size");
    check(mdb_env_set_maxdbs(e, kMaxDbs), "cannot set max dbs");
    int rc = mdb_env_open(e, dir.c_str(), 0, 0600);
    if (rc != MDB_SUCCESS) fail("cannot open " + dir, rc);

    s.write([&](Txn& t) { s.open_all(t, dir); });
}

size_t LocalStore::map_size() {
    MDB_envinfo info{};
    check(mdb_env_info(impl_->env.get(), &info), "cannot read the map size");
    return info.me_mapsize;
}

void LocalStore::Impl::open_all(Txn& t, const std::string& dir) {
    Impl& s = *this;
    s.msgs = t.open_dbi(kMsgs);
    s.ids = t.open_dbi(kIds);
    s.convs = t.open_dbi(kConvs);
    s.contacts = t.open_dbi(kContacts);
    s.groups = t.open_dbi(kGroups);
    s.secrets = t.open_dbi(kSecrets);
    s.meta = t.open_dbi(kMeta);
    s.settings = t.open_dbi(kSettings);  // the eighth of kMaxDbs; stores from before it get it here

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
}

// Brings a store of an older layout to kSchemaVersion, in the opening
// transaction: all steps commit together or not at all.
void LocalStore::Impl::migrate(Txn& t) {
    const uint32_t v = schema(t);
    if (v > kSchemaVersion)
        throw std::runtime_error("local store " + dir + " has schema " + std::to_string(v) +
                                 ", newer than this tacit knows (" + std::to_string(kSchemaVersion) +
                                 "); use a newer tacit");
    if (v == kSchemaVersion) return;
    if (v < 1) migrate_0_to_1(t);
    if (v < 2) migrate_1_to_2(t);
    const uint8_t be[4] = {uint8_t(kSchemaVersion >> 24), uint8_t(kSchemaVersion >> 16), uint8_t(kSchemaVersion >> 8),
                           uint8_t(kSchemaVersion)};
    t.put(meta, as_bytes(kSchemaKey), ByteView(be, 4));
}

void LocalStore::Impl::migrate_0_to_1(Txn& t) {
    t.del(secrets, as_bytes(kOldTokenSecret));  // tacit(1): the token stays in memory only
    // ids keyed by msg_id alone (no NUL: ids hold none) get their sender,
    // read from the message they point to; one that no longer opens is
    // dropped, as it could never have matched a sender.
    std::vector<std::pair<Bytes, Bytes>> old;
    {
        Cursor c = t.cursor(ids);
        MDB_val k{}, v{};
        for (bool ok = step(c.get(), &k, &v, MDB_FIRST); ok; ok = step(c.get(), &k, &v, MDB_NEXT)) {
            auto key = view(k), at = view(v);
            if (std::find(key.begin(), key.end(), 0) == key.end())
                old.emplace_back(Bytes(key.begin(), key.end()), Bytes(at.begin(), at.end()));
        }
    }
    for (auto& [id, at] : old) {
        t.del(ids, id);
        auto rec = t.get(msgs, at);
        auto m = rec ? open_msg(at, *rec, {}, false) : std::nullopt;
        if (m && sender_ok(m->from)) t.put(ids, id_key(m->from, as_chars(id)), at);
    }
}

namespace {
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
}  // namespace

// Every ids key (sender | 0x00 | msg_id in schema 1) becomes its HMAC.
void LocalStore::Impl::migrate_1_to_2(Txn& t) {
    const auto old = entries(t, ids);
    for (auto& [plain, at] : old) {
        t.del(ids, plain);
        auto mac = crypto::hmac_sha256(index_key.view(), plain);
        t.put(ids, ByteView(mac.data(), mac.size()), at);
    }
}

// Rebuilds the ids index under new_index. An HMAC can't be undone, so each
// entry's (sender, msg_id) is read from the message it points to; one whose
// message no longer opens is dropped (it could never show again anyway).
void LocalStore::Impl::reindex_ids(Txn& t, ByteView new_index) {
    const auto old = entries(t, ids);
    for (auto& [mac, at] : old) {
        t.del(ids, mac);
        auto rec = t.get(msgs, at);
        auto m = rec ? open_msg(at, *rec, {}, false) : std::nullopt;
        if (m && sender_ok(m->from) && key_name_ok(m->id)) t.put(ids, id_index(new_index, m->from, m->id), at);
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
        for (auto& [name, value] : secrets) {
            auto key = as_bytes(name);
            if (value) t.put(s.secrets, key, s.seal(kSecrets, key, *value));
            else t.del(s.secrets, key);
        }
        auto ckey = as_bytes(kCounterKey);
        uint64_t counter = 0;
        if (auto c = t.get(s.meta, ckey); c && c->size() == 8) counter = get_u64be(c->data());

        for (const auto& m : msgs) {
            std::string conv = conversation_of(m, me);
            if (!key_name_ok(m.id) || !key_name_ok(conv) || !sender_ok(m.from)) continue;
            // The txn sees its own writes, so duplicates within msgs are caught too.
            if (s.has_id(t, m.from, m.id)) continue;
            Bytes pt;
            try {
                pt = encode(m);
            } catch (const WireError&) {
                continue;  // a field too long for the record format
            }
            // Ordered by arrival: a sender's clock can't move its message.
            const uint64_t at = arrival(m);
            Bytes key = msg_key(conv, at, ++counter);
            Bytes rec = s.seal(kMsgs, key, pt);
            wipe(pt.data(), pt.size());
            t.put(s.msgs, key, rec, MDB_NOOVERWRITE);
            t.put(s.ids, Impl::id_index(s.index_key.view(), m.from, m.id), key);

            // Activity = the greatest (sent_at, counter); counter only grows.
            auto old = t.get(s.convs, as_bytes(conv));
            if (!old || old->size() != 16 || get_u64be(old->data()) <= at)
                t.put(s.convs, as_bytes(conv), ByteView(key.data() + key.size() - 16, 16));
            fresh.push_back(m);
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
    Cursor c = t.cursor(s.msgs);
    Bytes prefix = conv_prefix(conversation);
    // conversation | 0x01 sorts after all of this conversation's keys.
    Bytes seek = prefix;
    seek.back() = 1;
    MDB_val k = val(seek), v{};
    bool ok = step(c.get(), &k, &v, MDB_SET_RANGE) ? step(c.get(), &k, &v, MDB_PREV)
                                                     : step(c.get(), &k, &v, MDB_LAST);
    for (; ok && out.size() < n && has_prefix(view(k), prefix); ok = step(c.get(), &k, &v, MDB_PREV)) {
        if (auto m = s.open_msg(view(k), view(v), {}, false)) out.push_back(std::move(*m));
    }
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
            if (key.size() < 17) continue;
            if (auto m = s.open_msg(key, view(v), needle, true)) {
                auto [sent, ctr] = msg_order(key);
                hits.emplace_back(sent, ctr, std::move(*m));
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
    using Conv = std::tuple<uint64_t, uint64_t, std::string>;
    std::vector<Conv> all;
    {
        Txn t = s.read();
        Cursor c = t.cursor(s.convs);
        MDB_val k{}, v{};
        for (bool ok = step(c.get(), &k, &v, MDB_FIRST); ok; ok = step(c.get(), &k, &v, MDB_NEXT)) {
            auto val16 = view(v);
            if (val16.size() != 16) continue;
            all.emplace_back(get_u64be(val16.data()), get_u64be(val16.data() + 8),
                             std::string(as_chars(view(k))));
        }
    }
    std::sort(all.begin(), all.end(), [](const Conv& a, const Conv& b) { return a > b; });
    std::vector<std::string> out;
    out.reserve(all.size());
    for (auto& c : all) out.push_back(std::move(std::get<2>(c)));
    return out;
}

std::optional<Bytes> LocalStore::pinned(const std::string& user) {
    Impl& s = *impl_;
    auto key = name_key(user, "user name");
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
    auto key = name_key(user, "user name");
    s.write([&](Txn& t) {
        t.put(s.contacts, key, s.seal(kContacts, key, bundle));
    });
}

void LocalStore::set_group(const std::string& group, bool member) {
    Impl& s = *impl_;
    auto key = name_key(group, "group name");
    s.write([&](Txn& t) {
        static constexpr uint8_t one = 1;
        if (member)
            t.put(s.groups, key, ByteView(&one, 1));
        else
            t.del(s.groups, key);
    });
}

std::vector<std::string> LocalStore::groups() {
    Impl& s = *impl_;
    std::vector<std::string> out;
    Txn t = s.read();
    Cursor c = t.cursor(s.groups);
    MDB_val k{}, v{};
    for (bool ok = step(c.get(), &k, &v, MDB_FIRST); ok; ok = step(c.get(), &k, &v, MDB_NEXT))
        out.emplace_back(as_chars(view(k)));
    return out;
}

void LocalStore::put_secret(const std::string& name, ByteView value) {
    Impl& s = *impl_;
    auto key = name_key(name, "secret name");
    s.write([&](Txn& t) {
        t.put(s.secrets, key, s.seal(kSecrets, key, value));
    });
}

std::optional<Secret> LocalStore::get_secret(const std::string& name) {
    Txn t = impl_->read();
    return impl_->secret_in(t, name);
}

std::optional<Secret> LocalStore::Impl::secret_in(Txn& t, const std::string& name) const {
    auto key = name_key(name, "secret name");
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
    Impl& s = *impl_;
    auto key = name_key(name, "secret name");
    s.write([&](Txn& t) {
        t.del(s.secrets, key);
    });
}

void LocalStore::put_setting(const std::string& name, std::string_view value) {
    Impl& s = *impl_;
    auto key = name_key(name, "setting name");
    s.write([&](Txn& t) {
        t.put(s.settings, key, s.seal(kSettings, key, as_bytes(value)));
    });
}

void LocalStore::erase_setting(const std::string& name) {
    Impl& s = *impl_;
    auto key = name_key(name, "setting name");
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
        if (auto pt = s.open(kSettings, view(k), view(v))) out.emplace(as_chars(view(k)), as_chars(pt->view()));
    }
    return out;
}

void LocalStore::rekey(ByteView new_file_key) {
    Impl& s = *impl_;
    auto fresh = Impl::derive(new_file_key);
    Secret fresh_index = Impl::derive_index(new_file_key);
    s.write([&](Txn& t) {
        // Collect first, then write: puts while a cursor walks the same DB are
        // best avoided. A record that no longer authenticates is left as it is
        // (it stays unreadable either way).
        auto reseal = [&](MDB_dbi dbi, const char* db) {
            std::vector<std::pair<Bytes, Bytes>> redo;
            {
                Cursor c = t.cursor(dbi);
                MDB_val k{}, v{};
                for (bool ok = step(c.get(), &k, &v, MDB_FIRST); ok; ok = step(c.get(), &k, &v, MDB_NEXT)) {
                    auto key = view(k);
                    auto pt = s.open(db, key, view(v));
                    if (!pt) continue;
                    redo.emplace_back(Bytes(key.begin(), key.end()), Impl::seal(*fresh, db, key, pt->view()));
                }
            }
            for (auto& [k, v] : redo) t.put(dbi, k, v);
        };
        s.reindex_ids(t, fresh_index.view());  // before msgs: it opens them under the old key
        reseal(s.msgs, kMsgs);
        reseal(s.contacts, kContacts);
        reseal(s.secrets, kSecrets);
        reseal(s.settings, kSettings);
        auto ck = as_bytes(kCheckKey);
        t.put(s.meta, ck, Impl::seal(*fresh, kMeta, ck, as_bytes(kCheckText)));
    });
    s.gcm = std::move(fresh);
    s.index_key = std::move(fresh_index);
}

}  // namespace tacit::client
