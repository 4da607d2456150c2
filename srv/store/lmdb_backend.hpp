// The LMDB backend of store::Operations (operations.hpp), over one Store
// (store.hpp) with its group commit: every write of a loop pass is a child
// transaction of one pass transaction, committed once by finish_pass.
#pragma once
#include <memory>

#include "shared/bytes.hpp"
#include "srv/store/operations.hpp"
#include "srv/store/options.hpp"

namespace tacit::store {

// Opens (or creates) the environment in o.dir; throws StoreError.
std::unique_ptr<Operations> open_lmdb(const Options& o);

}  // namespace tacit::store
