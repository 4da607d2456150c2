// The server's LMDB environment (tacit-protocol(7), STORAGE) with group commit:
// every write of one event-loop pass runs as a child transaction of one
// pass transaction, committed durably once at the end of the pass, before
// the replies of that pass go out. Single-threaded by design (one epoll
// loop); no method may be called from another thread. Store and Txn are
// the LMDB backend's own (lmdb_backend.cpp): the rest of tacitd reaches the
// store only through store::Operations (operations.hpp).
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

#include "shared/bytes.hpp"
#include "shared/protocol.hpp"
#include "shared/unique_fd.hpp"
#include "srv/store/options.hpp"
#include "srv/store/records.hpp"
#include "srv/store/store_error.hpp"
#include "srv/store/txn.hpp"

struct MDB_env;
struct MDB_txn;

namespace tacit::store {

class Store {
public:
    // Creates dir (0700) if missing, takes an exclusive lock on it (one
    // process per env: map growth and group commit assume it), opens the env
    // and every DBI, writes or checks the schema version, creates the decoy
    // secret once. Throws StoreError with a readable message.
    explicit Store(const Options&);
    ~Store();  // an open pass is aborted: only commit_pass makes it durable
    Store(const Store&) = delete;
    Store& operator=(const Store&) = delete;

    // Runs fn(Txn&) -> status as a child of the pass transaction (begun on
    // demand). Anything but OK, or a throw, aborts the child: nothing of it
    // stays (the exception is rethrown). On MAP_FULL the child is aborted,
    // what the pass already holds is committed, the map doubles (up to
    // max_map) and fn runs again, so fn must be safe to re-run from the
    // start. STORAGE_FULL when the map can't grow any more. The map also
    // grows ahead of need when a pass begins. At max_map, after a MAP_FULL,
    // each write is committed on its own until a pass goes by without one,
    // so acks that free space still get through.
    template <class F> uint8_t write(F&& fn) {
        using Fn = std::remove_reference_t<F>;
        return write_impl(
            [](void* ctx, Txn& t) -> uint8_t { return static_cast<uint8_t>((*static_cast<Fn*>(ctx))(t)); },
            const_cast<void*>(static_cast<const void*>(std::addressof(fn))));
    }

    // Read-only access that sees this pass's uncommitted writes.
    template <class F> auto read(F&& fn) -> std::invoke_result_t<F&, Txn&> {
        ReadScope s(*this);
        return fn(s.txn());
    }

    bool dirty() const { return pass_ != nullptr || lost_status_ != proto::OK; }

    // Commits the pass durably. true: every write of this pass that returned
    // OK is durable. false (disk full, MAP_FULL at commit, or the pass was
    // lost in write): the writes since the last successful commit are rolled
    // back. Writes committed earlier in the pass by MAP_FULL recovery or at
    // max_map are durable all the same; generation() tells which those are.
    bool commit_pass();
    void abort_pass();

    // Every pass transaction gets a generation number. A write that
    // returned OK while generation() == g is durable iff
    // committed_generation() >= g after commit_pass. This tells apart the
    // writes a MAP_FULL recovery already committed mid-pass from those a
    // failed final commit lost.
    uint64_t generation() const { return gen_; }
    uint64_t committed_generation() const { return committed_gen_; }

    size_t map_size() const { return map_size_; }
    const std::string& last_error() const { return last_error_; }
    // Cached copy of meta's decoy secret.
    const Array<32>& decoy_secret() const { return decoy_; }

private:
    struct EnvCloser {
        void operator()(MDB_env*) const;
    };
    class ReadScope {
    public:
        explicit ReadScope(Store&);
        ~ReadScope();
        ReadScope(const ReadScope&) = delete;
        ReadScope& operator=(const ReadScope&) = delete;
        Txn& txn() { return *txn_; }

    private:
        Store& s_;
        MDB_txn* own_ = nullptr;
        std::optional<Txn> txn_;
    };

    using WriteFn = uint8_t (*)(void*, Txn&);
    uint8_t write_impl(WriteFn call, void* ctx);
    // Writes or checks meta's schema version, upgrading schema 1 in place.
    // MDB_SUCCESS or MDB_MAP_FULL; anything else throws.
    int open_schema(MDB_txn* t);
    void begin_pass();
    bool flush_pass();  // commit what the pass holds; false if that failed
    void abort_txn();
    bool grow();        // false at max_map
    size_t used_bytes() const;  // high-water mark of the committed map
    void committed();
    void fail(const char* what, int rc);

    Options opts_;
    Quotas quotas_;  // from opts_, handed to every Txn
    UniqueFd lock_;  // flock on dir/tacitd.lock; outlives env_
    std::unique_ptr<MDB_env, EnvCloser> env_;
    Dbis dbis_;
    MDB_txn* pass_ = nullptr;
    MDB_txn* child_ = nullptr;  // set while a write callback runs
    int readers_ = 0;           // read scopes alive (each may hold a txn)
    size_t map_size_ = 0;
    uint8_t lost_status_ = proto::OK;  // non-OK: the pass was lost mid-way
    uint64_t gen_ = 0, committed_gen_ = 0;
    size_t used_at_begin_ = 0, max_pass_bytes_ = 0;  // map growth of one loop pass
    size_t pass_writes_ = 0;           // writes committed into the pass txn
    bool near_full_ = false;           // at max_map and MAP_FULL seen: write-through
    bool map_full_this_pass_ = false;
    bool in_loop_pass_ = false;        // between the first write and commit_pass
    std::string last_error_;
    Array<32> decoy_{};
};

}  // namespace tacit::store
