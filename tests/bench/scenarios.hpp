// The measured parts of the bench (issue items a to e); bench_main.cpp sets
// up servers and accounts, repeats them and prints the table.
#pragma once
#include <string>
#include <vector>

#include "tests/bench/bench.hpp"

namespace tacit::bench {

// (a) The crypto floor of one signed request, measured in this process:
// RSA-3072 PSS verify of the request signature, P-256 sign of the reply
// (with the server's own key file), AEAD open of the request frame and seal
// of the reply frame, each at the size an ONLINE exchange has.
struct Floor {
    double verify_us = 0, sign_us = 0, open_us = 0, seal_us = 0;
    double total_us() const { return verify_us + sign_us + open_us + seal_us; }
};
// ops signatures and verifications, 10 * ops AEAD operations; thread CPU time.
Floor measure_floor(const BenchIdentity& bi, const ServerIdentity& server_key, size_t reply_plain_len, int ops);

// (a) n pre-signed ONLINE requests spread over the peers, cut into `chunks`
// bursts, each sent as fast as 4 outstanding requests per peer allow (run
// them in order with run_phase).
// Short bursts alternate with floor measurements, so that both see the same
// machine: on a shared VM the speed of a core drifts by tens of percent.
std::vector<PhaseSpec> online_bursts(const Tacitd& srv, const std::vector<Peer*>& peers, SignPool& pool, size_t n,
                                     size_t chunks);

// (b)/(e) n direct messages, message k from senders[k % S] to
// recipients[k % S], at `rate` messages/s (0: as fast as `window`
// outstanding requests per sender allow).
PhaseResult dm_run(const Tacitd& srv, const std::vector<Peer*>& senders, const std::vector<Peer*>& recipients,
                   SignPool& pool, size_t n, double rate, size_t window, size_t enc_size);

// (d) `batches` group messages from sender to every member (one
// GROUP_MSG2_BATCH each), 4 outstanding at a time.
PhaseResult group_run(const Tacitd& srv, Peer& sender, const std::vector<Peer*>& members, const std::string& group,
                      SignPool& pool, size_t batches, size_t enc_size);

// (c) Idle logged-in connections: one login, then `target` connections
// that RESUME its token and send one PING each.
struct IdleResult {
    size_t opened = 0, confirmed = 0, failed = 0;
    double wall_s = 0;
    long rss0_kb = 0, rss1_kb = 0, anon0_kb = 0, anon1_kb = 0;
    double server_cpu_s = 0;
    std::vector<double> ping_ms;  // PING round trips on the first connection with all others held
    std::string error;
};
IdleResult idle_run(const Options& opt, const Tacitd& srv, const BenchIdentity& bi, int target);

}  // namespace tacit::bench
