// srv/store/pg_conn against a real throwaway PostgreSQL 15 (tests/pg_cluster.hpp):
// the connect on the loop, pipelined statements in order, a failed statement
// aborting only its group, binary bytea, LISTEN/NOTIFY delivered at commit,
// and a server that goes away.
#include <catch2/catch.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "shared/clock.hpp"
#include "shared/event_loop.hpp"
#include "srv/store/pg_conn.hpp"
#include "tests/pg_cluster.hpp"

using namespace tacit;
using store::pg::Conn;
using store::pg::Param;
using store::pg::Result;
using Kind = Result::Kind;

using test::pump;

namespace {

struct Ready {
    EventLoop loop;
    std::optional<Conn::State> state;
    std::string why;
    Conn conn;
    explicit Ready(const std::string& conninfo)
        : conn(loop, conninfo, [this](Conn::State s, const std::string& w) {
              state = s;
              why = w;
          }) {}
    bool wait_state() {
        return pump(loop, [&] { return state.has_value(); });
    }
};

}  // namespace

TEST_CASE("pg: statements pipelined before and after the connect come back in order", "[pg]") {
    auto& pg = test::PgCluster::shared();
    Ready r(pg.conninfo(pg.fresh_database("order")));
    std::vector<int64_t> got;
    // Queued while Connecting: sent once the connection is up.
    for (int i = 0; i < 5; ++i)
        r.conn.send("SELECT $1::int8", {Param::i64(i)}, [&](const Result& res) {
            REQUIRE(res.kind() == Kind::Rows);
            got.push_back(res.i64(0, 0));
        });
    r.conn.sync();
    REQUIRE(r.wait_state());
    REQUIRE(*r.state == Conn::State::Ready);
    for (int i = 5; i < 200; ++i)
        r.conn.send("SELECT $1::int8 * 1", {Param::i64(i)}, [&](const Result& res) { got.push_back(res.i64(0, 0)); });
    std::optional<bool> synced;
    r.conn.sync([&](bool ok) { synced = ok; });
    REQUIRE(pump(r.loop, [&] { return synced.has_value(); }));
    CHECK(*synced);
    REQUIRE(got.size() == 200);
    for (int i = 0; i < 200; ++i) CHECK(got[size_t(i)] == i);
    CHECK(r.conn.waiting() == 0);
}

TEST_CASE("pg: a failed statement aborts the rest of its group and nothing after its sync", "[pg]") {
    auto& pg = test::PgCluster::shared();
    Ready r(pg.conninfo(pg.fresh_database("abort")));
    REQUIRE(r.wait_state());
    std::vector<Kind> kinds;
    std::string sqlstate;
    auto note = [&](const Result& res) {
        kinds.push_back(res.kind());
        if (res.kind() == Kind::Failed) sqlstate = std::string(res.sqlstate());
    };
    std::vector<bool> syncs;
    r.conn.send("SELECT 1::int8", {}, note);
    r.conn.send("SELECT 1::int8 / 0", {}, note);
    r.conn.send("SELECT 2::int8", {}, note);
    r.conn.sync([&](bool ok) { syncs.push_back(ok); });
    int64_t after = 0;
    r.conn.send("SELECT 3::int8", {}, [&](const Result& res) {
        note(res);
        after = res.i64(0, 0);
    });
    r.conn.sync([&](bool ok) { syncs.push_back(ok); });
    REQUIRE(pump(r.loop, [&] { return syncs.size() == 2; }));
    CHECK(kinds == std::vector<Kind>{Kind::Rows, Kind::Failed, Kind::Aborted, Kind::Rows});
    CHECK(sqlstate == "22012");  // division_by_zero
    CHECK(syncs == std::vector<bool>{false, true});
    CHECK(after == 3);
}

