#include "srv/handler.hpp"

#include <algorithm>

#include <fmt/core.h>

#include "shared/clock.hpp"
#include "srv/store/store_error.hpp"

namespace tacit::srv {

Bytes error_body(const Nonce& n, uint8_t status, std::string_view msg) {
    msg::Error e;
    e.nonce = n;
    e.status = status;
    e.msg = std::string(msg);
    return msg::encode_body(e);
}

void log_conn(const Connection& c, std::string_view what) {
    fmt::print(stderr, "tacitd: conn={} peer={} {}\n", c.id, c.peer, what);
}

uint64_t Ctx::wall_ms() const { return tacit::wall_ms(); }

namespace {

// The pre-login budget (tacitd(8)) starts again on a good signature and
// counts a bad one.
void count_prelogin_sig(Connection& c, bool ok) {
    if (c.logged_in()) return;
    if (ok) c.prelogin_frames = c.prelogin_bad_sigs = 0;
    else ++c.prelogin_bad_sigs;
}

// Names each verify_then barrier on the loop thread.
uint64_t g_next_barrier = 1;

}  // namespace

Bytes Ctx::sig_input(size_t signed_len) const {
    return msg::sig_input(proto::C2S, conn.session_id, req.seq, req.plaintext.first(signed_len));
}

bool Ctx::verify(const crypto::PkKey& key, size_t signed_len, ByteView sig) const {
    // The pool checked this very signature before the handler ran.
    if (const auto& p = conn.preverified;
        p && p->seq == req.seq && p->key.get() == &key && p->signed_len == signed_len &&
        p->sig.size() == sig.size() && std::equal(sig.begin(), sig.end(), p->sig.begin()))
        return p->ok;
    bool ok = key.verify(sig_input(signed_len), sig);
    count_prelogin_sig(conn, ok);
    return ok;
}

void Ctx::verify_then(const crypto::PkKey& key, Bytes input, Bytes sig, std::function<void(Ctx&, bool)> k,
                      KeyCopy copy) {
    std::vector<SigCheck> one;
    one.push_back(SigCheck{std::move(input), std::move(sig)});
    verify_all_then(key, std::move(one), [k = std::move(k)](Ctx& ctx, size_t failed) { k(ctx, failed == 1); },
                    copy);
}

void Ctx::verify_all_then(const crypto::PkKey& key, std::vector<SigCheck> checks,
                          std::function<void(Ctx&, size_t)> k, KeyCopy copy) {
    auto later = hold();
    const uint64_t ticket = g_next_barrier++;
    Preverified b;
    b.check = Preverified::Check::Running;
    b.barrier = ticket;
    // At the front: the frames held now all came after this request.
    conn.held.push_front(std::move(b));
    // A worker verifies with a parsed copy of the key of its own: mbedTLS
    // contexts are not shared between threads.
    s_.pool.run_later([s = &s_, later, ticket, der = key.public_der(), checks = std::move(checks), k = std::move(k),
                       copy](const ServerIdentity&) -> CryptoPool::Done {
        size_t failed = 0;
        try {
            for (; failed < checks.size(); ++failed) {
                const auto& c = checks[failed];
                if (!(copy == KeyCopy::Fresh ? verify_with_fresh_key(der, c.input, c.sig)
                                             : verify_with_cached_key(der, c.input, c.sig)))
                    break;
            }
        } catch (const std::exception& e) {
            fmt::print(stderr, "tacitd: verifying failed: {}\n", e.what());
        }
        return [s, later, ticket, failed, all = checks.size(), k] {
            Connection* c = s->outbox.live(later->conn_id);
            if (!c) return;
            count_prelogin_sig(*c, failed == all);
            resume(*later, [&](Ctx& ctx) { k(ctx, failed); });
            if (!(c = s->outbox.live(later->conn_id))) return;
            for (auto& p : c->held)
                if (p.barrier == ticket) p.check = Preverified::Check::Done;
            s->resume_line(*c);
        };
    });
}

void Ctx::offload(std::function<Finish(const ServerIdentity&)> work) {
    s_.pool.run([s = &s_, id = conn.id, work = std::move(work)](const ServerIdentity& keys) -> CryptoPool::Done {
        Finish f;
        try {
            f = work(keys);
        } catch (const std::exception& e) {
            // Only a bug or exhausted memory (CryptoError).
            f = [what = std::string(e.what())](Ctx& ctx) {
                log_conn(ctx.conn, fmt::format("crypto failed: {}", what.substr(0, 200)));
                return "internal error";
            };
        }
        return [s, id, f = std::move(f)] {
            Connection* c = s->outbox.live(id);
            if (!c || c->closing) return;
            const Request none{0, {}, 0};
            Ctx ctx(*s, *c, none);
            const char* why = nullptr;
            try {
                why = f(ctx);
            } catch (const std::exception& e) {
                log_conn(*c, fmt::format("crypto finish failed: {}", std::string_view(e.what()).substr(0, 200)));
                why = "internal error";
            }
            if (why && !c->dead) s->close(*c, why);
        };
    });
}

std::shared_ptr<Ctx::Later> Ctx::hold() {
    auto l = std::make_shared<Later>(Later{&s_, conn.id, req.type, Bytes(req.plaintext.begin(), req.plaintext.end()),
                                           req.seq, nullptr});
    if (slot_ && !slot_->filled && !slot_passed_) {
        // A continuation starting another operation hands its place on.
        l->slot = slot_;
        slot_passed_ = true;
    } else {
        l->slot = std::make_shared<ReplySlot>();
        Outgoing hole;
        hole.slot = l->slot;
        s_.outbox.queue(conn, std::move(hole));
    }
    return l;
}

void Ctx::resume(const Later& l, const std::function<void(Ctx&)>& k) {
    Connection* c = l.services->outbox.live(l.conn_id);
    std::optional<Connection> gone;  // closed meanwhile: replies go nowhere
    if (!c) {
        gone.emplace();
        gone->dead = true;
    }
    const Request r{l.type, l.plaintext, l.seq};
    Ctx ctx(*l.services, c ? *c : *gone, r);
    ctx.slot_ = l.slot;
    try {
        if (l.services->continuation_fault && l.services->continuation_fault == find_handler(l.type))
            throw std::logic_error("TACITD_TEST_FAULT");
        k(ctx);
    } catch (const std::exception& e) {
        const HandlerEntry* h = find_handler(l.type);
        if (!h) throw;
        l.slot->filled = false;
        ctx.slot_passed_ = false;
        const bool store_error = dynamic_cast<const store::StoreError*>(&e) != nullptr;
        answer_internal(ctx, *h, store_error ? fmt::format("storage error: {}", e.what()) : std::string(e.what()),
                        store_error ? "storage error" : "server error");
    }
    // A continuation that answers nothing (UPDATE2) frees its place.
    if (!ctx.slot_passed_ && !l.slot->filled) {
        Outgoing nothing;
        nothing.build = [](bool) { return std::optional<Bytes>(); };
        ctx.put(std::move(nothing));
    }
}

void Ctx::put(Outgoing o) {
    if (!slot_) return s_.outbox.queue(conn, std::move(o));
    slot_->out = std::move(o);
    slot_->filled = true;
    slot_passed_ = false;
    if (!conn.dead) s_.outbox.wake(conn.id);
}

void Ctx::reply(Bytes type_fields, bool sign) {
    put(Outgoing{[b = std::move(type_fields)](bool) { return std::optional<Bytes>(b); }, sign, false, {}});
}

void Ctx::reply_after_commit(std::function<Bytes(bool)> build, bool sign, std::function<void(bool)> after) {
    put(Outgoing{[build = std::move(build)](bool ok) { return std::optional<Bytes>(build(ok)); }, sign, false,
                 std::move(after)});
}

void Ctx::close_after_output(const char* why) { s_.close_after_output(conn, why); }

void Ctx::reply_frame(Bytes frame) {
    put(Outgoing{[f = std::move(frame)](bool) { return std::optional<Bytes>(f); }, false, true, {}});
}

void answer_internal(Ctx& ctx, const HandlerEntry& h, std::string_view what, std::string_view shown) {
    Connection& c = ctx.conn;
    log_conn(c, fmt::format("{} failed: {}", h.name, what.substr(0, 200)));
    if (c.dead || c.closing) return;
    auto nonce = request_nonce(ctx.req.plaintext);
    bool sign = c.logged_in() && h.signed_req && nonce;
    ctx.error(nonce.value_or(Nonce{}), proto::INTERNAL, std::string(shown), sign);
}

void Ctx::error(const Nonce& nonce, uint8_t status, std::string msg, bool sign) {
    reply(error_body(nonce, status, msg), sign);
}

bool Ctx::token_ok(const Token& t) const {
    // Expiry is checked here too: the sweep that ends expired sessions runs
    // only once a second.
    return conn.session && !conn.session->ended && conn.session->expires_ms > wall_ms() &&
           ct_equal(crypto::sha256(t), conn.session->hash);
}

const std::string& Ctx::user() const {
    static const std::string none;
    return conn.session ? conn.session->user : none;
}

}  // namespace tacit::srv
