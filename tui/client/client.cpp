#include "tui/client/client.hpp"

#include <algorithm>
#include <chrono>
#include <coroutine>
#include <fmt/core.h>

#include "shared/clock.hpp"
#include "shared/crypto.hpp"
#include "shared/event_loop.hpp"
#include "shared/messages.hpp"
#include "shared/names.hpp"
#include "shared/protocol.hpp"
#include "tui/client/account.hpp"
#include "tui/client/client_impl.hpp"
#include "tui/client/device.hpp"
#include "tui/client/e2e.hpp"
#include "tui/client/known_servers.hpp"
#include "tui/client/local_store.hpp"
#include "tui/client/conn.hpp"
#include "tui/client/task.hpp"
#include "tui/client/worker.hpp"

namespace tacit::client {

void Client::Impl::attach(std::shared_ptr<Conn> c) {
    conn = std::move(c);
    Conn* raw = conn.get();
    conn->on_closed([this, raw](const std::string& why) {
        if (conn.get() != raw) return;
        conn.reset();
        event(ev::Disconnected{"disconnected from " + server_name + ": " + why});
    });
    conn->on_unsolicited([this](const Frame& f) { unsolicited(f); });
}

// Drops the connection without a Disconnected event (logout, reconnect).
void Client::Impl::quiet_drop() {
    if (!conn) return;
    conn->on_closed(nullptr);
    conn->close("closed by the client");
    conn.reset();
}

void Client::Impl::unsolicited(const Frame& f) {
    try {
        if (msg::type_of(f.pt) == proto::ERROR) {
            info("the server refused an acknowledgement: " + msg::decode_error(f.pt).m.msg);
            return;
        }
        notes.push_back(msg::decode<msg::Notify>(f.pt).m);
    } catch (const WireError&) {
        if (conn) conn->close("malformed NOTIFY from the server");
        return;
    }
    loop.post([this] { take_notes(); });
}

const char* phase_name(Phase e) {
    switch (e) {
        case Phase::Idle: return "idle";
        case Phase::Connecting: return "connecting";
        case Phase::Registering: return "making keys and registering";
        case Phase::LoggingIn: return "logging in";
        case Phase::Resuming: return "resuming the session";
        case Phase::Renew1: return "renewing keys (RENEW1)";
        case Phase::Renew2: return "renewing keys (RENEW2)";
        case Phase::Renew3: return "renewing keys (RENEW3)";
    }
    return "?";
}

Task<Result> Client::Impl::connect() {
    std::vector<size_t> order;
    for (size_t i = 0; i < servers.size(); ++i) order.push_back(servers.in_turn(i));
    for (size_t k = 0; k < order.size(); ++k) {
        use_server(order[k]);
        const bool more = k + 1 < order.size();
        std::string why;
        try {
            auto connecting = connect_current();
            auto r = co_await connecting;
            // Only a server that could not be reached sends us on: a key
            // that does not match, or one the user declined, is an answer.
            if (r.ok || !more || r.status != proto::INTERNAL) co_return r;
            why = r.msg;
        } catch (const std::exception& e) {
            if (!more) throw;
            why = e.what();
        }
        info("could not reach " + server_name + " (" + why + "); trying " + servers.names()[order[k + 1]]);
    }
    co_return Result::fail(proto::INTERNAL, "no server address");
}

std::optional<ServerBundle> Client::Impl::pinned_server() {
    if (auto k = files.pinned_server(server_name)) return k;
    for (const auto& name : servers.names()) {
        if (name == server_name) continue;
        if (auto k = files.pinned_server(name)) {
            files.pin_server(server_name, *k);
            info("pinned the key of " + server_name + ", as for " + name + ": " + fingerprint(k->encode()));
            return k;
        }
    }
    return std::nullopt;
}

Task<Result> Client::Impl::connect_current() {
    PhaseStep step(*this, Phase::Connecting);
    const auto known_file = files.known_servers_file();
    if (!opt.server_key_file.empty()) {
        server = read_server_pub(opt.server_key_file);
        files.pin_server(server_name, *server);
    } else if (auto k = pinned_server()) {
        server = *k;
    } else {
        auto asking = Conn::key_request(tasks.resumer(loop), worker, ep, opt.timeout_ms);
        auto b = co_await asking;
        auto fp = fingerprint(b.encode());
        if (opt.confirm_new_server && !opt.confirm_new_server(fp))
            co_return Result::fail(proto::AUTH_FAILED, "server key not accepted");
        files.pin_server(server_name, b);
        server = b;
        info("pinned the key of " + server_name + ": " + fp);
    }
    quiet_drop();
    auto c = Conn::make(tasks.resumer(loop), worker, ep, *server, opt.timeout_ms);
    std::string failed;
    try {
        co_await c->hello();
    } catch (const std::exception& e) {
        // connect_endpoint failures (refused, unreachable) and refused
        // handshakes alike: leave no half-made connection.
        failed = e.what();
    }
    if (failed.empty()) {
        attach(std::move(c));
        co_return Result::good("connected to " + server_name);
    }
    co_return co_await explain_failed_hello(failed, known_file);
}

// A server that can't open our HELLO closes without a word, as a
// rate-limited one does; ask for its key to tell the two apart.
Task<Result> Client::Impl::explain_failed_hello(std::string what, std::string known_file) {
    bool mismatch = what.find("does not open") != std::string::npos;
    std::string offered;
    if (!mismatch) {
        try {
            auto asking = Conn::key_request(tasks.resumer(loop), worker, ep, opt.timeout_ms);
            auto now = co_await asking;
            mismatch = now.encode() != server->encode();
            offered = fingerprint(now.encode());
        } catch (const std::exception&) {
        }
    }
    if (mismatch)
        co_return Result::fail(
            proto::KEY_CHANGED,
            fmt::format("WARNING: SERVER KEY DOES NOT MATCH. {} did not prove it holds the pinned key {}{}. "
                        "Someone may be intercepting the connection. If the server key was "
                        "changed on purpose, remove the line for {} from {}.",
                        server_name, fingerprint(server->encode()),
                        offered.empty() ? "" : " (it now offers " + offered + ")", server_name, known_file));
    co_return Result::fail(proto::INTERNAL, what);
}

void Client::Impl::open_store(const Account& acct) {
    auto k = acct.store_key(pw->file_key, true);
    dm_forget();  // ratchet sessions are per store
    store.reset();  // LMDB: one environment per store per process, so close the old one first
    chains.clear();  // the verified chains mirrored from the old store (group_chains.cpp)
    store = std::make_unique<LocalStore>(acct.store_dir(), k, opt.store_initial_map);
}

// PBKDF2 and RSA key generation take a second or more: off the loop. The
// typed password is wiped as soon as PBKDF2 has run (tacit(1)).
Task<PasswordKeys> Client::Impl::derive(Password password, PasswordSalt salt) {
    auto job = worker.run([p = std::move(password), s = std::move(salt)]() mutable {
        auto keys = derive_password(p.text(), s);
        p.wipe();
        return keys;
    });
    co_return co_await job;
}

Task<std::optional<Client::Impl::Unlocked>> Client::Impl::unlock(Account acct, Password password, Result* err) {
    auto salt = acct.identity_salt(err);  // the header first: PBKDF2 needs its salt
    if (!salt) co_return std::nullopt;
    auto deriving = derive(std::move(password), std::move(*salt));
    auto keys = co_await deriving;
    auto ident = acct.open_identity(keys.file_key, err);
    if (!ident) co_return std::nullopt;
    // Only the password's owner gets this far: a copy is refused (or
    // adopted) before anything reaches the server or the store.
    switch (check_device(acct.dir(), opt.adopt)) {
    case DeviceCheck::Copied:
        *err = Result::fail(proto::INTERNAL, copied_device_message(acct.dir()));
        co_return std::nullopt;
    case DeviceCheck::Adopted:
        info("this copy of the account (" + acct.dir() + ") is now the account's; run no other copy of it");
        break;
    case DeviceCheck::Here:
    case DeviceCheck::Created:
        break;
    }
    co_return Unlocked{std::move(*ident), std::move(keys)};
}

Task<UserIdentity> Client::Impl::generate_identity() {
    auto job = worker.run([] { return UserIdentity::generate(); });
    co_return co_await job;
}

Task<Result> Client::Impl::register_user(std::string user, Password password) {
    if (auto why = name_problem(user); !why.empty())
        co_return Result::fail(proto::BAD_REQUEST, "invalid user name: " + why);
    PhaseStep step(*this, Phase::Registering);
    if (!conn) {
        // The server closed the pre-login connection (its login deadline
        // runs while the form is open): open a fresh one, as login does.
        auto c = co_await connect();
        if (!c.ok) co_return c;
    }
    // A random salt per account (tacit-protocol(7), PASSWORDS), kept in
    // the identity file's header.
    auto deriving = derive(std::move(password), PasswordSalt::fresh());
    auto keys = co_await deriving;
    auto ident = co_await generate_identity();
    const auto first = FirstPrekeys::generate(wall_s());
    msg::Register m;
    m.user = user;
    m.pass.assign(keys.auth.view().begin(), keys.auth.view().end());
    m.public_key = ident.bundle().encode();
    m.nonce = fresh_nonce();
    m.prekeys = first.signed_by(ident.sign, user);
    auto awaiting = ask<msg::RegisterR>(m, Signers{&ident.sign, nullptr}, &msg::RegisterR::nonce);
    wipe(m.pass.data(), m.pass.size());
    auto r = co_await std::move(awaiting);
    if (!r.ok()) co_return r.res;
    // The prekeys' private halves before the identity file: an identity
    // on disk always has them.
    auto acct = account(user);
    LocalStore fresh(acct.store_dir(), acct.store_key(keys.file_key, true), opt.store_initial_map);
    first.commit(fresh);
    acct.save_identity(ident, keys);
    check_device(acct.dir(), false);
    co_return r.res;
}

Task<Result> Client::Impl::login(std::string user, Password password) {
    if (auto why = name_problem(user); !why.empty())
        co_return Result::fail(proto::BAD_REQUEST, "invalid user name: " + why);
    PhaseStep step(*this, Phase::LoggingIn);
    if (!conn) {
        // After logout (the server closes the connection) or a drop:
        // logging in again starts with a fresh connection.
        auto c = co_await connect();
        if (!c.ok) co_return c;
    }
    const auto acct = account(user);
    Result err;
    auto unlocking = unlock(acct, std::move(password), &err);
    auto u = co_await unlocking;
    if (!u) co_return err;
    auto r = co_await do_login(user, u->ident, u->keys);
    if (!r.ok) co_return r;
    id = std::move(u->ident);
    pw = std::move(u->keys);
    self.user_ = user;
    open_store(acct);
    auto publishing = publish_prekeys();
    co_await publishing;
    co_await catch_up_groups();
    co_await fetch_all();
    co_return r;
}

Task<Result> Client::Impl::open_local(std::string user, Password password) {
    if (auto why = name_problem(user); !why.empty())
        co_return Result::fail(proto::BAD_REQUEST, "invalid user name: " + why);
    if (!server && !opt.server_key_file.empty()) server = read_server_pub(opt.server_key_file);
    if (!server) {
        if (auto k = pinned_server()) server = *k;
        else co_return Result::fail(proto::INTERNAL, "no pinned key for " + server_name);
    }
    const auto acct = account(user);
    Result err;
    auto unlocking = unlock(acct, std::move(password), &err);
    auto u = co_await unlocking;
    if (!u) co_return err;
    id = std::move(u->ident);
    pw = std::move(u->keys);
    self.user_ = user;
    open_store(acct);
    co_return Result::good("opened " + user + " locally");
}

// LOGIN1, LOGIN2. ident and keys are the caller's and outlive the exchange.
Task<Result> Client::Impl::do_login(std::string user, const UserIdentity& ident, const PasswordKeys& keys) {
    PhaseStep step(*this, Phase::LoggingIn);
    msg::Login1 l1;
    l1.user = user;
    l1.nonce1 = fresh_nonce();
    const Signers me{&ident.sign, nullptr};
    auto r1 = co_await ask<msg::Login1R>(l1, me);
    if (!r1.ok()) co_return r1.res;
    auto verifier = crypto::sha256({keys.auth, r1.m->salt});
    msg::Login2 l2;
    auto proof = crypto::hmac_sha256(verifier, r1.m->nonce2);
    wipe(verifier.data(), verifier.size());
    l2.proof.assign(proof.begin(), proof.end());
    auto r2 = co_await ask<msg::Login2R>(l2, me, &msg::Login2R::nonce1, l1.nonce1);
    if (!r2.ok()) co_return r2.res;
    self.token_ = r2.m->token;
    if (conn) conn->logged_in();
    co_return r2.res;
}

Task<Result> Client::Impl::logout() {
    if (!conn || !self.token_) co_return Result::fail(proto::AUTH_FAILED, "not logged in");
    msg::Logout m;
    m.token = *self.token_;
    // The server closes the connection; wait for that so the logout is done.
    auto c = conn;
    c->on_closed(nullptr);
    c->send(msg::encode_body(m), signed_by_me());
    co_await closed(c);
    if (conn == c) conn.reset();
    forget_token();
    co_return Result::good("logged out");
}

// Resumes when c has closed (or after the request timeout, closing it).
Task<void> Client::Impl::closed(std::shared_ptr<Conn> c) {
    struct Awaiter {
        std::shared_ptr<Conn> c;
        Resumer resume;
        int timeout_ms;
        bool await_ready() const { return c->state() == Conn::State::Closed; }
        void await_suspend(std::coroutine_handle<> h) {
            auto& loop = resume.loop();
            auto timer = loop.add_timer(std::chrono::milliseconds(timeout_ms), [c = c] { c->close("logout not confirmed"); });
            c->on_closed([h, r = resume, &loop, timer](const std::string&) {
                loop.cancel_timer(timer);
                r(h);
            });
        }
        void await_resume() {}
    };
    Awaiter until_closed{c, tasks.resumer(loop), opt.timeout_ms};  // named: see task.hpp
    co_await until_closed;
}

Task<Result> Client::Impl::who(std::vector<std::string>* users) {
    msg::Online m;
    m.token = *self.token_;
    m.nonce = fresh_nonce();
    auto r = co_await ask<msg::OnlineR>(m, signed_by_me(), &msg::OnlineR::nonce);
    if (!r.ok()) co_return r.res;
    *users = r.m->users;
    co_return Result::good(fmt::format("{} online", users->size()));
}

Task<Result> Client::Impl::ping(uint64_t* rtt_us) {
    if (!conn) co_return Result::fail(proto::INTERNAL, "not connected");
    msg::Ping p;
    p.nonce = fresh_nonce();
    auto t0 = std::chrono::steady_clock::now();
    auto r = co_await ask<msg::Pong>(p, {}, &msg::Pong::nonce);
    if (!r.ok()) co_return r.res;
    *rtt_us = uint64_t(
        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0).count());
    co_return Result::good("pong");
}

