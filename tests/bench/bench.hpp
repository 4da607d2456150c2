// tacit-bench: a load generator that measures tacitd against the targets of
// the performance issue (crypto floor, direct messages, idle connections,
// group fan-out, durability). It starts its own tacitd processes on
// loopback, each with a temporary key and LMDB directory, and talks to them
// through the client core's SecureConn (the raw sealed channel).
//
// Where an RSA-3072 client signature (about 5 ms) would make the generator
// the bottleneck, requests are signed ahead of time: on our own channel we
// know the session id and the c2s sequence number each frame will get.
#pragma once
#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "shared/keys.hpp"
#include "shared/net.hpp"
#include "tui/client/secure_conn.hpp"

namespace tacit::bench {

struct Options {
    std::string tacitd = "build/tacitd";
    std::string tmp;              // base directory for server dirs (run.sh makes it)
    std::string wrap;             // command prefix for tacitd (e.g. valgrind)
    std::string only = "abcdef";  // which parts to run
    int runs = 3;                 // repetitions per figure (median reported)
    double scale = 1.0;           // multiplies request counts and durations
    int idle_conns = 10000;       // target for (c)
    int dm_rate = 200;            // offered load for (b), messages/s
    double dm_seconds = 5;        // duration of one (b) run
    int threads = 2;              // pre-signing threads
    bool keep = false;            // keep server dirs and logs
};

// ---------------------------------------------------------------- tacitd

// Kills every tacitd this process started (SIGTERM, then SIGKILL); safe to
// call from a signal handler.
void kill_children_now();
void install_cleanup(const std::string& pid_file);

class Tacitd {
public:
    Tacitd(const Options& opt, const std::string& name, std::vector<std::string> flags);
    ~Tacitd();
    Tacitd(const Tacitd&) = delete;
    Tacitd& operator=(const Tacitd&) = delete;

