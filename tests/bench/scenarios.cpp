// Builders for the timed phases (a), (b), (d), (e) and the crypto floor.
#include <time.h>

#include <algorithm>
#include <fmt/core.h>

#include "shared/channel.hpp"
#include "shared/messages.hpp"
#include "shared/protocol.hpp"
#include "tests/bench/scenarios.hpp"

namespace tacit::bench {

namespace {

// Signs every order entry at the sequence number it will be sent at.
void presign(PhaseSpec& spec, SignPool& pool) {
    std::vector<uint64_t> next_seq;
    for (auto* p : spec.senders) next_seq.push_back(p->seq);
    std::vector<SignPool::Job> jobs;
    jobs.reserve(spec.order.size());
    for (auto& o : spec.order) {
        Peer& p = *spec.senders[o.sender];
        jobs.push_back({&o.body, p.sc->session_id(), next_seq[o.sender]++});
    }
    pool.sign_all(jobs);
}

Bytes random_bytes(size_t n) {
    Bytes b(n);
    crypto::random_bytes(b.data(), n);
    return b;
}

// CPU time of this thread, so that other work on a shared machine does not
// inflate the floor (the server side is measured in CPU time too).
double thread_cpu_s() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return double(ts.tv_sec) + double(ts.tv_nsec) / 1e9;
}

template <class F> double time_us(int n, F&& f) {
    double t0 = thread_cpu_s();
    for (int i = 0; i < n; ++i) f(i);
    return (thread_cpu_s() - t0) * 1e6 / n;
}

}  // namespace

Floor measure_floor(const BenchIdentity& bi, const ServerIdentity& server_key, size_t reply_plain_len, int ops) {
    Floor fl;
    auto pub = crypto::PkKey::parse_public_der(UserBundle::decode(bi.bundle)->rsa_der);
    if (!pub) throw std::runtime_error("bench key does not parse");
    // An ONLINE request as the server sees it.
    msg::Online on;
    on.token = crypto::random_array<32>();
    on.nonce = crypto::random_array<16>();
    Bytes req = msg::encode_body(on);
    Array<32> sid = crypto::random_array<32>();
    auto in = msg::sig_input(proto::C2S, sid, 7, req);
    auto sig = bi.id.sign.sign(in);
    msg::append_sig(req, sig);

    const int nv = ops, ns = ops, ng = 10 * ops;
    volatile bool sink = true;
    fl.verify_us = time_us(nv, [&](int) { sink = sink && pub->verify(in, sig); });
    if (!sink) throw std::runtime_error("floor: signature does not verify");
    Bytes reply = random_bytes(reply_plain_len);
    auto rin = msg::sig_input(proto::S2C, sid, 7, reply);
    fl.sign_us = time_us(ns, [&](int) { sink = !server_key.sign.sign(rin).empty(); });

    // The channel as the server holds it: open the request, seal the reply.
    auto kc = random_bytes(32), ks = random_bytes(32);
    auto iv = crypto::random_array<12>();
    auto client = Channel::for_role(Role::Client, kc, ks, iv);
    auto server = Channel::for_role(Role::Server, kc, ks, iv);
    std::vector<Bytes> frames;
    frames.reserve(ng);
    for (int i = 0; i < ng; ++i) frames.push_back(client.seal(req));
    fl.open_us = time_us(ng, [&](int i) {
        auto pt = server.open(ByteView(frames[size_t(i)]).subspan(4));
        if (!pt) throw std::runtime_error("floor: frame does not open");
    });
    Bytes signed_reply = reply;
    msg::append_sig(signed_reply, server_key.sign.sign(rin));
    fl.seal_us = time_us(ng, [&](int) { sink = !server.seal(signed_reply).empty(); });
    return fl;
}

std::vector<PhaseSpec> online_bursts(const Tacitd& srv, const std::vector<Peer*>& peers, SignPool& pool, size_t n,
                                     size_t chunks) {
    std::vector<PhaseSpec> specs(chunks);
    std::vector<uint64_t> next_seq;
    for (auto* p : peers) next_seq.push_back(p->seq);
    std::vector<SignPool::Job> jobs;
    for (size_t c = 0; c < chunks; ++c) {
        auto& spec = specs[c];
        spec.server = &srv;
        spec.senders = peers;
        spec.reply_type = msg::OnlineR::type;
        size_t m = n / chunks;
        // tacitd closes a connection that sends more than 16 frames in one
        // read (a client waits for its replies), so depth comes from many
        // connections with a few requests outstanding each.
        spec.window = 4;
        spec.order.reserve(m);
        for (size_t i = 0; i < m; ++i) {
            size_t s = i % peers.size();
            msg::Online on;
            on.token = peers[s]->token;
            on.nonce = crypto::random_array<16>();
            spec.order.push_back({s, i, msg::encode_body(on)});
        }
    }
    // Signed in one go, each at the sequence number it will be sent at.
    for (auto& spec : specs)
        for (auto& o : spec.order) jobs.push_back({&o.body, peers[o.sender]->sc->session_id(), next_seq[o.sender]++});
    pool.sign_all(jobs);
    return specs;
}

PhaseResult dm_run(const Tacitd& srv, const std::vector<Peer*>& senders, const std::vector<Peer*>& recipients,
                   SignPool& pool, size_t n, double rate, size_t window, size_t enc_size) {
    PhaseSpec spec;
    spec.server = &srv;
    spec.senders = senders;
    spec.recipients = recipients;
    spec.reply_type = msg::Msg2R::type;
    spec.rate = rate;
    spec.window = window;
    spec.timeout_s = rate > 0 ? double(n) / rate + 30 : 60;
    spec.targets.resize(n);
    for (size_t k = 0; k < n; ++k) {
        size_t s = k % senders.size(), r = k % recipients.size();
        msg::Msg2 m;
        m.nonce2 = crypto::random_array<16>();
        m.target = recipients[r]->user;
        m.enc_msg = fake_enc_msg(k, enc_size);
        spec.order.push_back({s, k, msg::encode_body(m)});
        spec.targets[k] = {uint32_t(r)};
    }
    presign(spec, pool);
    return run_phase(spec);
}

PhaseResult group_run(const Tacitd& srv, Peer& sender, const std::vector<Peer*>& members, const std::string& group,
                      SignPool& pool, size_t batches, size_t enc_size) {
    PhaseSpec spec;
    spec.server = &srv;
    spec.senders = {&sender};
    spec.recipients = members;
    spec.reply_type = msg::GroupMsg2BatchR::type;
    spec.window = 4;  // within tacitd's 16 frames per read
    spec.timeout_s = 120;
    spec.targets.resize(batches);
    for (size_t b = 0; b < batches; ++b) {
        msg::GroupMsg2Batch m;
        m.nonce = crypto::random_array<16>();
        m.group = group;
        for (size_t r = 0; r < members.size(); ++r) {
            m.parts.push_back(
                msg::Part{members[r]->user, fake_enc_msg(b, enc_size), Bytes{}});
            spec.targets[b].push_back(uint32_t(r));
        }
        spec.order.push_back({0, b, msg::encode_body(m)});
    }
    presign(spec, pool);
    return run_phase(spec);
}

}  // namespace tacit::bench
