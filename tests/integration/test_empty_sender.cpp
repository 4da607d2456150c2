// A server that hands over a message with an empty sender name (issue 13
// item 7: it used to end the client). A real tacitd gives out what its
// store holds, so the record is rewritten on disk while tacitd is stopped.
// The client drops that one message with a reason, acknowledges the page,
// and goes on: the messages around it arrive, and it is not fetched again.
#include <lmdb.h>

#include <catch2/catch.hpp>
#include <memory>

#include "tests/integration/harness.hpp"

using namespace tacit;
using namespace tacit::test;

namespace {

void ok(int rc, const char* what) {
    INFO(what << ": " << mdb_strerror(rc));
    REQUIRE(rc == MDB_SUCCESS);
}

// Blanks the sender of the newest record in user's mailbox, in tacitd's
// LMDB (stopped). The layout is srv/store/records.cpp encode_mail's:
// version u8 | kind u8 | sender str (u16 length | bytes) | the rest.
void blank_newest_sender(const std::string& data_dir, const std::string& user) {
    MDB_env* raw_env = nullptr;
    ok(mdb_env_create(&raw_env), "create env");
    std::unique_ptr<MDB_env, void (*)(MDB_env*)> env(raw_env, mdb_env_close);
    ok(mdb_env_set_maxdbs(raw_env, 16), "maxdbs");
    ok(mdb_env_open(raw_env, data_dir.c_str(), 0, 0600), "open env");
    MDB_txn* raw_txn = nullptr;
    ok(mdb_txn_begin(raw_env, nullptr, 0, &raw_txn), "begin");
    std::unique_ptr<MDB_txn, void (*)(MDB_txn*)> txn(raw_txn, mdb_txn_abort);
    MDB_dbi dbi = 0;
    ok(mdb_dbi_open(raw_txn, "mailboxes", 0, &dbi), "open mailboxes");
    MDB_cursor* raw_cur = nullptr;
    ok(mdb_cursor_open(raw_txn, dbi, &raw_cur), "cursor");
    std::unique_ptr<MDB_cursor, void (*)(MDB_cursor*)> cur(raw_cur, mdb_cursor_close);
    const std::string prefix = user + std::string(1, '\0');
    Bytes key(prefix.begin(), prefix.end()), last_key, last_val;
    MDB_val k{key.size(), key.data()}, v{};
    for (int rc = mdb_cursor_get(raw_cur, &k, &v, MDB_SET_RANGE); rc == MDB_SUCCESS;
         rc = mdb_cursor_get(raw_cur, &k, &v, MDB_NEXT)) {
        const std::string_view got(static_cast<const char*>(k.mv_data), k.mv_size);
        if (got.substr(0, prefix.size()) != prefix) break;
        const auto* kb = static_cast<const uint8_t*>(k.mv_data);
        const auto* vb = static_cast<const uint8_t*>(v.mv_data);
        last_key.assign(kb, kb + k.mv_size);
        last_val.assign(vb, vb + v.mv_size);
    }
    cur.reset();
    REQUIRE(last_val.size() > 4);
    const size_t name_len = size_t(last_val[2]) << 8 | last_val[3];
    REQUIRE(name_len > 0);
    Bytes blanked{last_val[0], last_val[1], 0, 0};
    blanked.insert(blanked.end(), last_val.begin() + 4 + long(name_len), last_val.end());
    MDB_val nk{last_key.size(), last_key.data()}, nv{blanked.size(), blanked.data()};
    ok(mdb_put(raw_txn, dbi, &nk, &nv, 0), "put");
    ok(mdb_txn_commit(txn.release()), "commit");
}

bool got(const TestClient& c, const std::string& body) {
    for (const auto& m : c.messages())
        if (m.body == body) return true;
    return false;
}

}  // namespace

TEST_CASE("a message the server hands over with an empty sender name is dropped with a reason; the rest arrive",
          "[integration][messages][empty_sender]") {
    TestServer s;
    TestClient a(s, "alice"), b(s, "bob");
    register_login(a, "alice");
    register_login(b, "bob");
    REQUIRE(a->logout().ok);
    REQUIRE(b->send("alice", "first").ok);
    REQUIRE(b->send("alice", "second").ok);
    s.stop();
    blank_newest_sender(s.data_dir(), "alice");
    s.start();

    auto in = a->login("alice", client::Password("pw"));
    INFO(in.msg);
    REQUIRE(in.ok);
    REQUIRE(a.wait_until([&] { return got(a, "first"); }));
    const auto infos = events_of<client::ev::Info>(a);
    CHECK(std::any_of(infos.begin(), infos.end(), [](const client::ev::Info& i) {
        return i.text.find("dropped message") != std::string::npos &&
               i.text.find("invalid sender name") != std::string::npos;
    }));
    for (const auto& m : a.messages()) CHECK_FALSE(m.from.empty());
    CHECK_FALSE(got(a, "second"));

    // The client goes on: bob's next message opens (past the one skipped).
    REQUIRE(b->reconnect().ok);
    REQUIRE(b->send("alice", "third").ok);
    REQUIRE(a.wait_until([&] { return got(a, "third"); }));
    CHECK(a->connected());
    // The dropped one was acknowledged with its page: it does not come again.
    const size_t dropped = infos.size();
    auto again = a->update();
    REQUIRE(again.ok);
    CHECK(again.count == 0);
    a.pump_once(50);
    CHECK(events_of<client::ev::Info>(a).size() == dropped);
}
