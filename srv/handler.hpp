// What a request handler sees: the narrow context. Handlers parse, check,
// then act through it alone: the store, replies on their connection, the
// sessions, presence, the limits, the server's keys and the wall clock.
// They never see the server's connections or I/O, so either can change
// without touching them.
#pragma once
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "shared/crypto.hpp"
#include "shared/keys.hpp"
#include "shared/messages.hpp"
#include "shared/protocol.hpp"
#include "srv/connection.hpp"
#include "srv/crypto_pool.hpp"
#include "srv/limits.hpp"
#include "srv/outbox.hpp"
#include "srv/presence.hpp"
#include "srv/sessions.hpp"
#include "srv/store/operations.hpp"

namespace tacit::srv {

struct Request {
    uint8_t type;
    ByteView plaintext;  // type | fields | sigs
    uint64_t seq;        // the c2s sequence number this frame was sealed at
};

struct HandlerEntry;

// The parts of the server a handler may reach; Server owns them all.
struct Services {
    store::Operations& store;
    Sessions& sessions;
    Presence& presence;
    Limits& limits;
    const ServerIdentity& identity;
    Outbox& outbox;
    CryptoPool& pool;
    // Closes a connection now (Server::close), for offloaded work that fails.
    std::function<void(Connection&, const char* why)> close;
    // Closes it once what it was answered is written (Server::close_after_output).
    std::function<void(Connection&, const char* why)> close_after_output;
    // Handles what of a connection's held frames is ready (a barrier of
    // verify_then lifted), then reads on (Server::resume_line).
    std::function<void(Connection&)> resume_line;
    // TACITD_TEST_FAULT=NAME:then (tests only): NAME's continuations throw.
    const HandlerEntry* continuation_fault = nullptr;
};

class Ctx {
public:
    Ctx(Services& s, Connection& c, const Request& r) : conn(c), req(r), s_(s) {}
    Connection& conn;
    const Request& req;

    store::Operations& store() { return s_.store; }
    Sessions& sessions() { return s_.sessions; }
    Presence& presence() { return s_.presence; }
    Limits& limits() { return s_.limits; }
    const ServerIdentity& identity() const { return s_.identity; }
    uint64_t wall_ms() const;  // tokens, stored times

    // Verifies a signature over this request's sig input (direction c2s,
    // this connection's session id, this frame's sequence number).
    bool verify(const crypto::PkKey& key, size_t signed_len, ByteView sig) const;
    // This request's signature input over its first signed_len bytes.
    Bytes sig_input(size_t signed_len) const;

    // A signature checked on the crypto pool instead of the loop, for one
    // the pool cannot check before the handler runs (Server::hold_frame
    // checks only the session key's over a request): key verifies sig over
    // input on a worker, then k(ctx, ok) runs on the loop, in this
    // request's place among the replies, in a later pass. The connection's
    // frames after this one wait until k has run, so none of them takes
    // effect first. If the connection is gone by then, k does not run.
    // Before login the pre-login budget counts the result before k runs.
    //
    // Which copy of key the worker checks with. Cached: its own parse,
    // kept (verify_with_cached_key), for a logged-in user's keys. Fresh:
    // parsed for this check alone, for the requests of a peer that has
    // proved nothing (REGISTER, LOGIN1, LOGIN2): a check then costs the
    // same whether or not the key was seen before, so a login's time does
    // not tell a known name from a decoy (tacit-protocol(7), LOGIN), and
    // such peers cannot push logged-in users' keys out of the caches.
    enum class KeyCopy : uint8_t { Cached, Fresh };
    void verify_then(const crypto::PkKey& key, Bytes input, Bytes sig, std::function<void(Ctx&, bool ok)> k,
                     KeyCopy copy = KeyCopy::Cached);
    // Several signatures by one key (REGISTER's own and its signed
    // prekey's), checked in order on one worker as verify_then checks one,
    // up to the first that fails: k gets that one's index, or
    // checks.size() when all verify. The pre-login budget counts them as
    // one signature, good only if all verify, so a peer cannot start the
    // budget again with one good signature beside a bad one.
    struct SigCheck {
        Bytes input, sig;
    };
    void verify_all_then(const crypto::PkKey& key, std::vector<SigCheck> checks,
                         std::function<void(Ctx&, size_t failed)> k, KeyCopy copy);

    // The one way a handler continues after a store operation
    // (store/operations.hpp): k runs with a Ctx for the same request once
    // the operation completes, whenever that is (at once, at the end of
    // the pass, or later), and a write's status is final by then: OK means
    // durable, so k replies and notifies as it sees fit. The request keeps
    // its place among the connection's replies until k has answered. If
    // the connection is gone by then, k still runs (a renewal must still
    // end sessions, a delivery still notify), but its replies go nowhere.
    // k must capture values, never references into the handler's frame. A
    // throw from k is answered with INTERNAL, as one from a handler.
    template <class T> store::Done<T> then(std::function<void(Ctx&, T)> k);