    pid_t pid() const { return pid_; }
    HostPort hp() const { return {"127.0.0.1", port_}; }
    const ServerBundle& bundle() const { return bundle_; }
    const std::string& dir() const { return dir_; }
    bool alive() const;
    // The server process's CPU (user + system) from /proc/PID/stat, seconds;
    // tick resolution (10 ms).
    double cpu_s() const;
    double sys_s() const;  // stime alone (kernel work: syscalls, fsync submission)
    // The loop thread alone, from /proc/PID/schedstat (the thread group
    // leader's; ns resolution). Without crypto-pool workers it is the
    // whole server, a cross-check of cpu_s.
    double sched_s() const;
    // Every thread's, summed over /proc/PID/task/*/schedstat: the whole
    // server's CPU at ns resolution (cpu_s counts 10 ms ticks, too coarse
    // for a burst of a tenth of a second).
    double all_threads_s() const;
    // Time the server was runnable but waited for a core (schedstat field 2):
    // on a shared machine, CPU taken by other processes.
    double runq_s() const;
    long rss_kb() const;       // VmRSS
    long rss_anon_kb() const;  // RssAnon
    std::string log_tail(size_t lines) const;

private:
    const Options& opt_;
    std::string dir_;
    pid_t pid_ = -1;
    uint16_t port_ = 0;
    ServerBundle bundle_;
};

// ----------------------------------------------------------------- peers

// One logged-in (or merely connected) user connection. Every frame goes
// through send() so seq always names the c2s sequence number the next frame
// will be sealed at.
struct Peer {
    std::unique_ptr<client::SecureConn> sc;
    std::string user;
    Token token{};
    uint64_t seq = 0;
    int fd() const { return sc->fd(); }
    void send(Bytes body) {
        sc->send(std::move(body));
        ++seq;
    }
};

// The identity every bench account shares (one RSA-3072 key generation),
// and a password "auth" value (the server never sees the password, so the
// client-side PBKDF2 is skipped).
struct BenchIdentity {
    UserIdentity id;
    Bytes bundle;
    Bytes auth;
};
BenchIdentity make_identity();

Peer connect_peer(const Tacitd& srv);
// Blocking request/reply for setup; skips NOTIFY frames. Throws
// std::runtime_error on ERROR or a reply of another type.
Secret call(Peer& p, Bytes body, const crypto::PkKey* signer, uint8_t want, int timeout_ms = 30000);
// Appends the user's signature for the c2s sequence number seq.
void sign_at(Bytes& body, const crypto::PkKey& key, const Array<32>& session_id, uint64_t seq);
void register_user(const Tacitd& srv, const BenchIdentity& bi, const std::string& user);
Peer login(const Tacitd& srv, const BenchIdentity& bi, const std::string& user);
// Fetches and acks the whole mailbox (setup leftovers such as group system
// entries), so timed runs start with empty mailboxes.
size_t drain_mailbox(Peer& p);
// Reads and drops whatever arrives within ms (late NOTIFYs between runs).
void drain_input(std::vector<Peer*> peers, int ms);

// Signs many bodies at once on several threads, each with its own copy of
// the private key (mbedTLS serialises one RSA context's private operations).
class SignPool {
public:
    SignPool(const UserIdentity& id, int threads);
    struct Job {
        Bytes* body;
        Array<32> session_id;
        uint64_t seq;
    };
    void sign_all(std::vector<Job>& jobs);
    const crypto::PkKey& key() const { return keys_.front(); }

private:
    std::vector<crypto::PkKey> keys_;
};

// --------------------------------------------------------------- figures

double median(std::vector<double> v);
double percentile(std::vector<double> v, double p);  // p in [0, 100]
double mono_s();                                       // CLOCK_MONOTONIC seconds
double self_cpu_s();                                   // this process, all threads
// CPU seconds every core of the machine spent busy (user, nice, system,
// irq, softirq, steal in /proc/stat), summed over the cores: against the
// server's and the generator's, what the rest of a shared machine took.
double machine_busy_s();

// One timed load phase: senders send pre-signed frames (at a fixed rate, or
// as fast as a per-connection window allows), recipients fetch on NOTIFY
// mail with UPDATE1/UPDATE2. Every delivered message carries its index k in
// the first 8 bytes of enc_msg.
struct PhaseSpec {
    struct Out {
        size_t sender;        // index into senders
        uint64_t k;           // message index
        Bytes body;           // signed type | fields | sig
    };
    std::vector<Peer*> senders;
    std::vector<Peer*> recipients;
    std::vector<Out> order;         // send order (per sender in seq order)
    uint8_t reply_type = 0;         // what each sent frame is answered with
    // Deliveries expected: for each message index k, which recipients get it.
    std::vector<std::vector<uint32_t>> targets;  // k -> recipient indices
    double rate = 0;                // messages/s; 0 = burst with window
    size_t window = 1;              // outstanding requests per sender in burst mode
    double timeout_s = 60;
    const Tacitd* server = nullptr;
};

struct PhaseResult {
    size_t sent = 0, acked = 0, ack_errors = 0, delivered = 0, duplicates = 0;
    double wall_s = 0;              // first send .. last ack/delivery
    double server_cpu_s = 0;        // /proc/PID/stat delta
    double server_sched_s = 0;      // /proc/PID/schedstat delta (the loop thread)
    double server_threads_s = 0;    // every thread's schedstat delta (ns resolution)
    double server_runq_s = 0;       // runnable, waiting for a core
    double server_sys_s = 0;        // of server_cpu_s, in the kernel
    double gen_cpu_s = 0;           // this process over the phase
    double machine_busy_s = 0;      // every core, all processes (/proc/stat)
    // Sender replies that carried a batch proof (tacit-protocol(7), "Batch
    // signatures"), and how many distinct root signatures they carried:
    // batched / batches is the replies one P-256 signature served.
    size_t batched = 0, batches = 0;
    double max_send_lag_ms = 0;     // fixed rate: how late the generator sent
    std::vector<double> latency_ms; // send .. delivery at the recipient
    std::vector<double> ack_ms;     // send .. reply at the sender
    std::string error;
};

PhaseResult run_phase(PhaseSpec& spec);

// u64 k | filler: a stand-in for an end-to-end envelope of a short message
// (the server never reads enc_msg).
Bytes fake_enc_msg(uint64_t k, size_t size);

}  // namespace tacit::bench
