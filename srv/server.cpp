#include "srv/server.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <fmt/core.h>

#include "shared/batch_sig.hpp"
#include "shared/clock.hpp"
#include "shared/messages.hpp"
#include "shared/names.hpp"
#include "shared/protocol.hpp"
#include "shared/wire.hpp"
#include "srv/handler.hpp"
#include "srv/peer.hpp"
#include "srv/store/lmdb_backend.hpp"
#include "srv/store/quota.hpp"
#include "srv/store/store_error.hpp"

namespace tacit::srv {

namespace {

constexpr size_t kReadChunk = 64 * 1024;
constexpr size_t kWritePerEvent = 64 * 1024;
constexpr size_t kReadPerEvent = 256 * 1024;
// Replies are built during the pass and meet the output cap only at its end,
// so the requests handled per connection per pass are bounded: 2000
// pipelined UPDATE1s of a 180 KB mailbox once made tacitd allocate 700 MB
// before the cap could act. Frames past the bound wait in the decoder (and
// the socket is not read) until the next pass: pipelining still works, each
// connection gets its fair share, and a reader that never reads meets the
// output cap after a bounded amount of work.
constexpr size_t kMaxFramesPerPass = 16;
// The pre-login budget (tacitd(8)): before it is logged in, a connection
// may send this many sealed frames and make the server check this many
// signatures that do not verify. A signature that verifies starts both
// counts again: it cost the peer an RSA-3072 signing, far more than the
// verify cost us, so a client may register many accounts on one
// connection, but one that proves nothing is cut after a few frames
// instead of keeping the server busy at no cost of its own.
constexpr unsigned kPreLoginFrames = 32;
constexpr unsigned kPreLoginBadSigs = 8;

// The byte quotas not given on the command line follow --max-db-size (see
// tacitd(8), "Storage quotas"): one sender's waiting mail in all mailboxes
// is at most 1/16 of the ceiling, so no single account can fill the store
// even with LMDB's page overhead, and the 1/16 kept free below the ceiling
// is room for the copy-on-write pages of acks and deletes.
void set_quotas(store::Options& so, const Config& c) {
    const uint64_t m = c.max_db_size;
    so.mailbox_bytes = c.mailbox_quota ? c.mailbox_quota : m / 16;
    so.sender_mailbox_bytes = c.sender_mailbox_quota ? c.sender_mailbox_quota : m / 64;
    so.sender_bytes = c.sender_quota ? c.sender_quota : m / 16;
    so.reserve = std::min(m / 2, std::max<uint64_t>(m / 16, 1 << 20));
    fmt::print(stderr, "tacitd: quotas: mailbox {} / {} messages, sender per mailbox {}, sender {}, reserve {}\n",
               store::size_text(so.mailbox_bytes), so.mailbox_cap, store::size_text(so.sender_mailbox_bytes),
               store::size_text(so.sender_bytes), store::size_text(so.reserve));
    if (so.sender_bytes > (m - so.reserve) / 4)
        fmt::print(stderr, "tacitd: warning: --sender-quota {} is over a quarter of what --max-db-size leaves for "
                           "mail; a few accounts can fill the store\n",
                   store::size_text(so.sender_bytes));
}

std::unique_ptr<store::Operations> open_store(const Config& c) {
    store::Options so;
    so.dir = c.data_dir;
    so.max_map = c.max_db_size;
    so.initial_map = std::min<size_t>(so.initial_map, c.max_db_size);
    so.sync = c.sync;
    so.mailbox_cap = c.mailbox_cap;
    set_quotas(so, c);
    return store::open_lmdb(so);
}

}  // namespace

Server::Server(Config cfg, ServerIdentity id)
    : cfg_(std::move(cfg)),
      id_(std::move(id)),
      store_(open_store(cfg_)),
      pool_(loop_, id_, cfg_.threads),
      outbox_([this](uint64_t id) { return conn(id); }),
      limits_(cfg_),
      presence_(loop_,
                [this](uint64_t id, const Bytes& body) {
                    if (Connection* c = conn(id))
                        queue(*c, Outgoing{[body](bool) { return std::optional<Bytes>(body); }, false, false, {}});
                }),
      sessions_(*store_, presence_, cfg_.token_ttl_ms,
                [this](uint64_t id) {
                    if (Connection* c = conn(id)) {
                        sessions_.detach(*c);
                        close_after_output(*c, "session ended");
                    }
                }),
      services_{*store_, sessions_, presence_, limits_, id_, outbox_, pool_,
                [this](Connection& c, const char* why) { close(c, why); },
                [this](Connection& c, const char* why) { close_after_output(c, why); },
                [this](Connection& c) { resume_line(c); }} {
    sessions_.restore();
    finish_store_pass();  // the stale sessions' deletion
    read_test_fault();
}

// TACITD_TEST_FAULT=NAME, NAME:reply or NAME:then (tacitd(8), ENVIRONMENT;
// tests only): every NAME request throws inside dispatch, its reply throws
// while it is built after the commit, or its continuation throws when its
// store operation completes, so tests can reach every boundary.
void Server::read_test_fault() {
    const char* env = std::getenv("TACITD_TEST_FAULT");
    if (!env || !*env) return;
    std::string_view v(env);
    for (auto [suffix, at] : {std::pair{std::string_view(":reply"), FaultAt::Reply},
                              std::pair{std::string_view(":then"), FaultAt::Continuation}})
        if (v.size() > suffix.size() && v.ends_with(suffix)) {
            v.remove_suffix(suffix.size());
            fault_at_ = at;
        }
    fault_ = find_handler(v);
    if (!fault_) throw std::runtime_error(fmt::format("TACITD_TEST_FAULT: no request named {}", loggable_name(env)));
    if (fault_at_ == FaultAt::Continuation) services_.continuation_fault = fault_;
    fmt::print(stderr, "tacitd: warning: TACITD_TEST_FAULT={}: every {} request fails (tests only)\n",
               loggable_name(env), fault_->name);
}

Server::~Server() = default;

uint16_t Server::bind() {
    // All bound before any is watched: the vector must not move under the
    // loop's callbacks.
    for (auto& spec : cfg_.listen) listen_on(spec);
    uint16_t first_port = 0;
    for (auto& l : listeners_) {
        Acceptor* a = l.acceptor.get();
        loop_.add_fd(a->fd(), EventLoop::Readable, [this, a](uint32_t) { on_accept(*a); });
        fmt::print(stderr, "tacitd: listening on {} data={} sync={} threads={}\n", l.name, cfg_.data_dir,
                   cfg_.sync ? "on" : "off", pool_.threads());
    }
    for (auto& l : listeners_)
        if (l.file.path().empty()) {
            first_port = local_port(l.acceptor->fd());
            break;
        }
    return first_port;
}

void Server::listen_on(const std::string& spec) {
    auto ep = parse_endpoint(spec, 7700);
    if (!ep) throw std::runtime_error("bad --listen address: " + spec);
    if (auto* u = std::get_if<UnixPath>(&*ep)) {
        auto l = listen_unix(u->path);
        listeners_.push_back({to_string(*ep), std::make_unique<Acceptor>(std::move(l.fd)), std::move(l.file)});
        return;
    }
    auto hp = std::get<HostPort>(*ep);
    auto fd = listen_tcp(hp);
    hp.port = local_port(fd.get());
    listeners_.push_back({to_string(hp), std::make_unique<Acceptor>(std::move(fd)), {}});
}

void Server::run() {
    loop_.on_signal(SIGINT, [this] { stop(); });
    loop_.on_signal(SIGTERM, [this] { stop(); });
    std::signal(SIGPIPE, SIG_IGN);
    loop_.set_before_sleep([this] { before_sleep(); });
    std::function<void()> tick;
    tick = [this, &tick] {
        sweep();
        loop_.add_timer(std::chrono::milliseconds(1000), tick);
    };
    loop_.add_timer(std::chrono::milliseconds(1000), tick);
    loop_.run();
    // Shutdown: whatever the last pass holds is committed before we exit.
    finish_store_pass();
    fmt::print(stderr, "tacitd: shutting down, {} connections closed\n", conns_.size());
}

void Server::stop() { loop_.stop(); }

Connection* Server::conn(uint64_t id) {
    auto it = conns_.find(id);
    return it == conns_.end() || it->second->dead ? nullptr : it->second.get();
}

// ---------------------------------------------------------------- accept/io

void Server::on_accept(Acceptor& a) {
    for (int i = 0; i < 256; ++i) {
        auto fd = a.accept_one();
        if (!fd) return;
        auto peer = identify_peer(fd->get());
        if (!admit_connection(peer.shown, peer.key)) continue;  // UniqueFd closes it
        ++per_peer_[peer.key];
        auto c = std::make_unique<Connection>();
        c->id = next_id_++;
        c->peer = std::move(peer.shown);
        c->peer_key = std::move(peer.key);
        c->fd = std::move(*fd);
        c->accepted_ms = c->last_rx_ms = mono_ms();
        uint64_t id = c->id;
        loop_.add_fd(c->fd.get(), EventLoop::Readable, [this, id](uint32_t ev) { on_io(id, ev); });
        log_conn(*c, "accepted");
        conns_.emplace(id, std::move(c));
    }
}

bool Server::admit_connection(const std::string& peer, const std::string& key) {
    if (conns_.size() >= cfg_.max_connections) {
        fmt::print(stderr, "tacitd: peer={} refused: connection limit {} reached\n", peer, cfg_.max_connections);
        return false;
    }
    // One address (or local user) cannot take every slot.
    auto it = per_peer_.find(key);
    if (it != per_peer_.end() && it->second >= cfg_.max_conns_per_peer) {
        fmt::print(stderr, "tacitd: peer={} refused: {} connections from {} (--max-conns-per-peer)\n", peer,
                   it->second, key);
        return false;
    }
    return true;
}

void Server::on_io(uint64_t id, uint32_t events) {
    Connection* c = conn(id);
    if (!c) return;
    if (events & EventLoop::Writable) write_some(*c);
    if (c->dead) return;
    if (c->closing) {
        // Nothing more is read (update_interest drops Readable): only the
        // replies already owed go out. HUP or ERR means they cannot.
        if (events & EventLoop::Closed) return close(*c, "peer closed");
        return update_interest(*c);
    }
    // Frames already read wait for drain(), or for the pool's verify.
    if (c->backlog || c->held_full()) return;
    if (events & (EventLoop::Readable | EventLoop::Closed)) {
        uint8_t buf[kReadChunk];
        size_t total = 0;
        while (!c->dead && !c->backlog && !c->closing && !c->held_full() && total < kReadPerEvent) {
            ssize_t n = ::read(c->fd.get(), buf, sizeof buf);
            if (n > 0) {
                total += size_t(n);
                c->decoder.feed(ByteView(buf, size_t(n)));
                c->frames_this_pass = 0;
                drain(*c);
                continue;
            }
            if (n == 0) {
                // Perhaps only a half-close: the peer may still read what
                // it is owed (a RENEW3_R), so that goes out first.
                close_after_output(*c, "peer closed");
                break;
            }
            if (errno == EAGAIN || errno == EWOULDBLOCK) break;
            if (errno == EINTR) continue;
            close(*c, "read error");
            break;
        }
    }
}

void Server::drain(Connection& c) {
    Bytes body;
    draining_ = true;
    struct Done {
        bool& flag;
        ~Done() { flag = false; }
    } done{draining_};
    while (!c.dead && !c.closing) {
        // Read on once the line moves (resume_line).
        if (c.held_full()) return update_interest(c);
        if (c.frames_this_pass >= kMaxFramesPerPass) return set_backlog(c, true);
        auto r = c.decoder.next(body);
        if (r == FrameDecoder::Result::NeedMore) return set_backlog(c, false);
        if (r == FrameDecoder::Result::BadLength) return close_after_output(c, "bad frame length");
        ++c.frames_this_pass;
        // Only whole frames count as activity: a peer trickling one byte of
        // a frame that never completes would otherwise never be idle.
        c.last_rx_ms = mono_ms();
        on_frame(c, body);
    }
}

void Server::set_backlog(Connection& c, bool on) {
    if (c.backlog == on) return;
    c.backlog = on;
    update_interest(c);
    if (!on) {
        backlog_.erase(c.id);
        return;
    }
    backlog_.insert(c.id);
    if (drain_timer_) return;
    // A zero timer makes the next pass start without sleeping.
    drain_timer_ = loop_.add_timer(std::chrono::milliseconds(0), [this] {
        drain_timer_ = 0;
        auto ids = backlog_;
        for (auto id : ids) {
            if (Connection* b = conn(id)) {
                b->frames_this_pass = 0;
                b->backlog = false;  // drain() sets it again if frames remain
                backlog_.erase(id);
                drain(*b);
                if (!b->dead && !b->backlog) update_interest(*b);
            } else {
                backlog_.erase(id);
            }
        }
    });
}

void Server::update_interest(Connection& c) {
    if (c.dead) return;
    const bool hold = c.backlog || c.closing || c.held_full();
    uint32_t mask = (hold ? 0u : uint32_t(EventLoop::Readable)) |
                    (c.want_write ? uint32_t(EventLoop::Writable) : 0u);
    loop_.modify_fd(c.fd.get(), mask);
}

void Server::write_some(Connection& c) {
    size_t budget = kWritePerEvent;
    while (c.out_pending() > 0 && budget > 0) {
        size_t n = std::min(c.out_pending(), budget);
        ssize_t w = ::send(c.fd.get(), c.out.data() + c.out_off, n, MSG_NOSIGNAL);
        if (w > 0) {
            c.out_off += size_t(w);
            budget -= size_t(w);
            continue;
        }
        if (w < 0 && errno == EINTR) continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
        close(c, "write error");
        return;
    }
    if (c.out_pending() == 0) {
        // Drop the capacity of a big reply (a 512 KiB mailbox page) so idle
        // connections don't each keep one.
        if (c.out.capacity() > 64 * 1024) Bytes().swap(c.out);
        c.out.clear();
        c.out_off = 0;
        if (c.closing && c.pending.empty() && c.sealing.empty()) {
            close(c, "closed after reply");
            return;
        }
    } else if (c.out_off > (1u << 20)) {
        c.out.erase(c.out.begin(), c.out.begin() + long(c.out_off));
        c.out_off = 0;
    }
    bool want = c.out_pending() > 0;
    if (want != c.want_write) {
        c.want_write = want;
        update_interest(c);
    }
}

void Server::close(Connection& c, const char* why) {
    if (c.dead) return;
    log_conn(c, fmt::format("closed: {}", why));
    sessions_.detach(c);
    if (auto it = per_peer_.find(c.peer_key); it != per_peer_.end() && --it->second == 0) per_peer_.erase(it);
    loop_.remove_fd(c.fd.get());
    c.dead = true;
    c.pending.clear();
    c.sealing.clear();  // signatures still in the pool find nothing (on_signed)
    dead_.push_back(c.id);
}

// Ends a connection once what it was already answered is written, after
// this pass's commit as always: the replies owed to frames handled before a
// fatal one (a bad length or seal, EOF) still go out. Nothing more is read,
// and frames that wait behind it are never answered.
void Server::close_after_output(Connection& c, const char* why) {
    if (c.dead) return;
    // Frames held for their signature checks came first: the close waits
    // behind them (run_held). One being handled now is not waited for.
    if (!c.held.empty() && !c.preverified) {
        if (c.held.back().close_why) return;
        Preverified p;
        p.close_why = why;
        c.held.push_back(std::move(p));
        update_interest(c);
        return;
    }
    if (!c.owes_output()) return close(c, why);
    log_conn(c, fmt::format("closing: {}", why));
    c.closing = true;
    outbox_.wake(c.id);
    update_interest(c);
}

// -------------------------------------------------------------- frames

void Server::on_frame(Connection& c, Bytes& body) {
    if (c.state == ConnState::AwaitFirst || c.state == ConnState::KeySent) {
        Request req{0, body, 0};
        Ctx ctx(services_, c, req);
        if (const char* why = handle_plain(ctx)) close(c, why);
        return;
    }
    if (c.state == ConnState::Opening) return close(c, "frame before HELLO_R");
    on_sealed(c, body);
}

void Server::on_sealed(Connection& c, ByteView body) {
    if (c.closing) return;
    if (c.renew_pending) return close(c, "frame during key renewal");
    uint64_t seq = c.channel->next_recv_seq();
    auto pt = c.channel->open(body);
    // Replies owed to the frames before it still go out (a RENEW3_R).
    if (!pt) return close_after_output(c, "frame does not open");
    if (c.state == ConnState::Resuming) {
        Request req{0, pt->view(), seq};
        Ctx ctx(services_, c, req);
        if (const char* why = complete_resume(ctx)) return close(c, why);
    }
    // Behind a held frame: in line, its signature checked meanwhile.
    if (!c.held.empty()) {
        hold_frame(c, pt->view(), seq, true);
        return;
    }
    dispatch(c, pt->view(), seq, false);
}

void Server::dispatch(Connection& c, ByteView pt, uint64_t seq, bool from_held) {
    if (pt.empty()) return close_after_output(c, "empty message");
    if (!c.logged_in() && ++c.prelogin_frames > kPreLoginFrames)
        return close_after_output(c, "pre-login budget spent: too many frames");
    uint8_t type = pt[0];
    const HandlerEntry* h = find_handler(type);
    Request req{type, pt, seq};
    Ctx ctx(services_, c, req);
    if (!h) {
        ctx.error(Nonce{}, proto::BAD_REQUEST, fmt::format("unknown message type 0x{:02x}", type), false);
        return;
    }
    uint8_t st = c.state == ConnState::LoggedIn ? ST_LOGGED_IN : ST_OPEN;
    if (!(h->states & st)) {
        ctx.error(Nonce{}, proto::AUTH_FAILED,
                  st == ST_OPEN ? "log in first" : "not allowed once logged in", false);
        return;
    }
    if (st == ST_OPEN && h->signed_req && c.prelogin_bad_sigs >= kPreLoginBadSigs)
        return close_after_output(c, "pre-login budget spent: too many bad signatures");
    if (!from_held && st == ST_LOGGED_IN && h->signed_req && hold_frame(c, pt, seq, false)) return;
    handle(c, *h, pt, seq);
}

// Puts a frame in c's line of held frames, handing its signature (the
// session key's) to the pool if it is a logged-in signed request: the
// RSA-PSS verify is the costliest part of most requests. Without always,
// only such a request is held; true: it is handled later (run_held). A
// signature the pool cannot see (no session key, a request that does not
// parse) is left to the handler.
bool Server::hold_frame(Connection& c, ByteView pt, uint64_t seq, bool always) {
    Preverified p;
    p.type = pt.empty() ? 0 : pt[0];
    p.seq = seq;
    const HandlerEntry* h = pt.empty() ? nullptr : find_handler(pt[0]);
    std::optional<RequestSig> rs;
    if (pool_.threads() > 0 && c.logged_in() && h && h->signed_req && c.session && c.session->key)
        rs = request_sig(pt);
    if (!rs && !always) return false;
    p.plaintext = Secret(pt);
    Bytes in, der, sig;
    if (rs) {
        p.check = Preverified::Check::Running;
        p.signed_len = rs->signed_len;
        p.sig = std::move(rs->sig);
        p.key = c.session->key;
        in = msg::sig_input(proto::C2S, c.session_id, seq, pt.first(rs->signed_len));
        // A worker verifies with its own parsed copy of the key: mbedTLS
        // contexts are not shared between threads (verify_with_cached_key).
        der = p.key->public_der();
        sig = p.sig;
    }
    c.held.push_back(std::move(p));
    if (c.held_full()) update_interest(c);
    if (!rs) return true;
    pool_.run([this, id = c.id, seq, in = std::move(in), der = std::move(der),
               sig = std::move(sig)](const ServerIdentity&) -> CryptoPool::Done {
        bool ok = false;
        try {
            ok = verify_with_cached_key(der, in, sig);
        } catch (const std::exception& e) {
            fmt::print(stderr, "tacitd: verifying failed: {}\n", e.what());
        }
        return [this, id, seq, ok] { on_preverified(id, seq, ok); };
    });
    return true;
}

// The pool's answer, on the loop thread (or at once, when the pool ran the
// job itself): the held frames now ready are handled in order, then the
// frames that waited in the decoder.
void Server::on_preverified(uint64_t conn_id, uint64_t seq, bool ok) {
    Connection* c = conn(conn_id);
    if (!c) return;
    for (auto& p : c->held)
        if (!p.barrier && p.seq == seq && p.check == Preverified::Check::Running) {
            p.check = Preverified::Check::Done;
            p.ok = ok;
        }
    resume_line(*c);
}

// A held frame's check or a barrier is done: what is ready now is
// handled, then the frames that waited in the decoder.
void Server::resume_line(Connection& c) {
    run_held(c);
    if (c.dead || c.closing || draining_) return;  // inside drain: it goes on
    update_interest(c);
    if (c.backlog || c.held_full()) return;
    c.frames_this_pass = 0;
    drain(c);
}

void Server::run_held(Connection& c) {
    while (!c.dead && !c.held.empty() && c.held.front().ready()) {
        if (c.closing) return c.held.clear();
        // RENEW2 was handled; the frames behind it break the renewal.
        if (c.renew_pending) return close(c, "frame during key renewal");
        if (const char* why = c.held.front().close_why) {
            c.held.clear();
            return close_after_output(c, why);
        }
        if (c.held.front().barrier) {
            c.held.pop_front();
            continue;
        }
        c.preverified = std::move(c.held.front());
        c.held.pop_front();
        dispatch(c, c.preverified->plaintext.view(), c.preverified->seq, true);
        c.preverified.reset();
    }
}

void Server::handle(Connection& c, const HandlerEntry& hr, ByteView pt, uint64_t seq) {
    const HandlerEntry* h = &hr;
    Request req{pt[0], pt, seq};
    Ctx ctx(services_, c, req);
    // The closed error boundary: nothing a handler throws goes further.
    const size_t owed = c.pending.size();
    try {
        if (h == fault_ && fault_at_ == FaultAt::Handler) throw std::logic_error("TACITD_TEST_FAULT");
        if (h == fault_ && fault_at_ == FaultAt::Reply)
            queue(c, Outgoing{[](bool) -> std::optional<Bytes> { throw std::logic_error("TACITD_TEST_FAULT"); },
                              false, false, {}});
        h->fn(ctx);
    } catch (const WireError& e) {
        ctx.error(Nonce{}, proto::BAD_REQUEST, fmt::format("malformed message: {}", e.what()), false);
    } catch (const store::StoreError& e) {
        fail_request(ctx, *h, owed, fmt::format("storage error: {}", e.what()), "storage error");
    } catch (const std::exception& e) {
        fail_request(ctx, *h, owed, e.what(), "server error");
    } catch (...) {
        fail_request(ctx, *h, owed, "unknown exception", "server error");
    }
}

// A handler threw. A store operation is atomic, so the store holds all or
// none of each; what the handler queued for this request is dropped (a
// continuation still owed finds its place gone), and the request gets
// ERROR INTERNAL.
void Server::fail_request(Ctx& ctx, const HandlerEntry& h, size_t owed, std::string_view what,
                          std::string_view shown) {
    Connection& c = ctx.conn;
    if (!c.dead && !c.closing && c.pending.size() > owed)
        c.pending.erase(c.pending.begin() + long(owed), c.pending.end());
    answer_internal(ctx, h, what, shown);
}

// ------------------------------------------------------------ output

// The group commit: the store makes this pass's writes durable at once and
// completes their operations, whose continuations fill the replies (and
// end the sessions a RENEW3 ended, whatever became of the connection that
// asked). Completions may start more operations; each round commits what
// the one before started.
bool Server::finish_store_pass() {
    constexpr int kMaxRounds = 4;
    bool committed = true;
    for (int round = 0; round < kMaxRounds && store_->busy(); ++round)
        if (!store_->finish_pass()) {
            committed = false;
            fmt::print(stderr, "tacitd: commit failed; this pass's writes were rolled back\n");
        }
    return committed;
}

void Server::before_sleep() {
    // Before any flush: replies wait for the commit.
    const bool committed = finish_store_pass();
    // Flushing may queue more (a renewal switching keys does not, but NOTIFY
    // from a presence change might), so loop until quiet.
    // The pass's signatures go to the pool once all is flushed; with no
    // workers they are made here, and what they free is flushed too. While
    // every worker is signing a batch, the signatures asked for meanwhile
    // wait and grow the next one (a group commit of signatures): an idle
    // server signs each reply at once, a busy one once per batch.
    for (;;) {
        while (!outbox_.idle()) {
            for (auto id : outbox_.take_flush())
                if (Connection* c = conn(id)) flush(*c, committed);
        }
        if (to_sign_.empty() || batches_signing_ >= std::max(1u, pool_.threads())) break;
        sign_batch();
    }
    // Reaped here, never inside their own callbacks (redis freeClientAsync).
    for (auto id : dead_) conns_.erase(id);
    dead_.clear();
}

// Builds one queued frame after the commit and puts it in line to be
// sealed: at once, or once the pool has signed it (seal_ready).
void Server::emit(Connection& c, Outgoing& o, bool committed) {
    auto body = o.build(committed);
    auto s = std::make_shared<Sealing>();
    s->committed = committed;
    s->after = std::move(o.after);
    if (body && (o.raw || c.channel)) {
        s->frame = true;
        s->raw = o.raw;
        s->body = std::move(*body);
        if (!o.raw && o.sign) s->state = Sealing::State::Unsigned;
    }
    c.sealing.push_back(std::move(s));
}

// Seals c's built frames into its output in the order they were built, up
// to the first whose signature is still owed: no later frame goes first,
// so each is sealed at the sequence number it was signed over.
void Server::seal_ready(Connection& c) {
    size_t done = 0;
    for (; done < c.sealing.size(); ++done) {
        Sealing& s = *c.sealing[done];
        if (s.state == Sealing::State::Unsigned || s.state == Sealing::State::Signing) break;
        if (s.state == Sealing::State::Signed) {
            if (s.sig.empty()) return close(c, "internal error");  // logged by the worker
            msg::append_sig(s.body, s.sig);
        }
        if (s.frame) {
            Bytes frame = s.raw ? std::move(s.body) : c.channel->seal(s.body);
            c.out.insert(c.out.end(), frame.begin(), frame.end());
        }
        // after() may switch the channel's keys (RENEW2_R), or close c.
        if (s.after) s.after(s.committed);
        if (c.dead) return;
    }
    c.sealing.erase(c.sealing.begin(), c.sealing.begin() + long(done));
    request_signatures(c);
}

// Hands the pool every owed signature whose sequence number is known: the
// channel's next one plus the frames ahead of it in line, as far as the
// first frame with an after(), which may switch keys (sequence numbers and
// session id both) for what follows it.
void Server::request_signatures(Connection& c) {
    if (!c.channel) return;
    uint64_t seq = c.channel->next_send_seq();
    for (auto& sp : c.sealing) {
        Sealing& s = *sp;
        if (s.state == Sealing::State::Unsigned) {
            Bytes in = msg::sig_input(proto::S2C, c.session_id, seq, s.body);
            s.state = Sealing::State::Signing;
            to_sign_.push_back(ToSign{c.id, sp, std::move(in)});
            if (!cfg_.batch_sign) sign_batch();  // a tree of one, as each reply its own signature
        }
        if (s.frame && !s.raw) ++seq;
        if (s.after) break;
    }
}

// Hands the pool what this pass asked to sign, as one batch: a Merkle
// tree over the signature inputs and one P-256 signature on its root
// (shared/batch_sig.hpp, tacit-protocol(7) "Batch signatures"); each reply
// gets its proof in the sig field.
void Server::sign_batch() {
    if (to_sign_.empty()) return;
    auto batch = std::make_shared<std::vector<ToSign>>(std::exchange(to_sign_, {}));
    std::vector<Bytes> inputs;
    inputs.reserve(batch->size());
    for (auto& t : *batch) inputs.push_back(std::move(t.input));
    ++batches_signing_;
    pool_.run([this, batch, inputs = std::move(inputs)](const ServerIdentity& keys) -> CryptoPool::Done {
        std::vector<Bytes> proofs;
        try {
            proofs = batch::sign(keys.sign, inputs);
        } catch (const std::exception& e) {
            // Only a bug or exhausted memory: the empty signatures close
            // the replies' connections (seal_ready).
            fmt::print(stderr, "tacitd: signing failed: {}\n", e.what());
            proofs.assign(batch->size(), Bytes());
        }
        return [this, batch, proofs = std::move(proofs)]() mutable {
            --batches_signing_;
            for (size_t i = 0; i < batch->size(); ++i)
                on_signed((*batch)[i].conn_id, (*batch)[i].sealing, std::move(proofs[i]));
        };
    });
}

// A worker's signature, on the loop thread. The connection may be gone
// (its line was cleared, so s is too): the signature is dropped.
void Server::on_signed(uint64_t conn_id, const std::weak_ptr<Sealing>& w, Bytes sig) {
    auto s = w.lock();
    Connection* c = conn(conn_id);
    if (!s || !c) return;
    s->sig = std::move(sig);
    s->state = Sealing::State::Signed;
    outbox_.wake(conn_id);
}

void Server::flush(Connection& c, bool committed) {
    // The second error boundary: what a handler left to run after the
    // commit. This connection's replies cannot be trusted past a throw, so
    // it closes; everyone else goes on.
    try {
        seal_ready(c);
        // Callbacks may queue more for this connection; those go out in the
        // next round of the loop, still in order.
        bool waiting = false;
        while (!c.pending.empty() && !c.dead && !waiting) {
            auto batch = std::move(c.pending);
            c.pending.clear();
            for (size_t i = 0; i < batch.size() && !c.dead; ++i) {
                Outgoing* o = &batch[i];
                if (o->slot && !o->slot->filled) {
                    // An operation still owes this reply: it and all behind
                    // it wait, ahead of what was queued meanwhile.
                    c.pending.insert(c.pending.begin(), std::make_move_iterator(batch.begin() + long(i)),
                                     std::make_move_iterator(batch.end()));
                    waiting = true;
                    break;
                }
                if (o->slot) o = o->slot->out ? &*o->slot->out : nullptr;
                if (o) emit(c, *o, committed);
            }
            if (!c.dead) seal_ready(c);
        }
    } catch (const std::exception& e) {
        log_conn(c, fmt::format("reply failed: {}", std::string_view(e.what()).substr(0, 200)));
        return close(c, "internal error");
    }
    if (c.dead) return;
    if (c.out_pending() > cfg_.output_cap) return close(c, "output cap exceeded (slow reader)");
    write_some(c);
}

void Server::sweep() {
    uint64_t mono = mono_ms();
    for (auto& [id, c] : conns_) {
        if (c->dead) continue;
        bool handshaking = c->state == ConnState::AwaitFirst || c->state == ConnState::KeySent ||
                           c->state == ConnState::Opening || c->state == ConnState::Resuming;
        if (handshaking && mono - c->accepted_ms > cfg_.handshake_timeout_ms) close(*c, "handshake timeout");
        // From accept, whatever the peer sends: PING keeps a connection from
        // going idle, not a stranger holding a slot.
        else if (!c->logged_in() && mono - c->accepted_ms > cfg_.login_deadline_ms) close(*c, "login deadline");
        else if (mono - c->last_rx_ms > cfg_.idle_timeout_ms) close(*c, "idle timeout");
    }
    sessions_.sweep();
    limits_.sweep(mono);
}

}  // namespace tacit::srv
