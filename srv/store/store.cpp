#include "srv/store/store.hpp"

#include <fcntl.h>
#include <lmdb.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <exception>
#include <filesystem>
#include <stdexcept>
#include <system_error>

#include "shared/wire.hpp"
#include "srv/store/meta_keys.hpp"

namespace tacit::store {

StoreError::StoreError(const std::string& what, int rc)
    : std::runtime_error("store: " + what + ": " + mdb_strerror(rc)), rc(rc) {}

void Store::EnvCloser::operator()(MDB_env* e) const { mdb_env_close(e); }

namespace {

void check(int rc, const char* what) {
    if (rc != MDB_SUCCESS) throw StoreError(what, rc);
}

// Owns a transaction until it is committed: aborts on every other path.
class TxnGuard {
public:
    explicit TxnGuard(MDB_txn* t) : t_(t) {}
    ~TxnGuard() {
        if (t_) mdb_txn_abort(t_);
    }
    TxnGuard(const TxnGuard&) = delete;
    TxnGuard& operator=(const TxnGuard&) = delete;
    MDB_txn* get() const { return t_; }
    MDB_txn* release() { return std::exchange(t_, nullptr); }

private:
    MDB_txn* t_;
};

// Marks the child as running for the callback's lifetime (read() inside a
// write callback must use it; a nested write must be refused).
class ChildMark {
public:
    ChildMark(MDB_txn*& slot, MDB_txn* t) : slot_(slot) { slot_ = t; }
    ~ChildMark() { slot_ = nullptr; }
    ChildMark(const ChildMark&) = delete;
    ChildMark& operator=(const ChildMark&) = delete;

private:
    MDB_txn*& slot_;
};

constexpr size_t kMinPassHeadroom = 256 << 10;

size_t page_size() {
    long p = sysconf(_SC_PAGESIZE);
    return p > 0 ? size_t(p) : 4096;
}

void make_dir(const std::string& dir) {
    std::filesystem::path p(dir);
    std::error_code ec;
    if (p.has_parent_path()) std::filesystem::create_directories(p.parent_path(), ec);
    // The directory holds verifiers and the decoy secret: owner only.
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
        throw StoreError("create directory " + dir + " (" + std::strerror(errno) + ")", errno);
    struct stat st {};
    if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
        throw StoreError(dir + " is not a directory", ENOTDIR);
}

UniqueFd lock_dir(const std::string& dir) {
    const std::string path = dir + "/tacitd.lock";
    UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
    if (!fd) throw StoreError("open " + path + " (" + std::strerror(errno) + ")", errno);
    if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        if (e == EWOULDBLOCK) throw StoreError(dir + " is in use by another tacitd", e);
        throw StoreError("lock " + path + " (" + std::strerror(e) + ")", e);
    }
    return fd;
}

MDB_val val(std::string_view s) { return {s.size(), const_cast<char*>(s.data())}; }

}  // namespace

Store::Store(const Options& o) : opts_(o) {
    const size_t ps = page_size();
    opts_.initial_map = std::max(ps, (o.initial_map + ps - 1) / ps * ps);
    opts_.max_map = std::max(opts_.initial_map, o.max_map / ps * ps);

    quotas_.mailbox_count = o.mailbox_cap;
    quotas_.mailbox_bytes = o.mailbox_bytes;
    quotas_.sender_mailbox_bytes = o.sender_mailbox_bytes;
    quotas_.sender_bytes = o.sender_bytes;
    quotas_.reserve = o.reserve;
    quotas_.max_map = opts_.max_map;

    make_dir(opts_.dir);
    lock_ = lock_dir(opts_.dir);
    MDB_env* e = nullptr;
    check(mdb_env_create(&e), "create environment");
    env_.reset(e);
    check(mdb_env_set_maxdbs(e, 16), "set maxdbs");
    check(mdb_env_set_mapsize(e, opts_.initial_map), "set map size");
    unsigned flags = opts_.sync ? 0 : MDB_NOSYNC;
    int rc = mdb_env_open(e, opts_.dir.c_str(), flags, 0600);
    if (rc != MDB_SUCCESS) throw StoreError("open environment in " + opts_.dir, rc);
    int dead = 0;
    check(mdb_reader_check(e, &dead), "reader check");

    // LMDB keeps a grown map size in the file; take whichever is larger.
    MDB_envinfo info{};
    check(mdb_env_info(e, &info), "environment info");
    map_size_ = info.me_mapsize;

    // Open every DBI once, check the schema, create the decoy secret. A
    // fresh env whose initial map is too small for this grows like any write.
    for (;;) {
        int r = MDB_SUCCESS;
        {
            MDB_txn* t = nullptr;
            check(mdb_txn_begin(e, nullptr, 0, &t), "begin start-up transaction");
            TxnGuard g(t);
            auto open = [&](const char* name, unsigned f, unsigned& dbi) {
                MDB_dbi d = 0;
                int rc2 = mdb_dbi_open(t, name, f | MDB_CREATE, &d);
                if (rc2 != MDB_SUCCESS) throw StoreError(std::string("open database ") + name, rc2);
                dbi = d;
            };
            open("users", 0, dbis_.users);
            open("groups", 0, dbis_.groups);
            open("members", MDB_DUPSORT, dbis_.members);
            open("member_of", MDB_DUPSORT, dbis_.member_of);
            open("mailboxes", 0, dbis_.mailboxes);
            open("mbox_count", 0, dbis_.mbox_count);
            open("meta", 0, dbis_.meta);
            open("quota", 0, dbis_.quota);
            open("sessions", 0, dbis_.sessions);
            open("group_records", 0, dbis_.group_records);
            open("group_heads", 0, dbis_.group_heads);
            open("spk", 0, dbis_.spk);
            open("opk", 0, dbis_.opk);
            try {
                r = open_schema(t);
                if (r == MDB_SUCCESS) {
                    Txn tx(t, dbis_, true, quotas_);
                    decoy_ = tx.decoy_secret();
                }
            } catch (const detail::Full& f) {
                r = f.rc;
            }
            if (r == MDB_SUCCESS) r = mdb_txn_commit(g.release());
        }  // an uncommitted start-up txn is aborted here, before any growth
        if (r == MDB_SUCCESS) break;
        if (r != MDB_MAP_FULL) throw StoreError("start-up transaction in " + opts_.dir, r);
        if (!grow()) throw StoreError("start-up transaction in " + opts_.dir + " (map at max_map)", r);
    }
}

