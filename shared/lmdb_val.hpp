// The small adapters between LMDB's MDB_val and Bytes, for the .cpp files
// of the two LMDB stores, tacitd's (srv/store) and the client's local one
// (tui/client/local_*): nothing else includes lmdb.h.
#pragma once
#include <lmdb.h>

#include <memory>

#include "shared/bytes.hpp"

namespace tacit::lmdb {

inline MDB_val val(ByteView b) { return {b.size(), const_cast<uint8_t*>(b.data())}; }
inline ByteView view(const MDB_val& v) { return {static_cast<const uint8_t*>(v.mv_data), v.mv_size}; }

struct CursorCloser {
    void operator()(MDB_cursor* c) const { mdb_cursor_close(c); }
};
using Cursor = std::unique_ptr<MDB_cursor, CursorCloser>;

}  // namespace tacit::lmdb
