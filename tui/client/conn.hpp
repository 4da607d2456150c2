// The client core's connection to tacitd, on the event loop: a non-blocking
// socket, the frame decoder, the sealed channel and the queue of requests
// waiting for their replies. Nothing here blocks the loop thread: connecting
// (and name lookup) runs on the worker, every read and write is non-blocking.
//
// tacit-protocol(7), Order: replies come in the order of their requests, so
// a reply belongs to the head of the queue. One that doesn't (another type,
// an ERROR echoing another nonce), a frame that fails to open, or a head
// that waits past the timeout leaves the stream untrustworthy: the
// connection closes and every waiting request fails. NOTIFY (and the ERROR
// answering a reply-less UPDATE2) go to the unsolicited handler. Every time
// here (due times, the last send) is the loop's clock, EventLoop::now_ms, so
// a test with a fake clock drives the timeouts.
//
// States, each with what it allows (noise.c style; there are no flags):
//   Connecting     worker connects; nothing to send
//   Handshaking    HELLO, RESUME or KEY_REQUEST sent; the next frame is its answer
//   Open           requests flow
//   Renew2Sent     RENEW2 out: later sends are held, since a client frame before
//                  RENEW2_R closes the connection (tacit-protocol(7), KEY RENEWAL)
//   Renew2Answered RENEW2_R in: frames behind it are sealed under the new keys,
//                  so reading pauses until finish_renew installs them
//   Closed         final; the object lingers only until its awaiters finish
#pragma once
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>

#include "shared/messages.hpp"
#include "tui/client/events.hpp"
#include "tui/client/secure_conn.hpp"
#include "tui/client/task.hpp"
#include "tui/client/worker.hpp"

namespace tacit::client {

// The signers of one request (at most two: RENEW3 carries the old key's and
// the new key's).
struct Signers {
    const crypto::PkKey* first = nullptr;
    const crypto::PkKey* second = nullptr;
};

// A reply that arrived and passed the checks: res is good, or says the
// status or ERROR the server gave; m is set whenever the reply itself came.
template <class Rep> struct Reply {
    Result res;
    std::optional<Rep> m;
    bool ok() const { return res.ok; }
};

// Which field of Rep echoes which nonce (field nullptr: none).
template <class Rep> struct Echo {
    Nonce Rep::*field = nullptr;
    Nonce value{};
};

class Conn : public std::enable_shared_from_this<Conn> {
public:
    enum class State { Connecting, Handshaking, Open, Renew2Sent, Renew2Answered, Closed };
    struct Answer {
        std::optional<Frame> frame;  // the reply (its type, or ERROR)
        std::string error;           // why there is none: the connection closed
    };
    using DoneFn = std::function<void(Answer)>;

    static std::shared_ptr<Conn> make(Resumer resume, Worker& worker, Endpoint ep, ServerBundle server,
                                      int timeout_ms);
    ~Conn();
    Conn(const Conn&) = delete;
    Conn& operator=(const Conn&) = delete;

    // Asks a server for its public bundle in the clear (first contact, TOFU).
    static Task<ServerBundle> key_request(Resumer resume, Worker& worker, Endpoint ep, int timeout_ms);
    Task<void> hello();                    // throws ConnError
    Task<bool> resume(const Token& token); // false: token refused (AUTH_FAILED)

    // Frames that answer no request (NOTIFY; ERROR for a reply-less frame).
    void on_unsolicited(std::function<void(const Frame&)> fn) { unsolicited_ = std::move(fn); }
    // Once, when the connection closes (unless cleared before).
    void on_closed(std::function<void(const std::string&)> fn) { closed_ = std::move(fn); }

    // The one way to ask: seals body (signed by s), queues done for the reply
    // of type want. nonce is the request's own, which an ERROR may echo.
    // Only in Open; held in Renew2Sent/Renew2Answered until the switch.
    void request(Bytes body, uint8_t want, const Nonce& nonce, Signers s, DoneFn done);
    // A frame with no reply (UPDATE2, LOGOUT); an ERROR echoing nonce, if
    // the server sends one, goes to the unsolicited handler.
    void send(Bytes body, Signers s = {}, const Nonce* nonce = nullptr);
    // co_await conn->ask<Rep>(m, signers, &Rep::nonce): the typed request.
    // Signatures, the echoed nonce (the request's own unless expect says
    // otherwise), ERROR and status are all checked here, in one place.
    template <class Rep, class Req>
    auto ask(const Req& m, Signers s = {}, Nonce Rep::*echo = nullptr, std::optional<Nonce> expect = {});

    // Key renewal: co_await conn->renew2(token) sends RENEW2 with a fresh
    // offer (holding every later send); finish_renew installs the new keys.
    auto renew2(const Token& token);
    bool finish_renew(const Array<32>& server_random, const Array<32>& server_eph_pub, const Nonce& nonce);
    void abort_renew();  // RENEW2 answered by ERROR: nothing switched

    // Closes now; waiting requests fail with why. Safe from any callback.
    void close(const std::string& why);
    void logged_in() { dec_.set_max(proto::kMaxFrameLoggedIn); }

