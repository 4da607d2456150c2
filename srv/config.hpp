// Every tunable of tacitd, filled from the command line (srv/main.cpp) and
// documented in man/tacitd.8.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace tacit::srv {

struct Config {
    // --listen, repeatable: "HOST:PORT" or "unix:PATH".
    std::vector<std::string> listen = {"127.0.0.1:7700"};
    std::string data_dir = "data";
    std::string keys_dir = "keys";
    uint64_t max_db_size = 1ull << 30;      // --max-db-size
    bool sync = true;                       // --sync on|off
    uint64_t token_ttl_ms = 24ull * 3600 * 1000;  // --token-ttl SECONDS
    unsigned max_connections = 10000;       // --max-connections
    uint64_t handshake_timeout_ms = 10000;  // --handshake-timeout SECONDS
    uint64_t idle_timeout_ms = 300000;      // --idle-timeout SECONDS
    uint64_t login_deadline_ms = 60000;     // --login-deadline SECONDS
    unsigned max_conns_per_peer = 100;      // --max-conns-per-peer N (TCP address, IPv6 /64, or uid)
    unsigned max_conns_per_session = 8;     // --max-conns-per-session N
    size_t output_cap = 8u << 20;           // --output-cap BYTES
    uint64_t mailbox_cap = 10000;           // --mailbox-cap N
    double hs_rate_per_addr = 20, hs_burst_per_addr = 100, hs_rate_total = 400;  // --handshake-rate
    double login_rate_per_min = 10;         // --login-rate N  (per user and per address)
    double register_rate_per_min = 10;      // --register-rate N (per address)
    unsigned max_group_size = 1000;         // --max-group-size N
    double group_change_rate_per_min = 30;  // --group-change-rate N (per actor)
    double group_add_rate_per_min = 10;     // --group-add-rate N (per added user)
    double prekey_fetch_rate_per_min = 5;   // --prekey-fetch-rate N (per requester and target)
    // Byte quotas on waiting mail; 0 = derived from max_db_size (Server).
    uint64_t mailbox_quota = 0;             // --mailbox-quota BYTES
    uint64_t sender_mailbox_quota = 0;      // --sender-mailbox-quota BYTES
    uint64_t sender_quota = 0;              // --sender-quota BYTES
    // --threads N: the crypto pool's workers (srv/crypto_pool.hpp); 0 does
    // its work on the loop thread. Set from the online CPUs in srv/main.cpp.
    unsigned threads = 1;
    // --batch-sign on|off: one P-256 signature per loop pass over the
    // Merkle root of its signed replies (tacit-protocol(7), "Batch
    // signatures"); off signs each reply's one-leaf tree on its own.
    bool batch_sign = true;
};

}  // namespace tacit::srv
