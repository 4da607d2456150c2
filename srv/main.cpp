// tacitd: `tacitd keygen [--keys DIR]` or `tacitd [options]` (see --help and
// man/tacitd.8). Start-up problems are fatal with a clear message; nothing a
// peer sends can stop the server.
#include <sys/resource.h>
#include <sys/stat.h>

#include <cstdlib>
#include <cstring>
#include <fmt/core.h>
#include <string>
#include <vector>

#include "shared/keys.hpp"
#include "shared/no_core.hpp"
#include "srv/server.hpp"

using namespace tacit;

namespace {

const char* kVersion = "tacitd 1.1 (protocol v2)";

const char* kUsage = R"(usage: tacitd keygen [--keys DIR]
       tacitd [options]

Serves tacit clients: one epoll loop, LMDB storage, public-key work on worker threads.

  keygen                   write DIR/server.key (mode 0600) and DIR/server.pub, then exit
  --listen ADDR            HOST:PORT or unix:PATH to listen on; repeat for several (default 127.0.0.1:7700)
  --store lmdb:DIR         where users, groups and mail are kept: an LMDB environment in DIR (default lmdb:data)
  --data DIR               the same as --store lmdb:DIR
  --keys DIR               directory holding server.key (default keys)
  --max-db-size BYTES      ceiling for the LMDB map (default 1073741824); K, M, G suffixes
  --sync on|off            durable commit before every success reply (default on)
  --token-ttl SECONDS      session token lifetime (default 86400)
  --max-connections N      connection limit (default 10000)
  --handshake-timeout SEC  close connections that have not finished the handshake (default 10)
  --idle-timeout SEC       close connections that sent no whole frame this long (default 300)
  --login-deadline SEC     close connections not logged in this long after accept; PING does not extend it (default 60)
  --max-conns-per-peer N   connections per TCP address (IPv6: per /64) or per local uid (default 100)
  --max-conns-per-session N  connections one login session may hold, resumed ones included (default 8)
  --output-cap BYTES       per-connection output queue limit; slower readers are cut (default 8M)
  --mailbox-cap N          messages waiting per user before senders get STORAGE_FULL (default 10000)
  --mailbox-quota BYTES    bytes of mail waiting per user (default 1/16 of --max-db-size)
  --sender-mailbox-quota BYTES
                           bytes one sender may have waiting in one user's mailbox (default 1/64 of --max-db-size)
  --sender-quota BYTES     bytes one sender may have waiting in all mailboxes (default 1/16 of --max-db-size)
  --handshake-rate N/B/T   handshakes per second per address, burst per address, per second in total (default 20/100/400)
  --login-rate N           login attempts per minute per user and per address (default 10)
  --register-rate N        registrations per minute per address (default 10)
  --max-group-size N       members a group may have (default 1000)
  --group-change-rate N    group creates, adds and removes per minute per user (default 30)
  --group-add-rate N       times per minute one user may be added to groups (default 10)
  --prekey-fetch-rate N    one-time prekeys one user may take of another per minute (default 5)
  --threads N              worker threads signing replies, verifying requests, opening handshakes; 0 = on the loop thread (default: online CPUs)
  --batch-sign on|off      one signature per batch of signed replies, not per reply (default on)
  --port-file FILE         write the first TCP port (0 if none) to FILE once listening (for tests and scripts)
  -h, --help               show this help
  -V, --version            show the version
)";

[[noreturn]] void fatal(const std::string& msg) {
    fmt::print(stderr, "tacitd: {}\n", msg);
    std::exit(1);
}

uint64_t parse_size(const std::string& opt, const std::string& v) {
    char* end = nullptr;
    errno = 0;
    unsigned long long n = std::strtoull(v.c_str(), &end, 10);
    if (errno || end == v.c_str()) fatal(fmt::format("{}: not a number: {}", opt, v));
    std::string suf(end);
    if (suf == "K" || suf == "k") n <<= 10;
    else if (suf == "M" || suf == "m") n <<= 20;
    else if (suf == "G" || suf == "g") n <<= 30;
    else if (!suf.empty()) fatal(fmt::format("{}: bad suffix in {}", opt, v));
    return n;
}

double parse_num(const std::string& opt, const std::string& v) {
    char* end = nullptr;
    double d = std::strtod(v.c_str(), &end);
    if (end == v.c_str() || *end || d <= 0) fatal(fmt::format("{}: expected a positive number, got {}", opt, v));
    return d;
}

// --store's value: "lmdb:DIR" is the only backend this tacitd has.
std::string store_dir(const std::string& v) {
    constexpr std::string_view kLmdb = "lmdb:";
    if (v.size() > kLmdb.size() && v.compare(0, kLmdb.size(), kLmdb) == 0) return v.substr(kLmdb.size());
    fatal(fmt::format("--store {}: not a store this tacitd has; use lmdb:DIR", v));
}

}  // namespace

