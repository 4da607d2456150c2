// tui/client/local_store's schema version and migration, on a store put
// into the layout of version 0 (no version, a session token kept, ids keyed
// by msg_id alone) or 1 (ids keyed by sender | 0x00 | msg_id in the clear) by editing the LMDB environment directly: the test must
// write what older clients wrote, which the store's own API no longer can.
#include <catch2/catch.hpp>
#include <lmdb.h>

#include <string>
#include <vector>

#include "tests/unit/temp_dir.hpp"
#include "tui/client/local_store.hpp"

using namespace tacit;
using namespace tacit::client;

namespace {

Bytes key() { return Bytes(32, 0xC3); }

ChatMessage from(std::string sender, std::string id, uint64_t at, std::string body) {
    ChatMessage m;
    m.id = std::move(id);
    m.from = std::move(sender);
    m.to = "alice";
    m.sent_at_ms = at;
    m.body = std::move(body);
    m.verified = true;
    return m;
}

// The raw environment, for writing an old layout. REQUIREs every call.
struct RawEnv {
    MDB_env* env = nullptr;
    MDB_txn* txn = nullptr;
    explicit RawEnv(const std::string& dir) {
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
        REQUIRE(mdb_dbi_open(txn, name, 0, &d) == 0);
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
    void del(MDB_dbi d, const std::string& k) {
        MDB_val kk{k.size(), const_cast<char*>(k.data())};
        REQUIRE(mdb_del(txn, d, &kk, nullptr) == 0);
    }
    void commit() {
        REQUIRE(mdb_txn_commit(std::exchange(txn, nullptr)) == 0);
    }
};

}  // namespace

// The message id a test message of conversation conv carries (below).
std::string id_of_conv(const std::string& msg_key) {
    auto conv = msg_key.substr(0, msg_key.find('\0'));
    return conv == "bob" ? "m1" : "m2";
}

// Builds a store with bob's m1 and carol's m2, then rewrites its ids index
// to the plaintext layout of schema 0 (msg_id) or 1 (sender | 0x00 | msg_id).
void store_of_schema(const std::string& dir, uint32_t version) {
    {
        LocalStore s(dir, key());
        CHECK(s.schema_version() == 2);
        s.add({from("bob", "m1", 10, "from bob"), from("carol", "m2", 20, "from carol")}, "alice");
        s.put_secret("token", as_bytes("an old session token"));
        s.put_secret("other", as_bytes("kept"));
    }
    RawEnv raw(dir);
    auto meta = raw.db("meta"), ids = raw.db("ids");
    if (version == 0) raw.del(meta, "schema");
    else raw.put(meta, "schema", std::string("\0\0\0", 3) + char(version));
    for (auto& [k, v] : raw.all(ids)) {
        raw.del(ids, k);
        auto id = id_of_conv(v);
        auto sender = id == "m1" ? std::string("bob") : std::string("carol");
        raw.put(ids, version == 0 ? id : sender + std::string(1, '\0') + id, v);
    }
    if (version == 0) raw.put(ids, "dangling", "no such message");
    raw.commit();
}

void check_migrated(const std::string& dir, size_t stale) {
    {
        LocalStore s(dir, key());
        CHECK(s.schema_version() == 2);
        REQUIRE(s.get_secret("other"));
        CHECK(s.seen("bob", "m1"));
        CHECK(s.seen("carol", "m2"));
        CHECK_FALSE(s.seen("carol", "m1"));  // an id is its sender's only
        // The same message again is a duplicate; another sender's is not.
        CHECK(s.add({from("bob", "m1", 30, "again")}, "alice").empty());
        CHECK(s.add({from("dave", "m1", 40, "dave's own")}, "alice").size() == 1);
        CHECK(s.last("bob", 10).size() == 1);
    }
    // Every ids key is now a 32-byte HMAC: no sender, no msg id in the clear.
    RawEnv raw(dir);
    auto all = raw.all(raw.db("ids"));
    CHECK(all.size() == 3 + stale);
    for (auto& kv : all) {
        CHECK(kv.first.size() == 32);
        CHECK(kv.first.find("m1") == std::string::npos);
        CHECK(kv.first.find("bob") == std::string::npos);
    }
}

TEST_CASE("local store: a version 0 store is migrated on open", "[local_store]") {
    test::TempDir t("schema");
    const auto dir = t.path + "/store";
    store_of_schema(dir, 0);
    {
        LocalStore s(dir, key());
        CHECK_FALSE(s.get_secret("token"));  // tacit(1): never on disk
    }
    check_migrated(dir, 0);  // the dangling id is gone
}

TEST_CASE("local store: a version 1 store's ids are keyed by HMAC on open", "[local_store]") {
    test::TempDir t("schema");
    const auto dir = t.path + "/store";
    store_of_schema(dir, 1);
    check_migrated(dir, 0);
}

TEST_CASE("local store: a store of a newer schema is refused, not misread", "[local_store]") {
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
