// The prekey databases (srv/store/txn_prekeys.cpp, tacit-protocol(7),
// PREKEYS and STORAGE): one-time prekeys come out lowest id first, each
// once, per user; a schema-2 environment is upgraded to 3 with its data.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>

#include "srv/store/store.hpp"
#include "tests/unit/temp_dir.hpp"

using namespace tacit;
using namespace tacit::store;

namespace {

struct Dir : test::TempDir {
    Dir() : test::TempDir("prekeys") {}
};

Options opts(const std::string& dir) {
    Options o;
    o.dir = dir;
    o.initial_map = 1 << 20;
    o.max_map = 64 << 20;
    o.sync = false;
    return o;
}

x3dh::SignedPrekey spk(uint32_t id) {
    x3dh::SignedPrekey k;
    k.id = id;
    k.created = 1700000000;
    k.pub.fill(uint8_t(id));
    k.sig = Bytes(384, 0x11);
    return k;
}

bool same(const std::optional<x3dh::SignedPrekey>& a, const x3dh::SignedPrekey& b) {
    return a && a->id == b.id && a->created == b.created && a->pub == b.pub && a->sig == b.sig;
}

msg::PrekeyOpk opk(uint32_t id) {
    msg::PrekeyOpk o;
    o.id = id;
    o.pub.fill(uint8_t(id + 100));
    return o;
}

}  // namespace

TEST_CASE("store prekeys: each one-time prekey comes out once, lowest id first, per user", "[store][prekeys]") {
    Dir d;
    Store s(opts(d.path + "/data"));
    REQUIRE(s.write([](Txn& t) {
        t.put_spk("alice", spk(7));
        for (uint32_t id : {300u, 2u, 70000u}) t.put_opk("alice", opk(id));
        t.put_opk("alicea", opk(1));  // a longer name sharing the prefix
        return proto::OK;
    }) == proto::OK);
    REQUIRE(s.commit_pass());
    s.read([](Txn& t) {
        CHECK(t.opk_count("alice") == 3);
        CHECK(t.opk_count("alicea") == 1);
        CHECK(t.opk_count("bob") == 0);
        CHECK(same(t.get_spk("alice"), spk(7)));
        CHECK_FALSE(t.get_spk("bob"));
    });
    std::vector<uint32_t> out;
    for (int i = 0; i < 4; ++i) {
        REQUIRE(s.write([&](Txn& t) {
            if (auto o = t.take_opk("alice")) {
                CHECK(o->pub == opk(o->id).pub);
                out.push_back(o->id);
            }
            return proto::OK;
        }) == proto::OK);
        REQUIRE(s.commit_pass());
    }
    CHECK(out == std::vector<uint32_t>{2, 300, 70000});
    s.read([](Txn& t) {
        CHECK(t.opk_count("alice") == 0);
        CHECK(t.opk_count("alicea") == 1);
    });
}

TEST_CASE("store prekeys: a schema-2 environment is upgraded to 3 with its data", "[store][prekeys]") {
    Dir d;
    const std::string fresh = d.path + "/fresh", old_dir = d.path + "/old";
    {
        Store s(opts(fresh));
        REQUIRE(s.write([](Txn& t) {
            t.put_session(SessionHash{}, SessionRec{"alice", 1, 99});
            return proto::OK;
        }) == proto::OK);
        REQUIRE(s.commit_pass());
    }
    // Schema 2 as it was: every database but spk and opk, and schema = 2,
    // built with lmdb-utils since only srv/store may speak LMDB.
    std::filesystem::create_directory(old_dir);
    for (const char* db : {"users", "mailboxes", "mbox_count", "meta", "quota", "sessions"}) {
        std::string cmd = "mdb_dump -s " + std::string(db) + " " + fresh + " | mdb_load -s " + db + " " + old_dir +
                          " 2>/dev/null";
        REQUIRE(std::system(cmd.c_str()) == 0);
    }
    std::string v2 = "printf 'VERSION=3\\nformat=bytevalue\\ntype=btree\\nHEADER=END\\n 736368656d61\\n 00000002\\n"
                     "DATA=END\\n' | mdb_load -s meta " + old_dir;
    REQUIRE(std::system(v2.c_str()) == 0);
    {
        Store s(opts(old_dir));
        s.read([](Txn& t) { CHECK(t.get_session(SessionHash{}) == std::optional(SessionRec{"alice", 1, 99})); });
        REQUIRE(s.write([](Txn& t) {
            t.put_spk("alice", spk(1));
            return proto::OK;
        }) == proto::OK);
        REQUIRE(s.commit_pass());
    }
    std::string check = "mdb_dump -s meta " + old_dir + " | grep -q '^ 00000003$'";
    CHECK(std::system(check.c_str()) == 0);
}
