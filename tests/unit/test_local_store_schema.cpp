// tui/client/local_store's schema version and migration. The old layouts
// (0: no version, a session token kept, ids keyed by msg_id; 1: ids keyed
// by sender | 0x00 | msg_id; 2: those keys HMAC'd; all three: plaintext
// names and times in the other keys, group flags unsealed) are written
// here record by record with LMDB and mbedTLS, as older clients wrote them:
// the store's own API no longer can.
#include <catch2/catch.hpp>
#include <lmdb.h>
#include <signal.h>
#include <sys/resource.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "shared/crypto.hpp"
#include "shared/wire.hpp"
#include "tests/unit/child_process.hpp"
#include "tests/unit/temp_dir.hpp"
#include "tui/client/local_store.hpp"

using namespace tacit;
using namespace tacit::client;

namespace {

Bytes key() { return Bytes(32, 0xC3); }
// Times distinctive enough to grep for.
constexpr uint64_t kT0 = 0x0000017A2B3C4D00ULL;

ChatMessage from(std::string sender, std::string id, uint64_t at, std::string body) {
    ChatMessage m;
    m.id = std::move(id);
    m.from = std::move(sender);
    m.to = "alice";
    m.sent_at_ms = at;
    m.received_at_ms = at;
    m.body = std::move(body);
    m.verified = true;
    return m;
}

std::string str(ByteView b) { return std::string(as_chars(b)); }
std::string be64(uint64_t v) {
    uint8_t b[8];
    put_u64be(b, v);
    return str(ByteView(b, 8));
}

// The raw environment. REQUIREs every call.
struct RawEnv {
    MDB_env* env = nullptr;
    MDB_txn* txn = nullptr;
    explicit RawEnv(const std::string& dir) {
        std::filesystem::create_directories(dir);
        REQUIRE(mdb_env_create(&env) == 0);
        REQUIRE(mdb_env_set_maxdbs(env, 8) == 0);
        REQUIRE(mdb_env_open(env, dir.c_str(), 0, 0600) == 0);
        REQUIRE(mdb_txn_begin(env, nullptr, 0, &txn) == 0);
    }
    ~RawEnv() {
        if (txn) mdb_txn_abort(txn);
        mdb_env_close(env);
    }
    MDB_dbi db(const char* name) {
        MDB_dbi d = 0;
        REQUIRE(mdb_dbi_open(txn, name, MDB_CREATE, &d) == 0);
        return d;
    }
    std::vector<std::pair<std::string, std::string>> all(MDB_dbi d) {
        std::vector<std::pair<std::string, std::string>> out;
        MDB_cursor* c = nullptr;
        REQUIRE(mdb_cursor_open(txn, d, &c) == 0);
        MDB_val k{}, v{};
        for (int rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0; rc = mdb_cursor_get(c, &k, &v, MDB_NEXT))
            out.emplace_back(std::string(static_cast<char*>(k.mv_data), k.mv_size),
                             std::string(static_cast<char*>(v.mv_data), v.mv_size));
        mdb_cursor_close(c);
        return out;
    }
    void put(MDB_dbi d, const std::string& k, const std::string& v) {
        MDB_val kk{k.size(), const_cast<char*>(k.data())}, vv{v.size(), const_cast<char*>(v.data())};
        REQUIRE(mdb_put(txn, d, &kk, &vv, 0) == 0);
    }
    void commit() { REQUIRE(mdb_txn_commit(std::exchange(txn, nullptr)) == 0); }
};

// Writes the layout of schema 0, 1 or 2: records sealed under HKDF(key,
// "tacit v2 history"), IV | ct | tag, AAD db | 0x00 | the plaintext key.
// (Those clients used the v1 label; a store of theirs can't be opened any
// more, since its store key is wrapped under a protocol v1 file key. The
// migrations are about layout, so they are kept for any store of 0-2.)
struct OldStore {
    RawEnv raw;
    uint32_t version;
    crypto::Gcm gcm{crypto::hkdf_sha256(key(), {}, as_bytes("tacit v2 history")).view()};
    uint64_t counter = 0;

