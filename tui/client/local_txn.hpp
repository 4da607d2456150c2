// The local store's LMDB transactions (local_store.hpp): a transaction
// that aborts unless committed, and the errors that carry LMDB's code. For
// the local store's .cpp files only.
#pragma once
#include <lmdb.h>

#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "shared/bytes.hpp"
#include "shared/lmdb_val.hpp"

namespace tacit::client::local {

using lmdb::Cursor;
using lmdb::val;
using lmdb::view;

// Carries the LMDB code, so a write can tell MAP_FULL (grow and retry)
// from real failures (reported, e.g. a full disk).
struct LmdbError : std::runtime_error {
    LmdbError(const std::string& what, int rc)
        : std::runtime_error("local store: " + what + ": " + mdb_strerror(rc)), rc(rc) {}
    int rc;
};

[[noreturn]] inline void fail(const std::string& what, int rc) { throw LmdbError(what, rc); }
inline void check(int rc, const char* what) {
    if (rc != MDB_SUCCESS) fail(what, rc);
}

struct EnvCloser {
    void operator()(MDB_env* e) const { mdb_env_close(e); }
};

// Aborts unless committed. Everything read is copied out before it ends.
class Txn {
public:
    Txn(MDB_env* env, bool writable) {
        unsigned flags = writable ? 0 : MDB_RDONLY;
        int rc = mdb_txn_begin(env, nullptr, flags, &t_);
        if (rc == MDB_MAP_RESIZED) {
            // Another process of this account grew the map: adopt its size
            // (no transaction of ours is open here) and begin again.
            check(mdb_env_set_mapsize(env, 0), "cannot adopt the grown map size");
            rc = mdb_txn_begin(env, nullptr, flags, &t_);
        }
        check(rc, "cannot begin transaction");
    }
    ~Txn() {
        if (t_) mdb_txn_abort(t_);
    }
    Txn(const Txn&) = delete;
    Txn& operator=(const Txn&) = delete;

    // mdb_txn_commit frees the handle whether or not it succeeds.
    void commit() {
        MDB_txn* t = std::exchange(t_, nullptr);
        check(mdb_txn_commit(t), "commit failed");
    }
    MDB_txn* get() const { return t_; }

    // nullopt when the DB does not exist.
    std::optional<MDB_dbi> find_dbi(const char* name) {
        MDB_dbi d = 0;
        int rc = mdb_dbi_open(t_, name, 0, &d);
        if (rc == MDB_NOTFOUND) return std::nullopt;
        check(rc, "cannot open database");
        return d;
    }
    // Deletes d and its handle.
    void drop_dbi(MDB_dbi d) { check(mdb_drop(t_, d, 1), "cannot delete database"); }
    MDB_dbi open_dbi(const char* name) {
        MDB_dbi d = 0;
        check(mdb_dbi_open(t_, name, MDB_CREATE, &d), "cannot open database");
        return d;
    }
    std::optional<Bytes> get(MDB_dbi d, ByteView key) {
        MDB_val k = val(key), v{};
        int rc = mdb_get(t_, d, &k, &v);
        if (rc == MDB_NOTFOUND) return std::nullopt;
        check(rc, "read failed");
        auto b = view(v);
        return Bytes(b.begin(), b.end());
    }
    void put(MDB_dbi d, ByteView key, ByteView value, unsigned flags = 0) {
        MDB_val k = val(key), v = val(value);
        check(mdb_put(t_, d, &k, &v, flags), "write failed");
    }
    void del(MDB_dbi d, ByteView key) {
        MDB_val k = val(key);
        int rc = mdb_del(t_, d, &k, nullptr);
        if (rc != MDB_NOTFOUND) check(rc, "delete failed");
    }
    // Empties d (the DB itself stays).
    void clear(MDB_dbi d) { check(mdb_drop(t_, d, 0), "cannot empty database"); }
    Cursor cursor(MDB_dbi d) {
        MDB_cursor* c = nullptr;
        check(mdb_cursor_open(t_, d, &c), "cannot open cursor");
        return Cursor(c);
    }

private:
    MDB_txn* t_ = nullptr;
};

// One cursor step; false at either end. Keys and values point into the map
// and are valid only until the transaction ends.
inline bool step(MDB_cursor* c, MDB_val* k, MDB_val* v, MDB_cursor_op op) {
    int rc = mdb_cursor_get(c, k, v, op);
    if (rc == MDB_NOTFOUND) return false;
    check(rc, "cursor read failed");
    return true;
}

// Every (key, value) of d, copied out: puts while a cursor walks the same
// DB are best avoided.
inline std::vector<std::pair<Bytes, Bytes>> entries(Txn& t, MDB_dbi d) {
    std::vector<std::pair<Bytes, Bytes>> out;
    Cursor c = t.cursor(d);
    MDB_val k{}, v{};
    for (bool ok = step(c.get(), &k, &v, MDB_FIRST); ok; ok = step(c.get(), &k, &v, MDB_NEXT))
        out.emplace_back(Bytes(view(k).begin(), view(k).end()), Bytes(view(v).begin(), view(v).end()));
    return out;
}

}  // namespace tacit::client::local
