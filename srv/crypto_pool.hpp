// The crypto pool (--threads, tacitd(8)): a fixed set of worker threads
// that do the server's costly public-key work, so one tacitd uses every
// core: the P-256 signature on each signed reply, the RSA-PSS verify of a
// logged-in user's signed request (Server::hold_frame), the other RSA-PSS
// verifies of requests, REGISTER's, LOGIN1's and LOGIN2's among them
// (Ctx::verify_then), and the ECIES and X25519 of HELLO, RESUME and
// RENEW2. mbedTLS 2.28 contexts are not shared between threads (the
// signing key's group caches its comb table on first use), so each worker
// owns its own parsed copy of the server keys; only the process DRBG is
// shared, and mbedtls_ctr_drbg_random locks it (shared/drbg.cpp).
// A job's result goes back to the loop through post(): the loop thread
// alone touches connections, sessions and the store.
#pragma once
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "shared/event_loop.hpp"
#include "shared/keys.hpp"

namespace tacit::srv {

class CryptoPool {
public:
    // A job runs on a worker with that worker's keys and returns what is
    // to run on the loop with its result. A job must not throw, and must
    // copy everything it reads: the connection that asked may be gone by
    // the time either part runs.
    using Done = std::function<void()>;
    using Job = std::function<Done(const ServerIdentity& keys)>;

    // threads 0: no workers; every job runs inline on the loop thread.
    CryptoPool(EventLoop& loop, const ServerIdentity& id, unsigned threads);
    ~CryptoPool();  // joins the workers; jobs still queued are dropped
    CryptoPool(const CryptoPool&) = delete;
    CryptoPool& operator=(const CryptoPool&) = delete;

    // Queues job; its Done runs on the loop in a later pass. When there are
    // no workers or the queue is full (a bound, so a flood cannot grow it)
    // the job and its Done run here and now instead: the loop slows down,
    // memory does not grow. Call on the loop thread only.
    void run(Job job);
    // As run(), but a Done made inline (no workers, or a full queue) is
    // posted to the loop, never run before run_later returns: for a caller
    // on a handler's stack that must not see its own continuation yet.
    void run_later(Job job);
    unsigned threads() const { return unsigned(workers_.size()); }

private:
    bool queue(Job& job);  // false: no worker, or the queue is full
    void work(const ServerIdentity& keys);
    void stop();

    EventLoop& loop_;
    size_t max_queued_;
    std::vector<ServerIdentity> keys_;  // [0] the loop's, then one per worker
    std::mutex mu_;
    std::condition_variable cv_;
    std::deque<Job> jobs_;   // guarded by mu_
    bool stopping_ = false;  // guarded by mu_
    std::vector<std::thread> workers_;
};

// --threads' default: the online CPUs (at least 1).
unsigned default_threads();

// Verifies sig over in with the public key whose DER is der, parsed once
// per thread and kept (a bounded set, per thread because mbedTLS contexts
// are not shared): a freshly parsed RSA key computes R^2 mod N on its first
// verify, a third again the verify's own cost (srv/crypto_pool.cpp). For
// workers' jobs, and the loop's inline ones.
bool verify_with_cached_key(ByteView der, ByteView in, ByteView sig);
// As verify_with_cached_key, with a copy parsed for this call alone: the
// same cost for every key, seen before or not.
bool verify_with_fresh_key(ByteView der, ByteView in, ByteView sig);

}  // namespace tacit::srv
