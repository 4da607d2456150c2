// The prekey databases (tacit-protocol(7), PREKEYS and STORAGE): spk holds
// each user's signed prekey, opk the pool of one-time prekeys.
#include <lmdb.h>

#include <algorithm>
#include <memory>

#include "srv/store/lmdb_val.hpp"
#include "srv/store/txn.hpp"

namespace tacit::store {

namespace {
bool has_prefix(ByteView k, const Bytes& prefix) {
    return k.size() >= prefix.size() && std::equal(prefix.begin(), prefix.end(), k.begin());
}
}  // namespace

std::optional<x3dh::SignedPrekey> Txn::get_spk(std::string_view user) {
    auto v = get_raw(d_.spk, name_key(user), "get signed prekey");
    if (!v) return std::nullopt;
    return decode_spk(*v);
}

void Txn::put_spk(std::string_view user, const x3dh::SignedPrekey& k) {
    put_raw(d_.spk, name_key(user), encode_spk(k), 0, "put signed prekey");
}

void Txn::put_opk(std::string_view user, const msg::PrekeyOpk& o) {
    put_raw(d_.opk, opk_key(user, o.id), encode_opk(o.pub), 0, "put one-time prekey");
}

bool Txn::has_opk(std::string_view user, uint32_t id) {
    return get_raw(d_.opk, opk_key(user, id), "get one-time prekey").has_value();
}

size_t Txn::opk_count(std::string_view user) {
    const Bytes prefix = opk_prefix(user);
    MDB_cursor* raw = nullptr;
    check(mdb_cursor_open(t_, d_.opk, &raw), "open cursor");
    Cursor c(raw);
    MDB_val k = val(prefix), v;
    size_t n = 0;
    int rc = mdb_cursor_get(c.get(), &k, &v, MDB_SET_RANGE);
    while (rc == MDB_SUCCESS && has_prefix(view(k), prefix)) {
        ++n;
        rc = mdb_cursor_get(c.get(), &k, &v, MDB_NEXT);
    }
    if (rc != MDB_SUCCESS && rc != MDB_NOTFOUND) check(rc, "count one-time prekeys");
    return n;
}

std::optional<x3dh::OneTimePrekey> Txn::take_opk(std::string_view user) {
    need_writable();
    const Bytes prefix = opk_prefix(user);
    MDB_cursor* raw = nullptr;
    check(mdb_cursor_open(t_, d_.opk, &raw), "open cursor");
    Cursor c(raw);
    MDB_val k = val(prefix), v;
    int rc = mdb_cursor_get(c.get(), &k, &v, MDB_SET_RANGE);
    if (rc == MDB_NOTFOUND) return std::nullopt;
    check(rc, "find one-time prekey");
    auto kb = view(k);
    if (!has_prefix(kb, prefix)) return std::nullopt;
    if (kb.size() != prefix.size() + 4) throw StoreError("opk: malformed key", MDB_CORRUPTED);
    x3dh::OneTimePrekey o;
    o.id = get_u32be(kb.data() + prefix.size());
    o.pub = decode_opk(view(v));
    // Deleted in the same write that hands it out: never given twice.
    check(mdb_cursor_del(c.get(), 0), "delete one-time prekey");
    return o;
}

void Txn::drop_prekeys(std::string_view user) {
    need_writable();
    const ByteView name = name_key(user);
    MDB_val sk = val(name);
    int rc = mdb_del(t_, d_.spk, &sk, nullptr);
    if (rc != MDB_NOTFOUND) check(rc, "delete signed prekey");
    const Bytes prefix = opk_prefix(user);
    MDB_cursor* raw = nullptr;
    check(mdb_cursor_open(t_, d_.opk, &raw), "open cursor");
    Cursor c(raw);
    // Sought afresh after each delete (at most 200 of them): where a
    // cursor stands after mdb_cursor_del is nothing to lean on.
    for (;;) {
        MDB_val k = val(prefix), v;
        rc = mdb_cursor_get(c.get(), &k, &v, MDB_SET_RANGE);
        if (rc == MDB_NOTFOUND || (rc == MDB_SUCCESS && !has_prefix(view(k), prefix))) return;
        check(rc, "find one-time prekey");
        check(mdb_cursor_del(c.get(), 0), "delete one-time prekey");
    }
}

}  // namespace tacit::store