    State state() const { return state_; }
    int fd() const { return fd_ ? fd_.get() : -1; }
    bool open() const { return state_ == State::Open; }
    size_t waiting() const { return queue_.size() + held_.size(); }
    // What the head request waits for (its reply type), 0 if none.
    uint8_t head_type() const { return queue_.empty() ? 0 : queue_.front().want; }
    uint64_t last_send_ms() const { return last_send_ms_; }
    const crypto::PkKey& server_key() const { return *server_key_; }
    const ServerBundle& server() const { return server_; }
    const Array<32>& session_id() const { return session_id_; }
    bool verify(const Frame& f, size_t signed_len, ByteView sig) const {
        return verify_s2c(*server_key_, verifier_, session_id_, f, signed_len, sig);
    }

private:
    struct Pending {
        uint8_t want;
        Nonce nonce;
        uint64_t due_ms;
        DoneFn done;
        bool renew2;
    };
    struct FirstFrame;
    template <class Rep> struct Asking;
    Bytes begin_renew(const Token& token);
    void renew2_request(Bytes body, DoneFn done);

    Conn(Resumer resume, Worker& worker, Endpoint ep, ServerBundle server, int timeout_ms);
    Task<Bytes> open_plain(Bytes first_body);  // connect, send in the clear, the answer
    Task<bool> establish(uint8_t kind, const char* label, std::optional<Token> token);
    void open_with(ClientKeys keys);
    void reopen();
    void seal_and_write(Bytes body, Signers s);
    void write(ByteView frame);
    void flush();
    void on_io(uint32_t ev);
    void read_some();
    void process_frames();
    void dispatch(Frame f);
    void arm_timer();
    void fail(const std::string& why);
    Result check_error(const Frame& f, const Nonce& nonce);
    template <class F> auto closing_on_error(F&& f) -> decltype(f());
    template <class Rep> Reply<Rep> check(Answer a, const Nonce& nonce, const Echo<Rep>& echo);

    Resumer resume_;
    EventLoop& loop_;
    Worker& worker_;
    Endpoint ep_;
    ServerBundle server_;
    std::optional<crypto::PkKey> server_key_;  // none only on the key request's connection
    mutable batch::Verifier verifier_;          // a cache: verifying changes nothing seen
    int timeout_ms_;
    State state_ = State::Connecting;
    UniqueFd fd_;
    FrameDecoder dec_{proto::kMaxFramePreLogin};
    Bytes out_;
    size_t out_off_ = 0;
    std::optional<Channel> ch_;
    Array<32> session_id_{};
    std::optional<ClientOffer> renew_;
    uint64_t last_send_ms_ = 0;

    std::deque<Pending> queue_;
    std::deque<std::function<void()>> held_;  // sends made during the switch
    std::deque<Nonce> replyless_;             // recent UPDATE2 nonces an ERROR may echo
    EventLoop::TimerId timer_ = 0;
    std::function<void(const Frame&)> unsolicited_;
    std::function<void(const std::string&)> closed_;

    // The handshake's or key request's answer, awaited by open_plain.
    std::coroutine_handle<> first_waiter_;
    std::optional<Bytes> first_;
    std::string first_error_;
};

// A reply that breaks the rules leaves the stream untrustworthy: close,
// and fail the request with why.
template <class F> auto Conn::closing_on_error(F&& f) -> decltype(f()) {
    try {
        return f();
    } catch (const WireError& e) {
        close(std::string("malformed reply from the server: ") + e.what());
        throw ConnError(std::string("malformed reply: ") + e.what());
    } catch (const ConnError& e) {
        close(e.what());
        throw;
    }
}

template <class Rep> Reply<Rep> Conn::check(Answer a, const Nonce& nonce, const Echo<Rep>& echo) {
    if (!a.frame) throw ConnError(a.error);
    const Frame& f = *a.frame;
    if (msg::type_of(f.pt) == proto::ERROR) return Reply<Rep>{check_error(f, nonce), std::nullopt};
    return closing_on_error([&] {
        auto d = msg::decode<Rep>(f.pt);
        for (auto& s : d.sigs)
            if (!verify(f, d.signed_len, s)) throw ConnError("server signature does not verify");
        if (echo.field && !ct_equal(d.m.*echo.field, echo.value)) throw ConnError("reply nonce mismatch");
        Result res = Result::good();
        if constexpr (requires { d.m.status; d.m.msg; }) {
            res = d.m.status == proto::OK ? Result::good(d.m.msg) : Result::fail(d.m.status, d.m.msg);
        }
        return Reply<Rep>{std::move(res), std::move(d.m)};
    });
}

template <class Rep> struct Conn::Asking {
    std::shared_ptr<Conn> c;
    Bytes body;
    Nonce nonce;
    Signers s;
    Echo<Rep> echo;
    bool renew2 = false;
    Answer answer;
    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<> h) {
        auto done = [this, h](Answer a) {
            answer = std::move(a);
            c->resume_(h);
        };
        if (renew2) c->renew2_request(std::move(body), std::move(done));
        else c->request(std::move(body), Rep::type, nonce, s, std::move(done));
    }
    Reply<Rep> await_resume() { return c->check<Rep>(std::move(answer), nonce, echo); }
};

template <class Rep, class Req>
auto Conn::ask(const Req& m, Signers s, Nonce Rep::*echo, std::optional<Nonce> expect) {
    Nonce n{};
    if constexpr (requires { m.nonce; }) n = m.nonce;
    else if constexpr (requires { m.nonce1; }) n = m.nonce1;
    else if constexpr (requires { m.nonce2; }) n = m.nonce2;
    return Asking<Rep>{shared_from_this(), msg::encode_body(m), n, s, Echo<Rep>{echo, expect ? *expect : n}, false, {}};
}

inline auto Conn::renew2(const Token& token) {
    msg::Renew2 r2;
    r2.ecies = begin_renew(token);
    // The echoed nonce is checked by finish_renew, with the keys.
    return Asking<msg::Renew2R>{shared_from_this(), msg::encode_body(r2), renew_->offer.nonce, {}, {}, true, {}};
}

}  // namespace tacit::client