Task<Result> Client::Impl::reconnect() {
    quiet_drop();
    auto c = co_await connect();
    if (!c.ok) co_return c;
    if (self.token_) {
        PhaseStep step(*this, Phase::Resuming);
        std::string failed;
        bool resumed = false;
        auto resuming = Conn::make(tasks.resumer(loop), worker, ep, *server, opt.timeout_ms);
        try {
            resumed = co_await resuming->resume(*self.token_);
        } catch (const std::exception& e) {
            failed = e.what();
        }
        if (!failed.empty()) {
            quiet_drop();
            co_return Result::fail(proto::INTERNAL, failed);
        }
        if (resumed) {
            quiet_drop();
            attach(std::move(resuming));
            event(ev::Reconnected{"session resumed"});
            co_await catch_up_groups();
            co_await fetch_all();
            co_return Result::good("session resumed");
        }
        // Token gone (expired or server restarted): log in again on the
        // connection connect() opened.
        forget_token();
    }
    if (id && pw) {
        auto l = co_await do_login(self.user_, *id, *pw);
        if (!l.ok) co_return l;
        event(ev::Reconnected{"logged in again"});
        auto publishing = publish_prekeys();
        co_await publishing;
        co_await catch_up_groups();
        co_await fetch_all();
    }
    co_return Result::good("reconnected");
}


