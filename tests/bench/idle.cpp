// (c) Idle logged-in connections. One user logs in once; every further
// connection resumes that session with RESUME (X25519 only, no RSA on
// either side) and sends one PING, which makes it a logged-in connection of
// the session. A session may hold many connections, so this is the cheapest
// honest way to put 10,000 logged-in connections on the server.
#include <chrono>
#include <fmt/core.h>
#include <mutex>
#include <thread>

#include "shared/messages.hpp"
#include "shared/protocol.hpp"
#include "tests/bench/scenarios.hpp"

namespace tacit::bench {

IdleResult idle_run(const Options& opt, const Tacitd& srv, const BenchIdentity& bi, int target) {
    IdleResult r;
    register_user(srv, bi, "idle0");
    Peer main = login(srv, bi, "idle0");
    drain_mailbox(main);
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    r.rss0_kb = srv.rss_kb();
    r.anon0_kb = srv.rss_anon_kb();
    double cpu0 = srv.cpu_s();
    double t0 = mono_s();
    // Bounded in time as well as in count: a slow machine reports how far it got.
    const double deadline = t0 + (opt.wrap.empty() ? 180 : 1200);

    const int nthreads = 3;
    std::vector<std::vector<std::unique_ptr<client::SecureConn>>> held(nthreads);
    std::vector<size_t> failed(nthreads, 0);
    std::vector<std::string> errors(nthreads);
    std::vector<std::thread> ts;
    for (int t = 0; t < nthreads; ++t)
        ts.emplace_back([&, t] {
            for (int i = t; i < target; i += nthreads) {
                if (mono_s() > deadline) break;
                try {
                    auto sc = std::make_unique<client::SecureConn>(srv.hp(), srv.bundle(), 20000);
                    if (!sc->resume(main.token)) {
                        ++failed[size_t(t)];
                        errors[size_t(t)] = "RESUME refused";
                    } else {
                        msg::Ping ping;
                        ping.nonce = crypto::random_array<16>();
                        sc->send(msg::encode_body(ping));
                        held[size_t(t)].push_back(std::move(sc));
                    }
                } catch (const std::exception& e) {
                    ++failed[size_t(t)];
                    errors[size_t(t)] = e.what();
                }
                if (failed[size_t(t)] > 50) break;  // the server is refusing: stop, report
            }
        });
    for (auto& t : ts) t.join();
    std::vector<std::unique_ptr<client::SecureConn>> conns;
    for (int t = 0; t < nthreads; ++t) {
        r.failed += failed[size_t(t)];
        if (!errors[size_t(t)].empty() && r.error.empty()) r.error = errors[size_t(t)];
        for (auto& c : held[size_t(t)]) conns.push_back(std::move(c));
    }
    r.opened = conns.size();
    // Each PONG proves the server took the connection as logged in.
    for (auto& c : conns) {
        try {
            for (int i = 0; i < 4; ++i) {
                auto f = c->recv(10000);
                if (!f) break;
                if (f->pt.size() && f->pt[0] == msg::Pong::type) {
                    ++r.confirmed;
                    break;
                }
            }
        } catch (const std::exception& e) {
            if (r.error.empty()) r.error = e.what();
        }
    }
    r.wall_s = mono_s() - t0;
    r.server_cpu_s = srv.cpu_s() - cpu0;
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    r.rss1_kb = srv.rss_kb();
    r.anon1_kb = srv.rss_anon_kb();

    // Is the server still quick with all of them held?
    for (int i = 0; i < 200; ++i) {
        msg::Ping ping;
        ping.nonce = crypto::random_array<16>();
        double s = mono_s();
        call(main, msg::encode_body(ping), nullptr, msg::Pong::type, 10000);
        r.ping_ms.push_back((mono_s() - s) * 1000);
    }
    conns.clear();
    return r;
}

}  // namespace tacit::bench
