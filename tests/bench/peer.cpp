// Accounts and connections for the bench: registration and login over the
// client core's SecureConn, blocking calls for setup, pre-signing, and the
// small statistics helpers.
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <fmt/core.h>
#include <fstream>
#include <stdexcept>
#include <thread>

#include "shared/messages.hpp"
#include "shared/protocol.hpp"
#include "shared/wire.hpp"
#include "tests/bench/bench.hpp"

namespace tacit::bench {

BenchIdentity make_identity() {
    BenchIdentity b{UserIdentity::generate(), {}, Bytes(32)};
    b.bundle = b.id.bundle().encode();
    crypto::random_bytes(b.auth.data(), b.auth.size());
    return b;
}

Peer connect_peer(const Tacitd& srv) {
    Peer p;
    p.sc = std::make_unique<client::SecureConn>(srv.hp(), srv.bundle(), 30000);
    p.sc->hello();
    return p;
}

void sign_at(Bytes& body, const crypto::PkKey& key, const Array<32>& session_id, uint64_t seq) {
    auto in = msg::sig_input(proto::C2S, session_id, seq, body);
    msg::append_sig(body, key.sign(in));
}

Secret call(Peer& p, Bytes body, const crypto::PkKey* signer, uint8_t want, int timeout_ms) {
    if (signer) sign_at(body, *signer, p.sc->session_id(), p.seq);
    p.send(std::move(body));
    double deadline = mono_s() + timeout_ms / 1000.0;
    for (;;) {
        double left = deadline - mono_s();
        if (left <= 0) break;
        auto f = p.sc->recv(int(left * 1000) + 1);
        if (!f) break;
        uint8_t t = f->pt.size() ? f->pt[0] : 0;
        if (t == want) return std::move(f->pt);
        if (t == proto::NOTIFY) continue;
        if (t == proto::ERROR) {
            auto e = msg::decode_error(f->pt);
            throw std::runtime_error(fmt::format("{}: server said {} ({})", p.user,
                                                 proto::status_name(e.m.status), e.m.msg));
        }
        throw std::runtime_error(fmt::format("{}: unexpected reply type 0x{:02x}", p.user, t));
    }
    throw std::runtime_error(fmt::format("{}: no reply of type 0x{:02x} in time", p.user, want));
}

void register_user(const Tacitd& srv, const BenchIdentity& bi, const std::string& user) {
    Peer p = connect_peer(srv);
    p.user = user;
    msg::Register m;
    m.user = user;
    m.pass = bi.auth;
    m.public_key = bi.bundle;
    m.nonce = crypto::random_array<16>();
    // REGISTER carries the first prekeys (tacit-protocol(7), REGISTER).
    m.prekeys.spk = x3dh::sign_prekey(bi.id.sign, user, 1, 1700000000, crypto::X25519Key::generate().pub);
    auto pt = call(p, msg::encode_body(m), &bi.id.sign, msg::RegisterR::type);
    auto d = msg::decode<msg::RegisterR>(pt);
    if (d.m.status != proto::OK) throw std::runtime_error("register " + user + ": " + d.m.msg);
}

Peer login(const Tacitd& srv, const BenchIdentity& bi, const std::string& user) {
    Peer p = connect_peer(srv);
    p.user = user;
    msg::Login1 l1;
    l1.user = user;
    l1.nonce1 = crypto::random_array<16>();
    auto d1 = msg::decode<msg::Login1R>(call(p, msg::encode_body(l1), &bi.id.sign, msg::Login1R::type));
    auto verifier = crypto::sha256({bi.auth, d1.m.salt});
    auto proof = crypto::hmac_sha256(verifier, d1.m.nonce2);
    msg::Login2 l2;
    l2.proof.assign(proof.begin(), proof.end());
    auto d2 = msg::decode<msg::Login2R>(call(p, msg::encode_body(l2), &bi.id.sign, msg::Login2R::type));
    if (d2.m.status != proto::OK) throw std::runtime_error("login " + user + ": " + d2.m.msg);
    p.token = d2.m.token;
    p.sc->logged_in();
    return p;
}

size_t drain_mailbox(Peer& p) {
    size_t total = 0;
    for (int page = 0; page < 1000; ++page) {
        msg::Update1 u;
        u.token = p.token;
        u.nonce1 = crypto::random_array<16>();
        auto d = msg::decode<msg::Update1R>(call(p, msg::encode_body(u), nullptr, msg::Update1R::type));
        total += d.m.messages.size();
        msg::Update2 a;
        a.nonce2 = d.m.nonce2;
        p.send(msg::encode_body(a));
        if (!d.m.more) break;
    }
    return total;
}

void drain_input(std::vector<Peer*> peers, int ms) {
    double end = mono_s() + ms / 1000.0;
    do {
        for (auto* p : peers)
            while (p->sc->recv(0)) {}
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    } while (mono_s() < end);
}

SignPool::SignPool(const UserIdentity& id, int threads) {
    auto der = id.sign.private_der();
    for (int i = 0; i < std::max(1, threads); ++i) {
        auto k = crypto::PkKey::parse_private_der(der);
        if (!k) throw std::runtime_error("cannot copy the bench key");
        keys_.push_back(std::move(*k));
    }
}

void SignPool::sign_all(std::vector<Job>& jobs) {
    size_t n = keys_.size();
    std::vector<std::thread> ts;
    for (size_t t = 0; t < n; ++t)
        ts.emplace_back([&, t] {
            for (size_t i = t; i < jobs.size(); i += n)
                sign_at(*jobs[i].body, keys_[t], jobs[i].session_id, jobs[i].seq);
        });
    for (auto& t : ts) t.join();
}

double median(std::vector<double> v) { return percentile(std::move(v), 50); }

double percentile(std::vector<double> v, double p) {
    if (v.empty()) return NAN;
    std::sort(v.begin(), v.end());
    // Nearest rank: the value at or below which p% of the samples lie.
    size_t rank = size_t(std::ceil(p / 100.0 * double(v.size())));
    if (rank < 1) rank = 1;
    if (rank > v.size()) rank = v.size();
    if (p == 50 && v.size() % 2 == 0) return (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
    return v[rank - 1];
}

double mono_s() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return double(ts.tv_sec) + double(ts.tv_nsec) / 1e9;
}

double self_cpu_s() {
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    return double(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           double(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

double machine_busy_s() {
    std::ifstream in("/proc/stat");
    std::string cpu;
    unsigned long long user = 0, nice = 0, sys = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0;
    if (!(in >> cpu >> user >> nice >> sys >> idle >> iowait >> irq >> softirq >> steal) || cpu != "cpu") return 0;
    return double(user + nice + sys + irq + softirq + steal) / double(sysconf(_SC_CLK_TCK));
}

Bytes fake_enc_msg(uint64_t k, size_t size) {
    Bytes b(std::max<size_t>(size, 8));
    crypto::random_bytes(b.data() + 8, b.size() - 8);
    for (int i = 0; i < 8; ++i) b[size_t(i)] = uint8_t(k >> (56 - 8 * i));
    return b;
}

}  // namespace tacit::bench