int main(int argc, char** argv) {
    // Before any key is read: a core file would hold the server's private key.
    if (auto err = disable_core_dumps(); !err.empty()) fatal("cannot disable core dumps: " + err);
    std::vector<std::string> args(argv + 1, argv + argc);
    srv::Config cfg;
    cfg.threads = srv::default_threads();
    bool keygen = false;
    std::string port_file;
    bool listen_given = false;
    for (size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        auto val = [&]() -> std::string {
            if (i + 1 >= args.size()) fatal(a + " needs a value (see --help)");
            return args[++i];
        };
        if (a == "-h" || a == "--help") {
            fmt::print("{}", kUsage);
            return 0;
        } else if (a == "-V" || a == "--version") {
            fmt::print("{}\n", kVersion);
            return 0;
        } else if (a == "keygen" && i == 0) keygen = true;
        else if (a == "--listen") {
            if (!listen_given) cfg.listen.clear();  // the first one replaces the default
            listen_given = true;
            cfg.listen.push_back(val());
        }
        else if (a == "--data") cfg.data_dir = val();
        else if (a == "--store") cfg.data_dir = store_dir(val());
        else if (a == "--keys") cfg.keys_dir = val();
        else if (a == "--max-db-size") cfg.max_db_size = parse_size(a, val());
        else if (a == "--sync") {
            auto v = val();
            if (v != "on" && v != "off") fatal("--sync takes on or off");
            cfg.sync = v == "on";
        } else if (a == "--token-ttl") cfg.token_ttl_ms = uint64_t(parse_num(a, val()) * 1000);
        else if (a == "--max-connections") cfg.max_connections = unsigned(parse_num(a, val()));
        else if (a == "--handshake-timeout") cfg.handshake_timeout_ms = uint64_t(parse_num(a, val()) * 1000);
        else if (a == "--idle-timeout") cfg.idle_timeout_ms = uint64_t(parse_num(a, val()) * 1000);
        else if (a == "--login-deadline") cfg.login_deadline_ms = uint64_t(parse_num(a, val()) * 1000);
        else if (a == "--max-conns-per-peer") cfg.max_conns_per_peer = unsigned(parse_num(a, val()));
        else if (a == "--max-conns-per-session") cfg.max_conns_per_session = unsigned(parse_num(a, val()));
        else if (a == "--output-cap") cfg.output_cap = parse_size(a, val());
        else if (a == "--mailbox-cap") cfg.mailbox_cap = uint64_t(parse_num(a, val()));
        else if (a == "--mailbox-quota") cfg.mailbox_quota = parse_size(a, val());
        else if (a == "--sender-mailbox-quota") cfg.sender_mailbox_quota = parse_size(a, val());
        else if (a == "--sender-quota") cfg.sender_quota = parse_size(a, val());
        else if (a == "--handshake-rate") {
            auto v = val();
            double r = 0, b = 0, t = 0;
            if (std::sscanf(v.c_str(), "%lf/%lf/%lf", &r, &b, &t) != 3 || r <= 0 || b <= 0 || t <= 0)
                fatal("--handshake-rate takes PER_ADDR/BURST/TOTAL, e.g. 20/100/400");
            cfg.hs_rate_per_addr = r, cfg.hs_burst_per_addr = b, cfg.hs_rate_total = t;
        } else if (a == "--login-rate") cfg.login_rate_per_min = parse_num(a, val());
        else if (a == "--register-rate") cfg.register_rate_per_min = parse_num(a, val());
        else if (a == "--max-group-size") cfg.max_group_size = unsigned(parse_num(a, val()));
        else if (a == "--group-change-rate") cfg.group_change_rate_per_min = parse_num(a, val());
        else if (a == "--group-add-rate") cfg.group_add_rate_per_min = parse_num(a, val());
        else if (a == "--prekey-fetch-rate") cfg.prekey_fetch_rate_per_min = parse_num(a, val());
        else if (a == "--threads") {
            // 0 is allowed here, unlike parse_num's counts: no workers.
            auto v = val();
            char* end = nullptr;
            unsigned long n = std::strtoul(v.c_str(), &end, 10);
            if (v.empty() || v[0] == '-' || *end || n > 256) fatal("--threads takes a whole number from 0 to 256");
            cfg.threads = unsigned(n);
        } else if (a == "--batch-sign") {
            auto v = val();
            if (v != "on" && v != "off") fatal("--batch-sign takes on or off");
            cfg.batch_sign = v == "on";
        } else if (a == "--port-file") port_file = val();
        else fatal(fmt::format("unknown option {} (see --help)", a));
    }

    if (keygen) {
        ::mkdir(cfg.keys_dir.c_str(), 0700);
        try {
            auto id = ServerIdentity::generate();
            write_server_keys(cfg.keys_dir, id);
            fmt::print("wrote {0}/server.key and {0}/server.pub\nfingerprint: {1}\n", cfg.keys_dir,
                       fingerprint(id.bundle().encode()));
        } catch (const std::exception& e) {
            fatal(e.what());
        }
        return 0;
    }

    try {
        auto id = load_server_key(cfg.keys_dir + "/server.key");
        fmt::print(stderr, "tacitd: server key {}\n", fingerprint(id.bundle().encode()));
        // Room for --max-connections sockets plus LMDB and the reserve fd.
        rlimit rl{};
        if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < cfg.max_connections + 64) {
            rl.rlim_cur = std::min<rlim_t>(rl.rlim_max, cfg.max_connections + 64);
            setrlimit(RLIMIT_NOFILE, &rl);
        }
        srv::Server server(cfg, std::move(id));
        auto port = server.bind();
        if (!port_file.empty()) {
            auto tmp = port_file + ".tmp";
            if (FILE* f = std::fopen(tmp.c_str(), "w")) {
                fmt::print(f, "{}\n", port);
                std::fclose(f);
                std::rename(tmp.c_str(), port_file.c_str());
            }
        }
        server.run();
    } catch (const std::exception& e) {
        fatal(e.what());
    }
    return 0;
}
