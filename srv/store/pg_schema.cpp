// Schema version 1 mirrors the LMDB store's databases (tacit-protocol(7),
// STORAGE), and keeps their record encodings (records.hpp) in bytea
// columns, so both backends share one codec. Names are text; mailbox ids
// and epochs are int8 under the (receiver, id) and (group, epoch) keys.
// mailbox_counters holds one row per mailbox: the next id and the counts
// the quotas need. It is the row a sender locks, so ids follow commit order
// without a global sequence.
#include "srv/store/pg_schema.hpp"

#include <memory>

namespace tacit::store::pg {
namespace {

// The advisory lock the migration holds; any constant would do, this one
// is "tacit" in ASCII.
constexpr int64_t kMigrationLock = 0x7461636974;

constexpr std::string_view kSchema1 = R"sql(
CREATE TABLE users (name text PRIMARY KEY, record bytea NOT NULL);
CREATE TABLE groups (id text PRIMARY KEY, record bytea NOT NULL);
CREATE TABLE members (group_id text NOT NULL, member text NOT NULL, PRIMARY KEY (group_id, member));
CREATE INDEX members_by_member ON members (member, group_id);
CREATE TABLE mailboxes (receiver text NOT NULL, id int8 NOT NULL, record bytea NOT NULL,
                        PRIMARY KEY (receiver, id));
CREATE TABLE mailbox_counters (receiver text PRIMARY KEY, next_id int8 NOT NULL DEFAULT 1,
                               count int8 NOT NULL DEFAULT 0, bytes int8 NOT NULL DEFAULT 0);
CREATE TABLE quota (key bytea PRIMARY KEY, value int8 NOT NULL);
CREATE TABLE sessions (hash bytea PRIMARY KEY, record bytea NOT NULL, expires_ms int8 NOT NULL);
CREATE INDEX sessions_by_expiry ON sessions (expires_ms);
CREATE TABLE group_records (group_id text NOT NULL, epoch int8 NOT NULL, record bytea NOT NULL,
                            PRIMARY KEY (group_id, epoch));
CREATE TABLE group_heads (group_id text PRIMARY KEY, epoch int8 NOT NULL, hash bytea NOT NULL);
CREATE TABLE signed_prekeys (owner text PRIMARY KEY, record bytea NOT NULL);
CREATE TABLE onetime_prekeys (owner text NOT NULL, id int8 NOT NULL, record bytea NOT NULL,
                              PRIMARY KEY (owner, id));
)sql";

}  // namespace

const std::vector<SchemaStep>& schema_steps() {
    static const std::vector<SchemaStep> steps{{1, kSchema1}};
    return steps;
}

std::string migration_sql(const std::vector<SchemaStep>& steps) {
    int64_t newest = steps.empty() ? 0 : steps.back().version;
    std::string s =
        "DO $tacit$\nDECLARE v int8;\nBEGIN\n"
        "CREATE TABLE IF NOT EXISTS tacit_meta (key text PRIMARY KEY, value bytea NOT NULL);\n"
        "SELECT convert_from(value, 'UTF8')::int8 INTO v FROM tacit_meta WHERE key = 'schema';\n"
        "v := coalesce(v, 0);\n"
        "IF v > " + std::to_string(newest) + " THEN RAISE EXCEPTION "
        "'the database has tacit schema %, newer than this tacitd knows (" + std::to_string(newest) +
        ")', v; END IF;\n";
    for (const SchemaStep& st : steps) {
        std::string n = std::to_string(st.version);
        s += "IF v < " + n + " THEN\n" + std::string(st.sql) + "v := " + n + ";\nEND IF;\n";
    }
    s += "INSERT INTO tacit_meta VALUES ('schema', convert_to(v::text, 'UTF8'))\n"
         "  ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value;\n"
         "END $tacit$";
    return s;
}

void migrate(Conn& conn, std::function<void(SchemaOutcome)> done, const std::vector<SchemaStep>& steps) {
    auto out = std::make_shared<SchemaOutcome>();
    // The first statement that failed or was lost says why; the ones it
    // aborted add nothing.
    auto keep_error = [out](const Result& r) {
        bool cause = r.kind() == Result::Kind::Failed || r.kind() == Result::Kind::Lost;
        if (cause && out->why.empty()) out->why = r.error();
    };
    conn.send("BEGIN", {}, keep_error);
    conn.send("SELECT pg_advisory_xact_lock($1)", {Param::i64(kMigrationLock)}, keep_error);
    conn.send(migration_sql(steps), {}, keep_error);
    conn.send("SELECT convert_from(value, 'UTF8')::int8 FROM tacit_meta WHERE key = 'schema'", {},
              [out, keep_error](const Result& r) {
                  keep_error(r);
                  if (r.kind() == Result::Kind::Rows && r.rows() == 1) out->version = r.i64(0, 0);
              });
    conn.send("COMMIT", {}, keep_error);
    conn.sync([&conn, out, done = std::move(done)](bool ok) {
        // A group that failed inside BEGIN leaves the transaction aborted
        // until a ROLLBACK: end it, so the connection stays usable.
        if (!ok && conn.state() == Conn::State::Ready) {
            conn.send("ROLLBACK", {}, [](const Result&) {});
            conn.sync();
        }
        out->ok = ok && out->why.empty();
        if (!out->ok && out->why.empty()) out->why = "schema migration did not complete";
        if (!out->ok) out->version = 0;
        done(*out);
    });
}

}  // namespace tacit::store::pg
