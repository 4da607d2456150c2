#include "srv/crypto_pool.hpp"

#include <signal.h>
#include <unistd.h>

#include <string>
#include <unordered_map>

#include <fmt/core.h>

namespace tacit::srv {

namespace {

// Jobs waiting per worker before run() does one inline: enough to keep
// every worker busy across a pass of pipelined replies, few enough that
// the queue's memory (a job holds at most a frame) stays bounded.
constexpr size_t kQueuedPerWorker = 256;

// A copy of id with mbedTLS contexts of its own (the signing key parsed
// again from its DER).
ServerIdentity own_copy(const ServerIdentity& id) {
    auto sign = crypto::PkKey::parse_private_der(id.sign.private_der());
    if (!sign) throw std::runtime_error("the server key does not parse again for a worker");
    return ServerIdentity{std::move(*sign), crypto::X25519Key::from_private(id.box.priv)};
}

}  // namespace

bool verify_with_cached_key(ByteView der, ByteView in, ByteView sig) {
    // Logged-in users' keys, a few KB each: past the bound the set starts
    // afresh, which costs one parse per key again, nothing more.
    constexpr size_t kKeysPerThread = 128;
    thread_local std::unordered_map<std::string, crypto::PkKey> keys;
    std::string name(reinterpret_cast<const char*>(der.data()), der.size());
    auto it = keys.find(name);
    if (it == keys.end()) {
        auto key = crypto::PkKey::parse_public_der(der);
        if (!key) return false;
        if (keys.size() >= kKeysPerThread) keys.clear();
        it = keys.emplace(std::move(name), std::move(*key)).first;
    }
    return it->second.verify(in, sig);
}

bool verify_with_fresh_key(ByteView der, ByteView in, ByteView sig) {
    auto key = crypto::PkKey::parse_public_der(der);
    return key && key->verify(in, sig);
}

unsigned default_threads() {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? unsigned(n) : 1;
}

CryptoPool::CryptoPool(EventLoop& loop, const ServerIdentity& id, unsigned threads)
    : loop_(loop), max_queued_(size_t(threads) * kQueuedPerWorker) {
    // All copies made before any worker starts: the vector never moves.
    for (unsigned i = 0; i <= threads; ++i) keys_.push_back(own_copy(id));
    // Workers start with every signal blocked: SIGINT and SIGTERM belong to
    // the loop's signalfd, which blocks them only later (EventLoop::on_signal).
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    try {
        for (unsigned i = 1; i <= threads; ++i) workers_.emplace_back([this, i] { work(keys_[i]); });
    } catch (...) {
        pthread_sigmask(SIG_SETMASK, &old, nullptr);
        stop();
        throw;
    }
    pthread_sigmask(SIG_SETMASK, &old, nullptr);
}

CryptoPool::~CryptoPool() { stop(); }

void CryptoPool::stop() {
    {
        std::lock_guard lk(mu_);
        stopping_ = true;
        jobs_.clear();
    }
    cv_.notify_all();
    for (auto& t : workers_) t.join();
    workers_.clear();
}

bool CryptoPool::queue(Job& job) {
    if (workers_.empty()) return false;
    std::unique_lock lk(mu_);
    if (jobs_.size() >= max_queued_) return false;
    jobs_.push_back(std::move(job));
    lk.unlock();
    cv_.notify_one();
    return true;
}

void CryptoPool::run(Job job) {
    if (queue(job)) return;
    if (Done done = job(keys_[0])) done();
}

void CryptoPool::run_later(Job job) {
    if (queue(job)) return;
    if (Done done = job(keys_[0])) loop_.post(std::move(done));
}

void CryptoPool::work(const ServerIdentity& keys) {
    for (;;) {
        Job job;
        {
            std::unique_lock lk(mu_);
            cv_.wait(lk, [this] { return stopping_ || !jobs_.empty(); });
            if (stopping_) return;
            job = std::move(jobs_.front());
            jobs_.pop_front();
        }
        if (Done done = job(keys)) loop_.post(std::move(done));
    }
}

}  // namespace tacit::srv
