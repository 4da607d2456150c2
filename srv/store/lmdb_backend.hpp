// The LMDB backend of store::Operations (operations.hpp), over one Store
// (store.hpp) with its group commit: every write of a loop pass is a child
// transaction of one pass transaction, committed once by finish_pass.
#pragma once
#include <functional>
#include <memory>

#include "shared/bytes.hpp"
#include "srv/store/operations.hpp"
#include "srv/store/options.hpp"

namespace tacit::store {

// The server's signature over a system entry's signed input
// (msg::system_sig_input): the entry's id is allocated inside the write,
// so the write signs it.
using Signer = std::function<Bytes(ByteView)>;

// Opens (or creates) the environment in o.dir; throws StoreError.
std::unique_ptr<Operations> open_lmdb(const Options& o, Signer sign);

}  // namespace tacit::store
