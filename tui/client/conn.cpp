#include "tui/client/conn.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "shared/protocol.hpp"

namespace tacit::client {

namespace {
// Bytes read per readiness event before the loop serves its other fds.
constexpr size_t kReadChunk = 65536;
constexpr int kReadsPerEvent = 16;
// UPDATE2 nonces remembered in case the server answers one with ERROR.
constexpr size_t kReplyless = 8;
bool zero(const Nonce& n) {
    for (auto b : n)
        if (b) return false;
    return true;
}
}  // namespace

struct Conn::FirstFrame {
    Conn& c;
    bool await_ready() const noexcept { return c.first_ || !c.first_error_.empty(); }
    void await_suspend(std::coroutine_handle<> h) { c.first_waiter_ = h; }
    Bytes await_resume() {
        if (!c.first_) throw ConnError(c.first_error_);
        Bytes b = std::move(*c.first_);
        c.first_.reset();
        return b;
    }
};

std::shared_ptr<Conn> Conn::make(Resumer resume, Worker& worker, Endpoint ep, ServerBundle server,
                                 int timeout_ms) {
    return std::shared_ptr<Conn>(new Conn(std::move(resume), worker, std::move(ep), std::move(server), timeout_ms));
}

Conn::Conn(Resumer resume, Worker& worker, Endpoint ep, ServerBundle server, int timeout_ms)
    : resume_(std::move(resume)), loop_(resume_.loop()), worker_(worker), ep_(std::move(ep)),
      server_(std::move(server)), timeout_ms_(timeout_ms) {
    if (!server_.p256_der.empty()) server_key_.emplace(parse_server_key(server_));
}

Conn::~Conn() {
    if (fd_) loop_.remove_fd(fd_.get());
    if (timer_) loop_.cancel_timer(timer_);
}

Task<ServerBundle> Conn::key_request(Resumer resume, Worker& worker, Endpoint ep, int timeout_ms) {
    // No bundle yet: that is what this connection asks for.
    auto c = std::shared_ptr<Conn>(new Conn(resume, worker, ep, ServerBundle{}, timeout_ms));
    auto opening = c->open_plain(plain_frame_body(uint8_t(proto::Kind::KeyRequest), {}));
    auto body = co_await opening;
    c->close("key request done");
    co_return parse_key_response(body);
}

Task<Bytes> Conn::open_plain(Bytes first_body) {
    auto keep = shared_from_this();
    const std::string where = to_string(ep_);
    auto job = worker_.run([ep = ep_, t = timeout_ms_] { return connect_endpoint(ep, t); });
    auto fd = co_await job;
    if (state_ == State::Closed) throw ConnError(first_error_.empty() ? "closed" : first_error_);
    set_nonblocking(fd.get());
    fd_ = std::move(fd);
    loop_.add_fd(fd_.get(), EventLoop::Readable, [this](uint32_t ev) { on_io(ev); });
    state_ = State::Handshaking;
    write(frame_with_prefix(first_body));
    // The handshake has the request timeout too: a rate-limited or stopped
    // server must not keep the caller waiting forever.
    timer_ = loop_.add_timer(std::chrono::milliseconds(timeout_ms_), [this] {
        timer_ = 0;
        close("no answer from " + to_string(ep_) + " (rate limited or down)");
    });
    auto reply = co_await FirstFrame{*this};
    if (timer_) loop_.cancel_timer(std::exchange(timer_, 0));
    if (auto why = parse_refusal(reply)) {
        close("the server refused this client: " + *why);
        throw ConnError("the server refused this client: " + *why);
    }
    co_return reply;
}

Task<bool> Conn::establish(uint8_t kind, const char* label, std::optional<Token> token) {
    auto keep = shared_from_this();
    auto co = make_offer(label, server_.box_pub, KeyOffer::fresh(token));
    auto body = plain_frame_body(kind, co.ecies);
    auto reply = co_await open_plain(body);
    std::optional<ClientKeys> keys;
    try {
        keys = open_handshake_reply(kind, co, body, reply);
    } catch (const ConnError& e) {
        close(e.what());
        throw;
    }
    if (!keys) {
        close("token refused");
        co_return false;
    }
    open_with(std::move(*keys));
    co_return true;
}

Task<void> Conn::hello() { co_await establish(uint8_t(proto::Kind::Hello), "hello", std::nullopt); }

Task<bool> Conn::resume(const Token& token) {
    bool ok = co_await establish(uint8_t(proto::Kind::Resume), "resume", token);
    if (ok) logged_in();
    co_return ok;
}

// ------------------------------------------------------------------ sending

void Conn::request(Bytes body, uint8_t want, const Nonce& nonce, Signers s, DoneFn done) {
    if (state_ == State::Renew2Sent || state_ == State::Renew2Answered) {
        held_.push_back([this, body = std::move(body), want, nonce, s, done = std::move(done)]() mutable {
            request(std::move(body), want, nonce, s, std::move(done));
        });
        return;
    }
    if (state_ != State::Open) {
        done(Answer{std::nullopt, state_ == State::Closed ? "not connected" : "connection not ready"});
        return;
    }
    queue_.push_back(Pending{want, nonce, loop_.now_ms() + uint64_t(timeout_ms_), std::move(done), false});
    if (queue_.size() == 1) arm_timer();
    seal_and_write(std::move(body), s);
}

void Conn::send(Bytes body, Signers s, const Nonce* nonce) {
    if (state_ == State::Renew2Sent || state_ == State::Renew2Answered) {
        std::optional<Nonce> n;
        if (nonce) n = *nonce;
        held_.push_back([this, body = std::move(body), s, n]() mutable {
            send(std::move(body), s, n ? &*n : nullptr);
        });
        return;
    }
    if (state_ != State::Open) return;  // nothing waits for it; the loss shows as a closed connection
    if (nonce) {
        replyless_.push_back(*nonce);
        if (replyless_.size() > kReplyless) replyless_.pop_front();
    }
    seal_and_write(std::move(body), s);
}

void Conn::seal_and_write(Bytes body, Signers s) {
    sign_c2s(body, session_id_, ch_->next_send_seq(), s.first, s.second);
    auto frame = ch_->seal(body);
    wipe(body.data(), body.size());
    write(frame);
}

// frame: a whole frame, length prefix included.
void Conn::write(ByteView frame) {
    if (!fd_) return;
    out_.insert(out_.end(), frame.begin(), frame.end());
    flush();
    last_send_ms_ = loop_.now_ms();
}

void Conn::flush() {
    while (fd_ && out_off_ < out_.size()) {
        ssize_t n = ::send(fd_.get(), out_.data() + out_off_, out_.size() - out_off_, MSG_NOSIGNAL);
        if (n > 0) {
            out_off_ += size_t(n);
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
        close("connection lost while sending");
        return;
    }
    if (!fd_) return;
    if (out_off_ == out_.size()) {
        out_.clear();
        out_off_ = 0;
        loop_.modify_fd(fd_.get(), EventLoop::Readable);
    } else {
        loop_.modify_fd(fd_.get(), EventLoop::Readable | EventLoop::Writable);
    }
}

// ------------------------------------------------------------------ renewal

Bytes Conn::begin_renew(const Token& token) {
    renew_ = make_offer("renew", server_.box_pub, KeyOffer::fresh(token));
    return renew_->ecies;
}

void Conn::renew2_request(Bytes body, DoneFn done) {
    if (state_ != State::Open || !renew_) {
        done(Answer{std::nullopt, "connection not ready for key renewal"});
        return;
    }
    queue_.push_back(Pending{uint8_t(proto::reply_type(proto::RENEW2)), renew_->offer.nonce,
                             loop_.now_ms() + uint64_t(timeout_ms_), std::move(done), true});
    if (queue_.size() == 1) arm_timer();
    seal_and_write(std::move(body), {});
    if (state_ == State::Open) state_ = State::Renew2Sent;
}

bool Conn::finish_renew(const Array<32>& server_random, const Array<32>& server_eph_pub, const Nonce& nonce) {
    if (state_ != State::Renew2Answered || !renew_ || !ct_equal(nonce, renew_->offer.nonce)) {
        close("key renewal reply does not match");
        return false;
    }
    auto keys = client_establish(*renew_, server_random, server_eph_pub, renew_->ecies);
    renew_.reset();
    if (!keys) {
        close("key renewal with zero shared secret");
        return false;
    }
    open_with(std::move(*keys));
    return true;
}

void Conn::abort_renew() {
    renew_.reset();
    if (state_ != State::Renew2Sent && state_ != State::Renew2Answered) return;
    reopen();
}

void Conn::open_with(ClientKeys keys) {
    ch_.emplace(std::move(keys.channel));
    session_id_ = keys.session_id;
    reopen();
}

// Back to Open: the sends held during a renewal go out, and the frames
// that came behind the handshake's or RENEW2's answer are read.
void Conn::reopen() {
    state_ = State::Open;
    auto held = std::move(held_);
    held_.clear();
    for (auto& h : held) h();
    process_frames();
}

// ------------------------------------------------------------------ receiving

void Conn::on_io(uint32_t ev) {
    auto keep = shared_from_this();  // a handler may drop the owner's reference
    if (ev & EventLoop::Writable) flush();
    if (state_ != State::Closed && (ev & (EventLoop::Readable | EventLoop::Closed))) read_some();
}

void Conn::read_some() {
    Bytes buf(kReadChunk);
    bool eof = false;
    for (int i = 0; i < kReadsPerEvent; ++i) {
        ssize_t n = ::read(fd_.get(), buf.data(), buf.size());
        if (n > 0) {
            dec_.feed(ByteView(buf).first(size_t(n)));
            if (size_t(n) < buf.size()) break;
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
        eof = true;
        break;
    }
    // Frames that came before the end are still the server's last word.
    process_frames();
    // A server of protocol v1 answers a v2 handshake by closing in silence.
    if (eof && state_ == State::Handshaking)
        close("connection closed by server during the handshake (is it another tacit protocol version?)");
    if (eof && state_ != State::Closed) close("connection closed by server");
}

void Conn::process_frames() {
    Bytes body;
    while (state_ != State::Closed && state_ != State::Renew2Answered) {
        auto r = dec_.next(body);
        if (r == FrameDecoder::Result::NeedMore) return;
        if (r == FrameDecoder::Result::BadLength) {
            close("server sent a bad frame length");
            return;
        }
        if (state_ == State::Handshaking) {
            if (first_ || !first_waiter_) {
                close("server spoke out of turn during the handshake");
                return;
            }
            first_ = std::move(body);
            resume_(std::exchange(first_waiter_, {}));
            continue;
        }
        uint64_t seq = ch_->next_recv_seq();
        auto pt = ch_->open(body);
        if (!pt) {
            close("a frame from the server failed to open; connection dropped");
            return;
        }
        dispatch(Frame{std::move(*pt), seq});
    }
}

void Conn::dispatch(Frame f) {
    uint8_t t = f.pt.size() ? f.pt[0] : 0;
    if (t == proto::NOTIFY) {
        if (unsolicited_) unsolicited_(f);
        return;
    }
    if (t == proto::ERROR) {
        try {
            auto e = msg::decode_error(f.pt);
            for (auto it = replyless_.begin(); it != replyless_.end(); ++it)
                if (!zero(e.m.nonce) && ct_equal(*it, e.m.nonce)) {
                    replyless_.erase(it);
                    if (unsolicited_) unsolicited_(f);
                    return;
                }
        } catch (const WireError&) {
            close("malformed ERROR from the server");
            return;
        }
    }
    if (queue_.empty()) {
        close("the server sent a reply nobody asked for");
        return;
    }
    if (t != queue_.front().want && t != proto::ERROR) {
        close("the server's reply does not answer the request at the head of the queue");
        return;
    }
    Pending p = std::move(queue_.front());
    queue_.pop_front();
    if (timer_) loop_.cancel_timer(std::exchange(timer_, 0));
    arm_timer();
    if (p.renew2) {
        if (t == proto::ERROR) abort_renew();
        else state_ = State::Renew2Answered;
    }
    p.done(Answer{std::move(f), {}});
}

Result Conn::check_error(const Frame& f, const Nonce& nonce) {
    return closing_on_error([&] {
        auto e = msg::decode_error(f.pt);
        if (!e.sigs.empty() && !verify(f, e.signed_len, e.sigs[0]))
            throw ConnError("server signature does not verify");
        if (!zero(e.m.nonce) && !zero(nonce) && !ct_equal(e.m.nonce, nonce))
            throw ConnError("the server's ERROR answers another request");
        return Result::fail(e.m.status, e.m.msg);
    });
}

// ------------------------------------------------------------------ ending

void Conn::arm_timer() {
    if (queue_.empty() || timer_) return;
    uint64_t now = loop_.now_ms(), due = queue_.front().due_ms;
    timer_ = loop_.add_timer(std::chrono::milliseconds(due > now ? due - now : 0), [this] {
        timer_ = 0;
        close("server did not answer in time");
    });
}

void Conn::close(const std::string& why) {
    if (state_ == State::Closed) return;
    auto keep = weak_from_this().lock();  // null only while being made or destroyed
    state_ = State::Closed;
    if (fd_) {
        loop_.remove_fd(fd_.get());
        fd_.reset();
    }
    if (timer_) loop_.cancel_timer(std::exchange(timer_, 0));
    held_.clear();
    renew_.reset();
    first_error_ = why;
    if (first_waiter_) resume_(std::exchange(first_waiter_, {}));
    fail(why);
    if (closed_) std::exchange(closed_, nullptr)(why);
}

void Conn::fail(const std::string& why) {
    auto q = std::move(queue_);
    queue_.clear();
    for (auto& p : q) p.done(Answer{std::nullopt, why});
}

}  // namespace tacit::client