int Store::open_schema(MDB_txn* t) {
    MDB_val k = val(meta::kSchema), v;
    auto write_version = [&] {
        uint8_t b[4];
        put_u32be(b, meta::kSchemaVersion);
        MDB_val nv{4, b};
        int rc = mdb_put(t, dbis_.meta, &k, &nv, 0);
        if (rc != MDB_MAP_FULL) check(rc, "write schema version");
        return rc;
    };
    int r = mdb_get(t, dbis_.meta, &k, &v);
    if (r == MDB_NOTFOUND) return write_version();
    check(r, "read schema version");
    if (v.mv_size != 4) throw StoreError("meta schema: malformed record", MDB_CORRUPTED);
    const uint32_t have = get_u32be(static_cast<const uint8_t*>(v.mv_data));
    if (have == meta::kSchemaVersion) return MDB_SUCCESS;
    if (have == meta::kSchemaNoGroupRecords) {
        // Schema 2 had no group records: the two databases were just
        // created empty; its groups have no chain and take no more changes.
        return write_version();
    }
    if (have == meta::kSchemaNoByteCounts) {
        // Schema 1 kept no byte counts: build them from the mailboxes in
        // this same transaction, so an upgrade is all or nothing.
        Txn tx(t, dbis_, true, quotas_);
        tx.rebuild_mail_bytes();
        return write_version();
    }
    // Schema 2 lacked only the prekey databases, which the open above has
    // just created empty.
    if (have == meta::kSchemaNoPrekeys) return write_version();
    throw StoreError("schema version " + std::to_string(have) + " in " + opts_.dir + " is not supported (want " +
                         std::to_string(meta::kSchemaVersion) + ")",
                     MDB_VERSION_MISMATCH);
}

Store::~Store() {
    if (pass_) mdb_txn_abort(pass_);
    wipe(decoy_.data(), decoy_.size());
}

void Store::fail(const char* what, int rc) { last_error_ = StoreError(what, rc).what(); }

void Store::begin_pass() {
    // Grow ahead of need while no txn is open: recovering from MAP_FULL in
    // the middle of a pass needs a commit of the pass, which itself may not
    // fit when the map is at the brink. The largest pass so far sets the
    // headroom kept free for the next one, and never less than
    // kMinPassHeadroom: before any pass has been measured, a tiny map must
    // still hold a few writes plus the commit that a MAP_FULL recovery
    // needs (each mail write dirties pages in four databases).
    const size_t used = used_bytes();
    const size_t headroom = std::max(2 * max_pass_bytes_, kMinPassHeadroom);
    while ((used > map_size_ / 2 || used + headroom > map_size_) && grow()) {
    }
    if (!in_loop_pass_) used_at_begin_ = used;
    in_loop_pass_ = true;
    MDB_txn* t = nullptr;
    check(mdb_txn_begin(env_.get(), nullptr, 0, &t), "begin pass transaction");
    pass_ = t;
    pass_writes_ = 0;
    ++gen_;
}

size_t Store::used_bytes() const {
    MDB_envinfo info{};
    check(mdb_env_info(env_.get(), &info), "environment info");
    return (size_t(info.me_last_pgno) + 1) * page_size();
}

void Store::committed() {
    committed_gen_ = gen_;
    const size_t used = used_bytes();
    if (used > used_at_begin_) max_pass_bytes_ = std::max(max_pass_bytes_, used - used_at_begin_);
}

bool Store::flush_pass() {
    MDB_txn* t = std::exchange(pass_, nullptr);
    pass_writes_ = 0;
    int rc = mdb_txn_commit(t);
    if (rc == MDB_SUCCESS) {
        committed();
        return true;
    }
    fail("commit pass before growing the map", rc);
    return false;
}

