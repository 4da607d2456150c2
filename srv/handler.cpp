#include "srv/handler.hpp"

#include <fmt/core.h>

#include "shared/clock.hpp"

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

bool Ctx::verify(const crypto::PkKey& key, size_t signed_len, ByteView sig) const {
    auto in = msg::sig_input(proto::C2S, conn.session_id, req.seq, req.plaintext.first(signed_len));
    bool ok = key.verify(in, sig);
    if (!conn.logged_in()) {
        // The pre-login budget (tacitd(8)) starts again on a good one.
        if (ok) conn.prelogin_frames = conn.prelogin_bad_sigs = 0;
        else ++conn.prelogin_bad_sigs;
    }
    return ok;
}

void Ctx::reply(Bytes type_fields, bool sign) {
    s_.outbox.queue(conn, Outgoing{[b = std::move(type_fields)](bool) { return std::optional<Bytes>(b); },
                                   sign, false, {}});
}

void Ctx::reply_after_commit(std::function<Bytes(bool)> build, bool sign, std::function<void(bool)> after) {
    s_.outbox.queue(conn, Outgoing{[build = std::move(build)](bool ok) { return std::optional<Bytes>(build(ok)); },
                                   sign, false, std::move(after)});
}

void Ctx::reply_frame(Bytes frame) {
    s_.outbox.queue(conn, Outgoing{[f = std::move(frame)](bool) { return std::optional<Bytes>(f); }, false, true, {}});
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
