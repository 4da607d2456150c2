// tui/client/local_store's schema version and migration, on a store put
// into the layout of version 0 (no version, a session token kept, ids keyed
// by msg_id alone) by editing the LMDB environment directly: the test must
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

TEST_CASE("local store: a version 0 store is migrated on open", "[local_store]") {
    test::TempDir t("schema");
    const auto dir = t.path + "/store";
    {
        LocalStore s(dir, key());
        CHECK(s.schema_version() == 1);
        s.add({from("bob", "m1", 10, "from bob"), from("carol", "m2", 20, "from carol")}, "alice");
        s.put_secret("token", as_bytes("an old session token"));
        s.put_secret("other", as_bytes("kept"));
    }
    {
        // Back to version 0: no schema record, ids by msg_id alone.
        RawEnv raw(dir);
        auto meta = raw.db("meta"), ids = raw.db("ids");
        raw.del(meta, "schema");
        for (auto& [k, v] : raw.all(ids)) {
            auto nul = k.find('\0');
            REQUIRE(nul != std::string::npos);
            raw.del(ids, k);
            raw.put(ids, k.substr(nul + 1), v);
        }
        raw.put(ids, "dangling", "no such message");
        raw.commit();
    }
    {
        LocalStore s(dir, key());
        CHECK(s.schema_version() == 1);
        CHECK_FALSE(s.get_secret("token"));  // tacit(1): never on disk
        REQUIRE(s.get_secret("other"));
        CHECK(s.seen("bob", "m1"));
        CHECK(s.seen("carol", "m2"));
        CHECK_FALSE(s.seen("carol", "m1"));  // an id is its sender's only
        // The same message again is a duplicate; another sender's is not.
        CHECK(s.add({from("bob", "m1", 30, "again")}, "alice").empty());
        CHECK(s.add({from("dave", "m1", 40, "dave's own")}, "alice").size() == 1);
        CHECK(s.last("bob", 10).size() == 1);
    }
    // Every id now carries its sender; the dangling one is gone.
    RawEnv raw(dir);
    auto all = raw.all(raw.db("ids"));
    CHECK(all.size() == 3);
    for (auto& kv : all) CHECK(kv.first.find('\0') != std::string::npos);
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
