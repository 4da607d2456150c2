// The timed load phase shared by the ONLINE burst, direct messages and group
// fan-out: one epoll loop (the project's EventLoop) drives every sender and
// recipient connection of the phase.
#include <algorithm>
#include <cmath>
#include <deque>
#include <fmt/core.h>
#include <unordered_set>

#include "shared/batch_sig.hpp"
#include "shared/event_loop.hpp"
#include "shared/messages.hpp"
#include "shared/protocol.hpp"
#include "tests/bench/bench.hpp"

namespace tacit::bench {

namespace {

struct RecipientState {
    bool outstanding = false;  // an UPDATE1 is in flight
    bool again = false;        // NOTIFY mail arrived since it was sent
};

uint64_t read_k(ByteView enc) {
    uint64_t k = 0;
    for (int i = 0; i < 8; ++i) k = (k << 8) | enc[size_t(i)];
    return k;
}

// The root signature of a signed reply's batch proof, or "" when its sig
// is not one (--batch-sign off, an unsigned reply).
std::string root_sig_of(ByteView pt) {
    std::string out;
    auto pick = [&]<class M>(std::type_identity<M>) {
        if constexpr (M::sigs > 0) {
            auto d = msg::decode<M>(pt);
            if (auto p = batch::parse(d.sigs.back())) out.assign(p->root_sig.begin(), p->root_sig.end());
        }
    };
    try {
        if (!pt.empty()) msg::with_message_type(pt[0], pick);
    } catch (const WireError&) {
    }
    return out;
}

}  // namespace

PhaseResult run_phase(PhaseSpec& spec) {
    PhaseResult r;
    const size_t S = spec.senders.size(), R = spec.recipients.size();
    uint64_t K = 0;
    for (auto& o : spec.order) K = std::max(K, o.k + 1);
    std::vector<std::deque<size_t>> queue(S);
    for (size_t i = 0; i < spec.order.size(); ++i) queue[spec.order[i].sender].push_back(i);
    std::vector<std::deque<double>> inflight(S);
    std::vector<double> sent_at(K, NAN);
    size_t expected = 0;
    for (auto& t : spec.targets) expected += t.size();
    std::vector<uint8_t> got(size_t(K) * std::max<size_t>(R, 1), 0);
    std::vector<RecipientState> rs(R);
    // Which recipient index a peer is (a peer may be both sender and recipient).
    EventLoop loop;
    double threads_end = 0;
    double t_end = 0, cpu_end = 0, sys_end = 0, sched_end = 0, runq_end = 0, gen_end = 0, machine_end = 0;
    std::unordered_set<std::string> roots;  // distinct root signatures seen
    bool done = false;     // measured; the loop only settles from here
    bool stopped = false;

    auto take_end = [&] {
        t_end = mono_s();
        cpu_end = spec.server->cpu_s();
        sys_end = spec.server->sys_s();
        sched_end = spec.server->sched_s();
        threads_end = spec.server->all_threads_s();
        runq_end = spec.server->runq_s();
        gen_end = self_cpu_s();
        machine_end = machine_busy_s();
    };
    // After the last delivery, fetches still in flight are let finish (up to
    // 2 s) so that no stale UPDATE1_R leaks into the next phase.
    auto settle = [&] {
        if (stopped) return;
        for (auto& x : rs)
            if (x.outstanding) return;
        stopped = true;
        loop.stop();
    };
    auto finish_if_done = [&] {
        if (done) return settle();
        if (r.sent == spec.order.size() && r.acked + r.ack_errors == r.sent && r.delivered >= expected) {
            done = true;
            take_end();
            loop.add_timer(std::chrono::milliseconds(2000), [&] {
                stopped = true;
                loop.stop();
            });
            settle();
        }
    };
    auto fail = [&](const std::string& why) {
        if (r.error.empty()) r.error = why;
        if (!done) take_end();
        done = stopped = true;
        loop.stop();
    };

    auto send_one = [&](size_t s) {
        if (queue[s].empty()) return;
        size_t oi = queue[s].front();
        queue[s].pop_front();
        auto& o = spec.order[oi];
        double now = mono_s();
        if (std::isnan(sent_at[o.k])) sent_at[o.k] = now;
        inflight[s].push_back(now);
        spec.senders[s]->send(std::move(o.body));
        ++r.sent;
    };

    auto fetch = [&](size_t ri) {
        Peer& p = *spec.recipients[ri];
        msg::Update1 u;
        u.token = p.token;
        u.nonce1 = crypto::random_array<16>();
        p.send(msg::encode_body(u));
        rs[ri].outstanding = true;
        rs[ri].again = false;
    };

    auto on_recipient_frame = [&](size_t ri, const client::Frame& f) {
        uint8_t t = f.pt.size() ? f.pt[0] : 0;
        if (t == proto::NOTIFY) {
            auto n = msg::decode<msg::Notify>(f.pt).m;
            if (n.what != proto::NOTIFY_MAIL) return;
            rs[ri].again = true;
            if (!rs[ri].outstanding) fetch(ri);
        } else if (t == msg::Update1R::type) {
            double now = mono_s();
            auto d = msg::decode<msg::Update1R>(f.pt);
            for (auto& st : d.m.messages) {
                if (st.kind != proto::STORED_MESSAGE || st.enc_msg.size() < 8) continue;
                uint64_t k = read_k(st.enc_msg);
                size_t idx = size_t(k) * R + ri;
                if (k >= K || got[idx]) {
                    ++r.duplicates;
                    continue;
                }
                got[idx] = 1;
                ++r.delivered;
                r.latency_ms.push_back((now - sent_at[k]) * 1000);
            }
            msg::Update2 a;
            a.nonce2 = d.m.nonce2;
            spec.recipients[ri]->send(msg::encode_body(a));
            rs[ri].outstanding = false;
            if (d.m.more || rs[ri].again) fetch(ri);
        } else if (t == proto::ERROR) {
            auto e = msg::decode_error(f.pt);
            fail(fmt::format("{}: ERROR {} {}", spec.recipients[ri]->user, proto::status_name(e.m.status), e.m.msg));
        }
        if (done) settle();
    };

    auto on_sender_frame = [&](size_t s, const client::Frame& f) {
        uint8_t t = f.pt.size() ? f.pt[0] : 0;
        if (t != spec.reply_type && t != proto::ERROR) return;  // NOTIFY presence and the like
        double now = mono_s();
        if (!inflight[s].empty()) {
            r.ack_ms.push_back((now - inflight[s].front()) * 1000);
            inflight[s].pop_front();
        }
        bool ok = t == spec.reply_type;
        if (ok && (t == msg::Msg2R::type || t == msg::GroupMsg2BatchR::type)) {
            // Both end in "str msg | u8 status | nonce | sig".
            uint8_t st = t == msg::Msg2R::type ? msg::decode<msg::Msg2R>(f.pt).m.status
                                                : msg::decode<msg::GroupMsg2BatchR>(f.pt).m.status;
            if (st != proto::OK) {
                ok = false;
                if (r.error.empty())
                    r.error = fmt::format("{}: status {}", spec.senders[s]->user, proto::status_name(st));
            }
        } else if (!ok) {
            auto e = msg::decode_error(f.pt);
            if (r.error.empty())
                r.error = fmt::format("{}: ERROR {} {}", spec.senders[s]->user, proto::status_name(e.m.status),
                                      e.m.msg);
        }
        if (ok) {
            ++r.acked;
            if (auto root = root_sig_of(f.pt); !root.empty()) {
                ++r.batched;
                roots.insert(std::move(root));
            }
        } else {
            ++r.ack_errors;
        }
        if (spec.rate <= 0) send_one(s);
    };

    // One fd callback per distinct peer; a peer can be sender and recipient.
    std::vector<Peer*> peers;
    for (auto* p : spec.senders) peers.push_back(p);
    for (auto* p : spec.recipients)
        if (std::find(peers.begin(), peers.end(), p) == peers.end()) peers.push_back(p);
    for (auto* p : peers) {
        std::vector<size_t> as_sender, as_recipient;
        for (size_t i = 0; i < S; ++i)
            if (spec.senders[i] == p) as_sender.push_back(i);
        for (size_t i = 0; i < R; ++i)
            if (spec.recipients[i] == p) as_recipient.push_back(i);
        loop.add_fd(p->fd(), EventLoop::Readable, [&, p, as_sender, as_recipient](uint32_t) {
            if (stopped) return;
            try {
                while (auto f = p->sc->recv(0)) {
                    for (auto s : as_sender) on_sender_frame(s, *f);
                    for (auto ri : as_recipient) on_recipient_frame(ri, *f);
                    if (stopped) return;
                }
            } catch (const std::exception& e) {
                fail(p->user + ": " + e.what());
                return;
            }
            finish_if_done();
        });
    }

    double cpu0 = spec.server->cpu_s(), sys0 = spec.server->sys_s();
    double sched0 = spec.server->sched_s(), runq0 = spec.server->runq_s();
    double threads0 = spec.server->all_threads_s();
    double gen0 = self_cpu_s(), machine0 = machine_busy_s();
    double t0 = mono_s();
    loop.add_timer(std::chrono::milliseconds(int64_t(spec.timeout_s * 1000)), [&] {
        if (done) {
            stopped = true;
            loop.stop();
            return;
        }
        fail(fmt::format("timed out after {:.0f} s: sent {}, acked {}, delivered {} of {}", spec.timeout_s, r.sent,
                         r.acked, r.delivered, expected));
    });
    std::function<void()> tick;
    size_t next = 0;
    if (spec.rate > 0) {
        // Open loop: message i is due at t0 + i / rate, whatever the replies do.
        tick = [&] {
            double now = mono_s();
            while (next < spec.order.size() && t0 + double(next) / spec.rate <= now) {
                r.max_send_lag_ms = std::max(r.max_send_lag_ms, (now - (t0 + double(next) / spec.rate)) * 1000);
                size_t s = spec.order[next].sender;
                // Order per sender equals global order, so the front is this one.
                send_one(s);
                ++next;
                now = mono_s();
            }
            if (next < spec.order.size()) {
                double wait = t0 + double(next) / spec.rate - mono_s();
                loop.add_timer(std::chrono::milliseconds(std::max<int64_t>(0, int64_t(std::ceil(wait * 1000)))), tick);
            }
        };
        loop.add_timer(std::chrono::milliseconds(0), tick);
    } else {
        loop.add_timer(std::chrono::milliseconds(0), [&] {
            try {
                for (size_t s = 0; s < S; ++s)
                    for (size_t w = 0; w < spec.window; ++w) send_one(s);
            } catch (const std::exception& e) {
                fail(e.what());
            }
        });
    }
    try {
        loop.run();
    } catch (const std::exception& e) {
        if (r.error.empty()) r.error = e.what();
        t_end = mono_s();
    }
    if (t_end == 0) take_end();
    r.wall_s = t_end - t0;
    r.server_cpu_s = cpu_end - cpu0;
    r.server_sys_s = sys_end - sys0;
    r.server_sched_s = sched_end - sched0;
    r.server_threads_s = threads_end - threads0;
    r.server_runq_s = runq_end - runq0;
    r.gen_cpu_s = gen_end - gen0;
    r.machine_busy_s = machine_end - machine0;
    r.batches = roots.size();
    for (auto* p : peers) loop.remove_fd(p->fd());
    return r;
}

}  // namespace tacit::bench