// ------------------------------------------------------------------ facade

Client::Client(Options opt) : impl_(std::make_unique<Impl>(*this, std::move(opt))) {}
Client::~Client() {
    if (token_) wipe(token_->data(), token_->size());
}

namespace {
template <class F> Result guarded(F&& f) {
    try {
        return f();
    } catch (const ConnError& e) {
        return Result::fail(proto::INTERNAL, std::string("connection: ") + e.what());
    } catch (const WireError& e) {
        return Result::fail(proto::BAD_REQUEST, std::string("malformed reply: ") + e.what());
    } catch (const std::exception& e) {
        return Result::fail(proto::INTERNAL, e.what());
    }
}
}  // namespace

#define NEED_LOGIN()                                                               \
    if (!impl_->conn) return Result::fail(proto::INTERNAL, "not connected");       \
    if (!token_) return Result::fail(proto::AUTH_FAILED, "log in first");

Result Client::connect() { return guarded([&] { return impl_->wait(impl_->connect()); }); }
bool Client::connected() const { return impl_->conn != nullptr; }
Phase Client::phase() const { return impl_->phase; }
uint64_t Client::now_ms() const { return impl_->loop.now_ms(); }
int Client::fd() const { return impl_->conn ? impl_->conn->fd() : -1; }
std::string Client::server_fingerprint() const {
    return impl_->server ? fingerprint(impl_->server->encode()) : std::string();
}
std::string Client::own_fingerprint() const {
    return impl_->id && token_ ? fingerprint(impl_->id->bundle().encode()) : std::string();
}
Result Client::ping(uint64_t* rtt_us) {
    return guarded([&] { return impl_->wait(impl_->ping(rtt_us)); });
}
uint64_t Client::send_idle_ms() const {
    return impl_->conn ? impl_->loop.now_ms() - impl_->conn->last_send_ms() : 0;
}
bool Client::pump() {
    try {
        impl_->pump();
    } catch (const std::exception& e) {
        // The local store (a full disk) or anything else of ours: say so
        // and go on; unacknowledged mail is fetched again later.
        impl_->info(std::string("could not fetch new messages: ") + e.what());
    }
    return impl_->conn != nullptr;
}
void Client::disconnect() { impl_->quiet_drop(); }
Result Client::reconnect() { return guarded([&] { return impl_->wait(impl_->reconnect()); }); }
Result Client::register_user(const std::string& u, Password p) {
    return guarded([&] { return impl_->wait(impl_->register_user(u, std::move(p))); });
}
Result Client::login(const std::string& u, Password p) {
    return guarded([&] { return impl_->wait(impl_->login(u, std::move(p))); });
}
Result Client::logout() { return guarded([&] { return impl_->wait(impl_->logout()); }); }
void Client::logout_at_exit(int wait_ms) {
    auto& im = *impl_;
    if (im.conn && token_) {
        msg::Logout m;
        m.token = *token_;
        auto c = im.conn;
        c->on_closed(nullptr);
        c->send(msg::encode_body(m), im.signed_by_me());
        // Real time, not the loop's clock: this bounds how long quitting takes.
        for (const uint64_t end = mono_ms() + uint64_t(std::max(0, wait_ms));
             c->state() != Conn::State::Closed && mono_ms() < end;)
            im.loop.run_once(50);
    }
    im.quiet_drop();
    im.forget_token();
}
Result Client::who(std::vector<std::string>* users) {
    NEED_LOGIN();
    return guarded([&] { return impl_->wait(impl_->who(users)); });
}
Result Client::rekey() {
    NEED_LOGIN();
    return guarded([&] { return impl_->wait(impl_->rekey()); });
}
Result Client::passwd(Password op, Password np) {
    NEED_LOGIN();
    return guarded([&] { return impl_->wait(impl_->passwd(std::move(op), std::move(np))); });
}
bool Client::has_local_account(const std::string& u) const {
    if (!impl_->server || !name_problem(u).empty()) return false;
    try {
        return impl_->account(u).has_identity();
    } catch (const std::exception&) {
        return false;  // an old directory that can't be moved: login says why
    }
}
bool Client::logged_in() const { return token_.has_value() && impl_->conn; }
const std::string& Client::user() const { return user_; }
Result Client::send(const std::string& to, const std::string& body) {
    NEED_LOGIN();
    return guarded([&] { return impl_->wait(impl_->send(to, body)); });
}
Result Client::update() {
    NEED_LOGIN();
    return guarded([&] { return impl_->wait(impl_->fetch_all()); });
}
Result Client::open_local(const std::string& u, Password p) {
    return guarded([&] { return impl_->wait(impl_->open_local(u, std::move(p))); });
}
Result Client::probe_stored(uint64_t id, const std::string& sender, const std::string& group, const Bytes& enc_msg,
                            const Bytes& wrapped_key) {
    if (!impl_->store || !impl_->id) return Result::fail(proto::AUTH_FAILED, "no account open");
    msg::Stored st;
    st.id = id;
    st.sender = sender;
    st.group = group;
    st.enc_msg = enc_msg;
    st.wrapped_key = wrapped_key;
    return guarded([&] { return impl_->probe_stored(st); });
}
Result Client::accept_key(const std::string& u) {
    NEED_LOGIN();
    return guarded([&] { return impl_->wait(impl_->accept_key(u)); });
}
Result Client::look_up(const std::string& u) {
    NEED_LOGIN();
    return guarded([&] {
        if (auto why = name_problem(u); !why.empty()) return Result::fail(proto::BAD_REQUEST, "invalid user name: " + why);
        Result err;
        if (!impl_->wait(impl_->fetch_key(u, &err))) return err;
        return Result::good(u + " exists");
    });
}
Result Client::contact_fingerprint(const std::string& u, std::string* fp) {
    if (!impl_->store) return Result::fail(proto::AUTH_FAILED, "log in first");
    return guarded([&] {
        auto p = impl_->store->pinned(u);
        if (!p) return Result::fail(proto::NO_SUCH_USER, "no key pinned for " + u);
        *fp = fingerprint(*p);
        return Result::good(*fp);
    });
}
std::vector<ChatMessage> Client::history(const std::string& c, size_t n) {
    return impl_->from_store([&](LocalStore& s) { return s.last(c, n); });
}
std::vector<ChatMessage> Client::search(const std::string& t) {
    return impl_->from_store([&](LocalStore& s) { return s.search(t); });
}
std::vector<std::string> Client::conversations() {
    return impl_->from_store([](LocalStore& s) { return s.conversations(); });
}
Result Client::group_create(const std::string& g) {
    NEED_LOGIN();
    return guarded([&] { return impl_->wait(impl_->group_simple(proto::GROUP_CREATE, g, "")); });
}
Result Client::group_add(const std::string& g, const std::string& u) {
    NEED_LOGIN();
    return guarded([&] { return impl_->wait(impl_->group_simple(proto::GROUP_ADD, g, u)); });
}
Result Client::group_remove(const std::string& g, const std::string& u) {
    NEED_LOGIN();
    return guarded([&] { return impl_->wait(impl_->group_simple(proto::GROUP_REMOVE, g, u)); });
}
Result Client::group_send(const std::string& g, const std::string& body) {
    NEED_LOGIN();
    return guarded([&] { return impl_->wait(impl_->group_send(g, body)); });
}
Result Client::group_members(const std::string& g, std::vector<std::string>* members, std::string* owner) {
    NEED_LOGIN();
    return guarded([&] { return impl_->wait(impl_->group_members(g, members, owner)); });
}
std::vector<std::string> Client::groups() {
    return impl_->from_store([](LocalStore& s) { return s.groups(); });
}
std::map<std::string, std::string> Client::settings() {
    return impl_->from_store([](LocalStore& s) { return s.settings(); });
}
Result Client::set_setting(const std::string& name, const std::string& value) {
    if (!impl_->store) return Result::fail(proto::AUTH_FAILED, "log in first");
    return guarded([&] {
        if (value.empty()) impl_->store->erase_setting(name);
        else impl_->store->put_setting(name, value);
        return Result::good("saved");
    });
}
std::vector<Event> Client::take_events() {
    std::vector<Event> v(std::make_move_iterator(events_.begin()), std::make_move_iterator(events_.end()));
    events_.clear();
    return v;
}

}  // namespace tacit::client
