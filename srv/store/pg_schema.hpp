// The PostgreSQL store's schema: created and
// migrated by tacitd itself, under a schema version kept in tacit_meta.
// Several nodes may start at once: the migration runs in one transaction
// under an advisory lock, so exactly one of them applies each step and the
// others find it done. A database whose schema is newer than this tacitd
// knows is refused rather than written.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "srv/store/pg_conn.hpp"

namespace tacit::store::pg {

constexpr int64_t kSchemaVersion = 1;

// One step: the statements that take a database from version - 1 to version.
struct SchemaStep {
    int64_t version;
    std::string_view sql;
};
const std::vector<SchemaStep>& schema_steps();

// The single statement that brings any older schema up to date (a DO block
// of the steps still missing), for migrate() and for tests to read.
std::string migration_sql(const std::vector<SchemaStep>& steps);

// The outcome of migrate(): the version the database is at afterwards, or
// why it could not be brought there (a newer schema, a lost connection).
struct SchemaOutcome {
    bool ok = false;
    int64_t version = 0;
    std::string why;
};

// Brings the database behind conn to kSchemaVersion in one transaction;
// done runs on the loop once the transaction has committed or failed.
void migrate(Conn& conn, std::function<void(SchemaOutcome)> done,
             const std::vector<SchemaStep>& steps = schema_steps());

}  // namespace tacit::store::pg
