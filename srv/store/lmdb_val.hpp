// The LMDB adapters (shared/lmdb_val.hpp) under srv/store's names, for
// srv/store's .cpp files only (nothing outside srv/store includes lmdb.h).
#pragma once
#include "shared/lmdb_val.hpp"

namespace tacit::store {

using lmdb::Cursor;
using lmdb::CursorCloser;
using lmdb::val;
using lmdb::view;

}  // namespace tacit::store