    // Public-key work for the crypto pool (srv/crypto_pool.hpp): work runs
    // on a worker with that worker's copy of the server keys, and the
    // Finish it returns runs on the loop with a Ctx for the same connection
    // (no request), in a later pass or at once when the pool's queue is
    // full, and only if the connection is still open. A reason Finish
    // returns, or a throw from either, closes the connection. work must
    // copy what it reads and touch nothing of the loop's.
    using Finish = std::function<const char*(Ctx&)>;
    void offload(std::function<Finish(const ServerIdentity&)> work);

    // Queues a reply; it goes out after this pass's commit.
    void reply(Bytes type_fields, bool sign);
    void reply_after_commit(std::function<Bytes(bool committed)> build, bool sign,
                            std::function<void(bool)> after = {});
    void error(const Nonce& nonce, uint8_t status, std::string msg, bool sign);
    // Queues a whole frame, already framed or sealed (the handshake's).
    void reply_frame(Bytes frame);
    // Ends the connection once its queued output is written.
    void close_after_output(const char* why);
    // Is the token the one of this connection's session? (constant time)
    bool token_ok(const Token& t) const;
    const std::string& user() const;

private:
    // What then() keeps of the request until the operation completes.
    struct Later {
        Services* services;
        uint64_t conn_id;
        uint8_t type;
        Bytes plaintext;
        uint64_t seq;
        std::shared_ptr<ReplySlot> slot;
    };
    std::shared_ptr<Later> hold();
    static void resume(const Later& l, const std::function<void(Ctx&)>& k);
    void put(Outgoing o);

    Services& s_;
    std::shared_ptr<ReplySlot> slot_;  // in a continuation: where its reply goes
    bool slot_passed_ = false;         // ... handed on to a further operation
};

template <class T> store::Done<T> Ctx::then(std::function<void(Ctx&, T)> k) {
    return [later = hold(), k = std::move(k)](T v) mutable { resume(*later, [&](Ctx& c) { k(c, std::move(v)); }); };
}

// ERROR INTERNAL to the request, signed as any ERROR to it would be
// (tacit-protocol(7)), after logging what failed: the error boundary's
// answer, for a handler (Server::dispatch) and a continuation alike.
void answer_internal(Ctx& ctx, const HandlerEntry& h, std::string_view what, std::string_view shown);

// ERROR{nonce, status, msg} as type | fields.
Bytes error_body(const Nonce& n, uint8_t status, std::string_view msg);

// "tacitd: conn=ID peer=PEER what" on stderr.
void log_conn(const Connection& c, std::string_view what);

using HandlerFn = void (*)(Ctx&);

enum StateBit : uint8_t { ST_OPEN = 1, ST_LOGGED_IN = 2 };

struct HandlerEntry {
    uint8_t type;
    std::string_view name;  // the message's name in tacit-protocol(7), for the log
    uint8_t states;   // where the request is allowed; everything else is denied
    bool signed_req;  // an ERROR to it is signed if it parsed
    HandlerFn fn;
};

// The one table (srv/handlers/table.cpp).
const HandlerEntry* find_handler(uint8_t type);
const HandlerEntry* find_handler(std::string_view name);  // "PING", "MSG1", ...

// The nonce of a request that parses as its type (what an ERROR to it
// carries); nullopt when it does not parse.
std::optional<Nonce> request_nonce(ByteView plaintext);

// The first signature of a request that parses as its type and carries one,
// with the bytes of type | fields it covers; nullopt otherwise.
struct RequestSig {
    size_t signed_len;
    Bytes sig;
};
std::optional<RequestSig> request_sig(ByteView plaintext);

// The handshake (srv/handlers/handshake.cpp), before the channel: each
// returns why the connection must close now, or nullptr.
// handle_plain: a plaintext frame (KEY_REQUEST, HELLO, RESUME); ctx.req
// holds its whole body and no type or sequence number.
const char* handle_plain(Ctx&);
// complete_resume: a resumed connection's first sealed frame opened.
const char* complete_resume(Ctx&);

// Each handler lives in its own file under srv/handlers/.
void handle_ping(Ctx&);
void handle_register(Ctx&);
void handle_renew1(Ctx&);
void handle_renew2(Ctx&);
void handle_renew3(Ctx&);
void handle_login1(Ctx&);
void handle_login2(Ctx&);
void handle_logout(Ctx&);
void handle_online(Ctx&);
void handle_msg1(Ctx&);
void handle_msg2(Ctx&);
void handle_update1(Ctx&);
void handle_update2(Ctx&);
void handle_group_create(Ctx&);
void handle_group_add(Ctx&);
void handle_group_remove(Ctx&);
void handle_group_msg1(Ctx&);
void handle_group_msg2(Ctx&);
void handle_group_msg2_batch(Ctx&);
void handle_group_fetch(Ctx&);
void handle_group_list(Ctx&);
void handle_prekey_upload(Ctx&);
void handle_prekey_fetch(Ctx&);

}  // namespace tacit::srv
