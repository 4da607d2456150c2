// srv/store/pg_schema against a real throwaway PostgreSQL 15: a fresh
// database gets every table, a second run changes nothing, two nodes
// migrating at once both end at the same version, a failed step leaves
// nothing behind, and a newer schema is refused.
#include <catch2/catch.hpp>

#include <optional>
#include <string>

#include "shared/clock.hpp"
#include "shared/event_loop.hpp"
#include "srv/store/pg_conn.hpp"
#include "srv/store/pg_schema.hpp"
#include "tests/pg_cluster.hpp"

using namespace tacit;
using namespace tacit::store::pg;

using test::pump;

namespace {

std::optional<SchemaOutcome> run_migrate(EventLoop& loop, Conn& c, const std::vector<SchemaStep>& steps) {
    std::optional<SchemaOutcome> out;
    migrate(c, [&](SchemaOutcome o) { out = o; }, steps);
    if (!pump(loop, [&] { return out.has_value(); })) return std::nullopt;
    return out;
}

const std::string kTables =
    "SELECT string_agg(table_name, ',' ORDER BY table_name) FROM information_schema.tables "
    "WHERE table_schema = 'public'";

}  // namespace

TEST_CASE("pg schema: created on a fresh database, unchanged by a second run", "[pg]") {
    auto& pg = test::PgCluster::shared();
    std::string db = pg.fresh_database("schema");
    EventLoop loop;
    Conn c(loop, pg.conninfo(db), {});
    auto first = run_migrate(loop, c, schema_steps());
    REQUIRE(first);
    INFO(first->why);
    CHECK(first->ok);
    CHECK(first->version == kSchemaVersion);
    std::string tables = pg.psql(db, kTables);
    CHECK(tables ==
          "group_heads,group_records,groups,mailbox_counters,mailboxes,members,onetime_prekeys,quota,sessions,"
          "signed_prekeys,tacit_meta,users");
    pg.psql(db, "INSERT INTO users VALUES ('alice', '\\\\x01')");
    auto second = run_migrate(loop, c, schema_steps());
    REQUIRE(second);
    CHECK(second->ok);
    CHECK(second->version == kSchemaVersion);
    CHECK(pg.psql(db, kTables) == tables);
    CHECK(pg.psql(db, "SELECT count(*) FROM users") == "1");
}

TEST_CASE("pg schema: two nodes migrating one database at once", "[pg]") {
    auto& pg = test::PgCluster::shared();
    std::string db = pg.fresh_database("race");
    EventLoop loop;
    Conn a(loop, pg.conninfo(db), {}), b(loop, pg.conninfo(db), {});
    std::optional<SchemaOutcome> oa, ob;
    migrate(a, [&](SchemaOutcome o) { oa = o; });
    migrate(b, [&](SchemaOutcome o) { ob = o; });
    REQUIRE(pump(loop, [&] { return oa && ob; }));
    INFO(oa->why << " / " << ob->why);
    CHECK(oa->ok);
    CHECK(ob->ok);
    CHECK(oa->version == kSchemaVersion);
    CHECK(ob->version == kSchemaVersion);
}

TEST_CASE("pg schema: a later step migrates, a failing one leaves nothing, a newer schema is refused", "[pg]") {
    auto& pg = test::PgCluster::shared();
    std::string db = pg.fresh_database("steps");
    EventLoop loop;
    Conn c(loop, pg.conninfo(db), {});
    REQUIRE(run_migrate(loop, c, schema_steps())->ok);

    auto broken = schema_steps();
    broken.push_back({kSchemaVersion + 1, "CREATE TABLE half_done (a int8);\nPERFORM 1 / 0;\n"});
    auto failed = run_migrate(loop, c, broken);
    REQUIRE(failed);
    CHECK(!failed->ok);
    CHECK(failed->why.find("division by zero") != std::string::npos);
    CHECK(pg.psql(db, "SELECT to_regclass('half_done') IS NULL") == "t");
    CHECK(pg.psql(db, "SELECT convert_from(value, 'UTF8') FROM tacit_meta WHERE key = 'schema'") ==
          std::to_string(kSchemaVersion));

    auto later = schema_steps();
    later.push_back({kSchemaVersion + 1, "CREATE TABLE later_step (a int8);\n"});
    auto up = run_migrate(loop, c, later);  // the connection is usable after the failure
    REQUIRE(up);
    INFO(up->why);
    CHECK(up->ok);
    CHECK(up->version == kSchemaVersion + 1);
    CHECK(pg.psql(db, "SELECT to_regclass('later_step') IS NOT NULL") == "t");

    auto older = run_migrate(loop, c, schema_steps());
    REQUIRE(older);
    CHECK(!older->ok);
    CHECK(older->why.find("newer than this tacitd knows") != std::string::npos);
    CHECK(pg.psql(db, "SELECT to_regclass('later_step') IS NOT NULL") == "t");
}
