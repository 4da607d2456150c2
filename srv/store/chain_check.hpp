// The server's side of a group's signed chain (tacit-protocol(7), GROUPS):
// a record is stored only if it extends the stored head and its actor's
// published key signed it. The membership rules themselves are checked by
// the caller (srv/store/lmdb_backend.cpp) against the member tables, as
// before records existed; here only what ties the record to the chain.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include "shared/group_record.hpp"
#include "srv/store/txn.hpp"

namespace tacit::store {

// What kind of record the change needs (the caller knows which: an add, a
// remove of someone else, a leave, a dissolve, a create).
// Returns OK and stores the record as the new head; STALE_EPOCH when it was
// made on an older head (epoch at or below the head's, or another previous
// hash); BAD_REQUEST with *why for anything else wrong with it. Costs at
// most one RSA verification, after every cheap check.
uint8_t extend_chain(Txn& t, const group::Record& r, group::Kind want, std::string* why);

}  // namespace tacit::store