TEST_CASE("pg: bytea and text go through in binary, NULs and all", "[pg]") {
    auto& pg = test::PgCluster::shared();
    Ready r(pg.conninfo(pg.fresh_database("bytes")));
    REQUIRE(r.wait_state());
    Bytes blob;
    for (int i = 0; i < 600; ++i) blob.push_back(uint8_t(i * 7));
    blob[0] = 0;
    std::vector<Kind> kinds;
    r.conn.send("CREATE TABLE t (k text PRIMARY KEY, v bytea NOT NULL, n int8)", {},
                [&](const Result& res) { kinds.push_back(res.kind()); });
    r.conn.send("INSERT INTO t VALUES ($1, $2, $3)", {Param::text("k'\"\\1"), Param::bytes(blob), Param::null_of(20)},
                [&](const Result& res) {
                    kinds.push_back(res.kind());
                    CHECK(res.affected() == 1);
                });
    std::optional<Result> row;
    r.conn.send("SELECT k, v, n FROM t", {}, [&](const Result& res) { row = res; });
    bool done = false;
    r.conn.sync([&](bool) { done = true; });
    REQUIRE(pump(r.loop, [&] { return done; }));
    CHECK(kinds == std::vector<Kind>{Kind::Done, Kind::Done});
    REQUIRE(row);
    REQUIRE(row->rows() == 1);
    CHECK(row->text(0, 0) == "k'\"\\1");
    CHECK(Bytes(row->bytes(0, 1).begin(), row->bytes(0, 1).end()) == blob);
    CHECK(row->is_null(0, 2));
    CHECK_THROWS(row->i64(0, 1));     // not an int8
    CHECK_THROWS(row->bytes(1, 0));   // no such row
}

TEST_CASE("pg: NOTIFY issued inside a transaction reaches a listener at commit", "[pg]") {
    auto& pg = test::PgCluster::shared();
    std::string db = pg.fresh_database("notify");
    Ready listener(pg.conninfo(db));
    REQUIRE(listener.wait_state());
    std::vector<std::string> heard;
    listener.conn.on_notify([&](const std::string& ch, const std::string& payload) { heard.push_back(ch + ":" + payload); });
    bool listening = false;
    listener.conn.send("LISTEN tacit_poke", {}, [](const Result&) {});
    listener.conn.sync([&](bool ok) { listening = ok; });
    REQUIRE(pump(listener.loop, [&] { return listening; }));
    // Another client notifies inside a transaction that it rolls back, then
    // in one it commits: only the second is delivered.
    pg.psql(db, "BEGIN; NOTIFY tacit_poke, 'rolled back'; ROLLBACK;");
    pg.psql(db, "BEGIN; NOTIFY tacit_poke, 'mail alice'; COMMIT;");
    REQUIRE(pump(listener.loop, [&] { return !heard.empty(); }));
    listener.loop.run_once(100);
    CHECK(heard == std::vector<std::string>{"tacit_poke:mail alice"});
}

TEST_CASE("pg: a refused connect and a killed backend complete everything as Lost", "[pg]") {
    auto& pg = test::PgCluster::shared();
    SECTION("nothing listens on the socket") {
        Ready r("host=" + pg.dir() + "/nowhere port=5432 user=tacit dbname=postgres");
        std::vector<Kind> kinds;
        r.conn.send("SELECT 1::int8", {}, [&](const Result& res) { kinds.push_back(res.kind()); });
        REQUIRE(r.wait_state());
        CHECK(*r.state == Conn::State::Broken);
        CHECK(!r.why.empty());
        REQUIRE(pump(r.loop, [&] { return !kinds.empty(); }));
        CHECK(kinds == std::vector<Kind>{Kind::Lost});
        // A statement sent after the break completes too, on a later pass.
        r.conn.send("SELECT 2::int8", {}, [&](const Result& res) { kinds.push_back(res.kind()); });
        CHECK(kinds.size() == 1);
        REQUIRE(pump(r.loop, [&] { return kinds.size() == 2; }));
        CHECK(kinds[1] == Kind::Lost);
    }
    SECTION("the backend is terminated while a statement runs") {
        std::string db = pg.fresh_database("terminate");
        Ready r(pg.conninfo(db));
        REQUIRE(r.wait_state());
        std::vector<Kind> kinds;
        std::optional<bool> synced;
        // Results come at the group's sync, so the name is set in a group of its own.
        r.conn.send("SET application_name = 'victim'", {}, [&](const Result& res) { kinds.push_back(res.kind()); });
        r.conn.sync();
        REQUIRE(pump(r.loop, [&] { return kinds.size() == 1; }));
        r.conn.send("SELECT pg_sleep(30)", {}, [&](const Result& res) { kinds.push_back(res.kind()); });
        r.conn.sync([&](bool ok) { synced = ok; });
        REQUIRE(pump(r.loop, [&] {
            return pg.psql(db, "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'victim' AND state = 'active'") == "1";
        }));
        r.state.reset();
        pg.psql(db, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'victim'");
        REQUIRE(pump(r.loop, [&] { return synced.has_value(); }));
        CHECK(!*synced);
        CHECK(kinds.size() == 2);
        CHECK(kinds[1] != Kind::Rows);
        CHECK(r.conn.state() == Conn::State::Broken);
        REQUIRE(r.state);
        CHECK(*r.state == Conn::State::Broken);
    }
}