bool Store::grow() {
    if (pass_ || child_ || readers_) throw std::logic_error("store: map resize with a transaction open");
    if (map_size_ >= opts_.max_map) return false;
    size_t next = map_size_ > opts_.max_map / 2 ? opts_.max_map : map_size_ * 2;
    check(mdb_env_set_mapsize(env_.get(), next), "grow map");
    map_size_ = next;
    return true;
}

uint8_t Store::write_impl(WriteFn call, void* ctx) {
    if (child_ || readers_) throw std::logic_error("store: write inside a write or read callback");
    if (lost_status_ != proto::OK) return lost_status_;
    // At max_map a MAP_FULL leaves the pass txn with too little room for its
    // own commit. So while the map is that full, each write is committed on
    // its own before the next one runs: a write that doesn't fit then finds
    // nothing else in the pass to take down with it.
    if (near_full_ && pass_ && pass_writes_ > 0 && !flush_pass()) {
        lost_status_ = proto::STORAGE_FULL;
        return lost_status_;
    }
    bool flushed_for_txn_full = false;
    for (;;) {
        if (!pass_) begin_pass();
        MDB_txn* child = nullptr;
        check(mdb_txn_begin(env_.get(), pass_, 0, &child), "begin child transaction");
        int full = 0;
        {
            TxnGuard g(child);
            ChildMark mark(child_, child);
            Txn t(child, dbis_, true, quotas_);
            uint8_t st = proto::INTERNAL;
            std::exception_ptr ep;
            try {
                st = call(ctx, t);
            } catch (const detail::Full&) {
            } catch (...) {
                ep = std::current_exception();
            }
            // Checked even when fn returned normally: fn may have caught
            // the throw, but the child is unusable after MAP_FULL anyway.
            full = t.full_rc_;
            if (!full) {
                if (ep) std::rethrow_exception(ep);
                if (st != proto::OK) return st;
                int rc = mdb_txn_commit(g.release());
                if (rc == MDB_SUCCESS) {
                    ++pass_writes_;
                    return proto::OK;
                }
                if (rc != MDB_MAP_FULL && rc != MDB_TXN_FULL) throw StoreError("commit child transaction", rc);
                full = rc;
            }
        }
        if (full == MDB_MAP_FULL) {
            if (map_size_ >= opts_.max_map) {
                fail("write", MDB_MAP_FULL);
                near_full_ = true;
                map_full_this_pass_ = true;
                return proto::STORAGE_FULL;
            }
            // mdb_env_set_mapsize needs every transaction closed, so what
            // the pass holds so far is committed now.
            if (pass_writes_ > 0 && !flush_pass()) {
                grow();
                lost_status_ = proto::STORAGE_FULL;
                return lost_status_;
            }
            if (pass_) abort_txn();
            grow();
        } else {
            // TXN_FULL: too many dirty pages in the pass; one request alone
            // can't get here (frames are at most 1 MiB), so a fresh pass
            // should do. Twice means it can't.
            if (flushed_for_txn_full || pass_writes_ == 0) {
                fail("write", MDB_TXN_FULL);
                return proto::STORAGE_FULL;
            }
            if (!flush_pass()) {
                lost_status_ = proto::STORAGE_FULL;
                return lost_status_;
            }
            flushed_for_txn_full = true;
        }
    }
}

void Store::abort_txn() {
    mdb_txn_abort(std::exchange(pass_, nullptr));
    pass_writes_ = 0;
}

bool Store::commit_pass() {
    if (child_ || readers_) throw std::logic_error("store: commit_pass inside a callback");
    const bool had_full = std::exchange(map_full_this_pass_, false);
    in_loop_pass_ = false;
    if (lost_status_ != proto::OK) {
        lost_status_ = proto::OK;
        return false;
    }
    if (!pass_) {
        if (!had_full) near_full_ = false;
        return true;
    }
    MDB_txn* t = std::exchange(pass_, nullptr);
    pass_writes_ = 0;
    int rc = mdb_txn_commit(t);
    if (rc == MDB_SUCCESS) {
        committed();
        if (!had_full) near_full_ = false;
        return true;
    }
    fail("commit pass", rc);
    // The pass is gone either way; make room for the next one if we can.
    if (rc == MDB_MAP_FULL && !grow()) near_full_ = true;
    return false;
}

void Store::abort_pass() {
    if (child_ || readers_) throw std::logic_error("store: abort_pass inside a callback");
    lost_status_ = proto::OK;
    map_full_this_pass_ = false;
    in_loop_pass_ = false;
    if (pass_) abort_txn();
}

Store::ReadScope::ReadScope(Store& s) : s_(s) {
    MDB_txn* t = s.child_ ? s.child_ : s.pass_;
    if (!t) {
        check(mdb_txn_begin(s.env_.get(), nullptr, MDB_RDONLY, &own_), "begin read transaction");
        t = own_;
    }
    ++s_.readers_;
    txn_.emplace(t, s.dbis_, false, s.quotas_);
}

Store::ReadScope::~ReadScope() {
    txn_.reset();
    --s_.readers_;
    if (own_) mdb_txn_abort(own_);
}

}  // namespace tacit::store
