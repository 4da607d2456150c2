// An LMDB failure other than MDB_MAP_FULL (which Store handles by growing the
// map), or a record in the database that does not decode. NotFound and
// KeyExists never become StoreErrors: they are answers, not failures.
#pragma once
#include <stdexcept>
#include <string>

namespace tacit::store {

struct StoreError : std::runtime_error {
    // what: the operation that failed; the message adds mdb_strerror(rc).
    StoreError(const std::string& what, int rc);
    int rc;
};

}  // namespace tacit::store