    OldStore(const std::string& dir, uint32_t v) : raw(dir), version(v) {
        put_sealed("meta", "check", "tacit local store v1");
        if (v > 0) raw.put(raw.db("meta"), "schema", std::string("\0\0\0", 3) + char(v));
    }
    std::string seal(const std::string& db, const std::string& k, const std::string& pt) {
        auto iv = crypto::random_array<12>();
        Bytes out(pt.size() + 16);
        gcm.seal(iv, as_bytes(db + std::string(1, '\0') + k), as_bytes(pt), out.data());
        return str(iv) + str(out);
    }
    void put_sealed(const std::string& db, const std::string& k, const std::string& pt) {
        raw.put(raw.db(db.c_str()), k, seal(db, k, pt));
    }
    // counter: the insertion order, which need not be arrival order.
    void message(const std::string& conv, const ChatMessage& m) {
        Writer w;
        w.u8(2).str(m.id).str(m.from).str(m.to).str(m.group).u64(m.sent_at_ms);
        w.blob(as_bytes(m.body)).u8(m.verified).u8(m.outgoing).str(m.problem).u64(m.received_at_ms);
        const std::string k = conv + std::string(1, '\0') + be64(m.received_at_ms) + be64(++counter);
        put_sealed("msgs", k, str(w.take()));
        const std::string id = m.from + std::string(1, '\0') + m.id;
        auto v2 = crypto::hmac_sha256(crypto::hkdf_sha256(key(), {}, as_bytes("tacit v2 history index")).view(),
                                      as_bytes(id));
        raw.put(raw.db("ids"), version == 0 ? m.id : version == 1 ? id : str(v2), k);
        raw.put(raw.db("convs"), conv, be64(m.received_at_ms) + be64(counter));
    }
    void finish() {
        raw.put(raw.db("meta"), "counter", be64(counter));
        raw.commit();
    }
};

// bob's conversation got m3 (arrival +15) inserted after m2 (arrival +20):
// its old keys sort by arrival, so migration must keep m1, m3, m2.
void old_store(const std::string& dir, uint32_t version) {
    OldStore o(dir, version);
    o.message("bobby-Q", from("bobby-Q", "msgid-m1", kT0 + 10, "from bob"));
    o.message("#ops-Q", from("carol-Q", "msgid-m9", kT0 + 30, "in ops"));
    o.message("bobby-Q", from("bobby-Q", "msgid-m2", kT0 + 20, "bob again"));
    o.message("bobby-Q", from("bobby-Q", "msgid-m3", kT0 + 15, "bob, held back"));
    o.put_sealed("contacts", "bobby-Q", "bob's bundle");
    o.raw.put(o.raw.db("groups"), "ops-Q", "\x01");
    o.put_sealed("secrets", "dm sessions bobby-Q", "ratchet state");
    o.put_sealed("secrets", "token", "an old session token");
    o.put_sealed("settings", "notify:#ops-Q", "mentions");
    o.finish();
}

std::vector<std::string> bodies(const std::vector<ChatMessage>& ms) {
    std::vector<std::string> out;
    for (auto& m : ms) out.push_back(m.body);
    return out;
}

std::string all_files(const std::string& dir) {
    std::string out;
    for (auto& e : std::filesystem::directory_iterator(dir)) {
        std::ifstream f(e.path(), std::ios::binary);
        REQUIRE(f);
        out.append(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
    }
    return out;
}

void check_migrated(const std::string& dir, uint32_t version) {
    {
        LocalStore s(dir, key());
        CHECK(s.schema_version() == 3);
        CHECK(bodies(s.last("bobby-Q", 10)) == std::vector<std::string>{"from bob", "bob, held back", "bob again"});
        CHECK(bodies(s.last("#ops-Q", 10)) == std::vector<std::string>{"in ops"});
        CHECK(s.conversations() == std::vector<std::string>{"#ops-Q", "bobby-Q"});
        CHECK(bodies(s.search("BOB")) == std::vector<std::string>{"from bob", "bob, held back", "bob again"});
        REQUIRE(s.pinned("bobby-Q"));
        CHECK(str(*s.pinned("bobby-Q")) == "bob's bundle");
        CHECK(s.groups() == std::vector<std::string>{"ops-Q"});
        REQUIRE(s.get_secret("dm sessions bobby-Q"));
        CHECK(str(s.get_secret("dm sessions bobby-Q")->view()) == "ratchet state");
        CHECK(s.get_secret("token").has_value() == (version > 0));  // 0 -> 1 erases it
        CHECK(s.settings() == std::map<std::string, std::string>{{"notify:#ops-Q", "mentions"}});
        CHECK(s.seen("bobby-Q", "msgid-m1"));
        CHECK(s.seen("carol-Q", "msgid-m9"));
        CHECK_FALSE(s.seen("carol-Q", "msgid-m1"));  // an id is its sender's only
        // The same message again is a duplicate; another sender's is not,
        // and new mail goes after the migrated history.
        CHECK(s.add({from("bobby-Q", "msgid-m1", kT0 + 40, "again")}, "alice").empty());
        CHECK(s.add({from("bobby-Q", "msgid-m4", kT0 + 40, "after")}, "alice").size() == 1);
        CHECK(bodies(s.last("bobby-Q", 2)) == std::vector<std::string>{"bob again", "after"});
    }
    // Nothing of the old plaintext keys is left, free pages included.
    const std::string raw = all_files(dir);
    for (const char* name : {"bobby-Q", "carol-Q", "ops-Q", "msgid-m1", "msgid-m9", "dm sessions", "notify", "token"}) {
        INFO(name);
        CHECK(raw.find(name) == std::string::npos);
    }
    for (uint64_t at : {kT0 + 10, kT0 + 15, kT0 + 20, kT0 + 30}) CHECK(raw.find(be64(at).substr(2)) == std::string::npos);
}

}  // namespace

TEST_CASE("local store: a version 0, 1 or 2 store is migrated to 3 on open", "[local_store][schema]") {
    const uint32_t version = GENERATE(0u, 1u, 2u);
    test::TempDir t("schema");
    const auto dir = t.path + "/store";
    old_store(dir, version);
    check_migrated(dir, version);
}

// The migration is one transaction: a commit that fails (here the file
// may not grow: RLIMIT_FSIZE) leaves the old layout whole and readable.
TEST_CASE("local store: a failed migration leaves the old store usable", "[local_store][schema]") {
    test::TempDir t("schema");
    const auto dir = t.path + "/store";
    old_store(dir, 2);
    const auto size = std::filesystem::file_size(dir + "/data.mdb");
    REQUIRE(test::exit_code_in_child([&] {
                ::signal(SIGXFSZ, SIG_IGN);
                struct rlimit lim{size, size};
                ::setrlimit(RLIMIT_FSIZE, &lim);
                try {
                    LocalStore s(dir, key());
                } catch (const std::runtime_error& e) {
                    return std::string(e.what()).find("local store") != std::string::npos ? 0 : 2;
                }
                return 4;  // migrated although the file could not grow
            }) == 0);
    {
        RawEnv raw(dir);
        auto meta = raw.all(raw.db("meta"));
        CHECK(std::find(meta.begin(), meta.end(), std::make_pair(std::string("schema"), std::string("\0\0\0\x02", 4))) !=
              meta.end());
        CHECK(raw.all(raw.db("msgs")).size() == 4);
    }
    check_migrated(dir, 2);
}

TEST_CASE("local store: a store of a newer schema is refused, not misread", "[local_store][schema]") {
    test::TempDir t("schema");
    const auto dir = t.path + "/store";
    { LocalStore s(dir, key()); }
    {
        RawEnv raw(dir);
        raw.put(raw.db("meta"), "schema", std::string("\0\0\0\x07", 4));
        raw.commit();
    }
    CHECK_THROWS_WITH(LocalStore(dir, key()), Catch::Contains("newer than this tacit knows"));
}
