#include "tui/client/client.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <coroutine>
#include <fcntl.h>
#include <fmt/core.h>
#include <fstream>
#include <map>
#include <sstream>
#include <unistd.h>

#include "shared/crypto.hpp"
#include "shared/event_loop.hpp"
#include "shared/messages.hpp"
#include "shared/names.hpp"
#include "shared/protocol.hpp"
#include "tui/client/e2e.hpp"
#include "tui/client/known_servers.hpp"
#include "tui/client/local_store.hpp"
#include "tui/client/paths.hpp"
#include "tui/client/replace_file.hpp"
#include "tui/client/conn.hpp"
#include "tui/client/task.hpp"
#include "tui/client/worker.hpp"

namespace tacit::client {

namespace {

uint64_t wall_ms() {
    using namespace std::chrono;
    return uint64_t(duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count());
}

Nonce fresh_nonce() { return crypto::random_array<16>(); }

std::optional<Bytes> read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return std::nullopt;
    std::stringstream ss;
    ss << in.rdbuf();
    auto s = ss.str();
    return Bytes(s.begin(), s.end());
}

void write_private(const std::string& path, ByteView data) { replace_file(path, data, 0600); }

void write_public_key(const std::string& path, const UserIdentity& ident) {
    replace_file(path, as_bytes("tacit-user-v1 " + base64(ident.bundle().encode()) + "\n"), 0644);
}

}  // namespace

struct Client::Impl {
    Client& self;
    Options opt;
    Endpoint ep;
    std::string server_name;
    std::optional<ServerBundle> server;
    // Declared in this order so that they die in reverse: the worker joins
    // its thread first (its job may write into a suspended frame), then the
    // connection, then the frames, then the loop that ran them.
    EventLoop loop;
    TaskScope tasks;
    Worker worker{tasks.resumer(loop)};
    std::shared_ptr<Conn> conn;
    std::optional<UserIdentity> id;
    std::optional<PasswordKeys> pw;
    Secret password;  // kept to log in again after renewal or an expired token
    std::unique_ptr<LocalStore> store;
    std::map<std::string, Bytes> key_changes;  // user -> new bundle awaiting accept-key
    std::deque<msg::Notify> notes;
    // One mailbox fetch at a time: NOTIFYs during a fetch ask for one more.
    enum class Fetch { Idle, Running, RunningAgain } fetch = Fetch::Idle;

    Impl(Client& c, Options o) : self(c), opt(std::move(o)) {
        opt.data_dir = private_data_dir(opt.data_dir.empty() ? data_home() : opt.data_dir);
        auto p = parse_endpoint(opt.server, 7700);
        if (!p) throw std::runtime_error("bad server address: " + opt.server);
        ep = *p;
        server_name = to_string(ep);
    }
    ~Impl() {
        if (conn) conn->on_closed(nullptr);
    }

    void event(Event e) { self.events_.push_back(std::move(e)); }

    // Reads of the local store for the front ends: a failure (an I/O error)
    // becomes an Info event and an empty answer, never an exception the
    // screen's loop would have to survive.
    template <class F> auto from_store(F&& f) -> decltype(f(*store)) {
        if (!store) return {};
        try {
            return f(*store);
        } catch (const std::exception& e) {
            info(e.what());
            return {};
        }
    }
    void info(std::string text) {
        Event e{Event::Kind::Info, {}, {}, std::move(text), {}, {}, {}, 0};
        event(std::move(e));
    }
    std::string user_dir(const std::string& user) const {
        return opt.data_dir + "/" + server_dirname(server_name) + "/" + user;
    }

    // ------------------------------------------------------------ the loop
    // Runs t to its end on this client's loop: the synchronous face of the
    // core, for batch mode, the tests and (until it runs on the loop
    // itself) the full-screen client. Never from inside a loop callback.
    template <class T> T wait(Task<T> t) {
        std::optional<std::variant<std::exception_ptr, T>> out;
        tasks.spawn(std::move(t), [&out](std::variant<std::exception_ptr, T> v) { out.emplace(std::move(v)); });
        while (!out) loop.run_once(-1);
        if (out->index() == 0) std::rethrow_exception(std::get<0>(*out));
        return std::move(std::get<1>(*out));
    }
    // Work started by the server's notices runs in the background; its
    // failures are reported, never thrown into a front end.
    void background(Task<Result> t, std::string what) {
        tasks.spawn(std::move(t), [this, what](std::variant<std::exception_ptr, Result> v) {
            if (v.index() == 0) {
                try {
                    std::rethrow_exception(std::get<0>(v));
                } catch (const std::exception& e) {
                    info(what + ": " + e.what());
                }
            }
        });
    }
    void pump() {
        while (loop.run_once(0) > 0) {
        }
    }

    // ------------------------------------------------------------ the connection
    void attach(std::shared_ptr<Conn> c) {
        conn = std::move(c);
        Conn* raw = conn.get();
        conn->on_closed([this, raw](const std::string& why) {
            if (conn.get() != raw) return;
            conn.reset();
            event(Event{Event::Kind::Disconnected, {}, {}, "disconnected from " + server_name + ": " + why, {}, {}, {}, 0});
        });
        conn->on_unsolicited([this](const Frame& f) { unsolicited(f); });
    }
    // Drops the connection without a Disconnected event (logout, reconnect).
    void quiet_drop() {
        if (!conn) return;
        conn->on_closed(nullptr);
        conn->close("closed by the client");
        conn.reset();
    }
    void unsolicited(const Frame& f) {
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
    void take_notes() {
        bool mail = false;
        while (!notes.empty()) {
            auto n = notes.front();
            notes.pop_front();
            if (n.what == proto::NOTIFY_MAIL || n.what == proto::NOTIFY_GROUP) mail = true;
            if (n.what == proto::NOTIFY_PRESENCE) event(Event{Event::Kind::Presence, {}, {}, {}, {}, {}, {}, n.count});
        }
        if (mail && self.token_) start_fetch();
    }
    void start_fetch() {
        if (fetch != Fetch::Idle) {
            fetch = Fetch::RunningAgain;
            return;
        }
        fetch = Fetch::Running;
        background(fetch_loop(), "could not fetch new messages");
    }
    Task<Result> fetch_loop() {
        Result r;
        try {
            do {
                fetch = Fetch::Running;
                r = co_await fetch_all();
            } while (fetch == Fetch::RunningAgain && conn);
        } catch (...) {
            fetch = Fetch::Idle;
            throw;
        }
        fetch = Fetch::Idle;
        co_return r;
    }

    template <class Rep, class Req>
    auto ask(const Req& m, Signers s = {}, Nonce Rep::*echo = nullptr, std::optional<Nonce> expect = {}) {
        if (!conn) throw ConnError("not connected");
        return conn->ask<Rep>(m, s, echo, expect);
    }
    Signers signed_by_me() const { return Signers{&id->sign, nullptr}; }

    // ------------------------------------------------------------ connect
    Task<Result> connect() {
        auto known_file = opt.data_dir + "/known_servers";
        if (!opt.server_key_file.empty()) {
            server = read_server_pub(opt.server_key_file);
            remember_server(known_file, server_name, *server);
        } else if (auto k = known_server(known_file, server_name)) {
            server = *k;
        } else {
            auto asking = Conn::key_request(tasks.resumer(loop), worker, ep, opt.timeout_ms);
            auto b = co_await asking;
            auto fp = fingerprint(b.encode());
            if (opt.confirm_new_server && !opt.confirm_new_server(fp))
                co_return Result::fail(proto::AUTH_FAILED, "server key not accepted");
            remember_server(known_file, server_name, b);
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
    Task<Result> explain_failed_hello(std::string what, std::string known_file) {
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
    // ------------------------------------------------------------ identity
    Secret store_key(const std::string& dir, ByteView file_key, bool create) {
        // The history is encrypted under a random store key wrapped by the
        // password's file key, so a password change rewraps 32 bytes.
        auto path = dir + "/store.key";
        if (auto data = read_file(path); data && data->size() == 12 + 32 + 16) {
            ByteView v(*data);
            auto k = crypto::gcm_open(file_key, v.first(12), as_bytes("tacit store key"), v.subspan(12));
            if (!k) throw std::runtime_error("cannot open the local store key (wrong password?)");
            return std::move(*k);
        }
        if (!create) throw std::runtime_error("no local store key in " + dir);
        Secret k(32);
        crypto::random_bytes(k.data(), 32);
        wrap_store_key(dir, file_key, k);
        return k;
    }
    void wrap_store_key(const std::string& dir, ByteView file_key, const Secret& k) {
        auto iv = crypto::random_array<12>();
        auto ct = crypto::gcm_seal(file_key, iv, as_bytes("tacit store key"), k);
        write_private(dir + "/store.key", concat({iv, ct}));
    }
    void open_store(const std::string& user) {
        auto dir = user_dir(user);
        auto k = store_key(dir, pw->file_key, true);
        store.reset();  // LMDB: one environment per store per process, so close the old one first
        store = std::make_unique<LocalStore>(dir + "/store", k, opt.store_initial_map);
    }

    // ------------------------------------------------------------ accounts
    // PBKDF2 and RSA key generation take a second or more: off the loop.
    Task<PasswordKeys> derive(std::string password_text, std::string user) {
        auto job = worker.run([p = std::move(password_text), u = std::move(user)] { return derive_password(p, u); });
        co_return co_await job;
    }
    Task<UserIdentity> generate_identity() {
        auto job = worker.run([] { return UserIdentity::generate(); });
        co_return co_await job;
    }

    Task<Result> register_user(std::string user, std::string password_text) {
        if (auto why = name_problem(user); !why.empty())
            co_return Result::fail(proto::BAD_REQUEST, "invalid user name: " + why);
        if (!conn) co_return Result::fail(proto::INTERNAL, "not connected");
        auto keys = co_await derive(password_text, user);
        auto ident = co_await generate_identity();
        msg::Register m;
        m.user = user;
        m.pass.assign(keys.auth.view().begin(), keys.auth.view().end());
        m.public_key = ident.bundle().encode();
        m.nonce = fresh_nonce();
        auto awaiting = ask<msg::RegisterR>(m, Signers{&ident.sign, nullptr}, &msg::RegisterR::nonce);
        wipe(m.pass.data(), m.pass.size());
        auto r = co_await std::move(awaiting);
        if (!r.ok()) co_return r.res;
        auto dir = user_dir(user);
        make_dirs(dir);
        write_private(dir + "/identity.key", seal_user_keyfile(ident, keys.file_key));
        write_public_key(dir + "/identity.pub", ident);
        store_key(dir, keys.file_key, true);
        co_return r.res;
    }

    Task<Result> login(std::string user, std::string password_text) {
        if (auto why = name_problem(user); !why.empty())
            co_return Result::fail(proto::BAD_REQUEST, "invalid user name: " + why);
        if (!conn) {
            // After logout (the server closes the connection) or a drop:
            // logging in again starts with a fresh connection.
            auto c = co_await connect();
            if (!c.ok) co_return c;
        }
        auto keys = co_await derive(password_text, user);
        Result err;
        auto ident = open_identity(user, keys, &err);
        if (!ident) co_return err;
        auto r = co_await do_login(user, *ident, keys);
        if (!r.ok) co_return r;
        id = std::move(*ident);
        pw = std::move(keys);
        password = Secret(as_bytes(password_text));
        self.user_ = user;
        open_store(user);
        store->put_secret("token", *self.token_);
        co_await fetch_all();
        co_return r;
    }
    // The identity file opened with keys: the one check of a password that
    // needs no server (login, and passwd's current password).
    std::optional<UserIdentity> open_identity(const std::string& user, const PasswordKeys& keys, Result* err) {
        auto path = user_dir(user) + "/identity.key";
        auto keyfile = read_file(path);
        if (!keyfile) {
            *err = Result::fail(proto::AUTH_FAILED,
                                "no key for " + user + " on this machine (" + path + "); register first");
            return std::nullopt;
        }
        struct stat st{};
        if (::stat(path.c_str(), &st) == 0 && (st.st_mode & 077)) {
            *err = Result::fail(proto::AUTH_FAILED, path + " is readable by others; chmod 600 it");
            return std::nullopt;
        }
        auto ident = open_user_keyfile(*keyfile, keys.file_key);
        wipe(keyfile->data(), keyfile->size());
        if (!ident) *err = Result::fail(proto::AUTH_FAILED, "wrong password: cannot open your key file");
        return ident;
    }

    // LOGIN1, LOGIN2. ident and keys are the caller's and outlive the exchange.
    Task<Result> do_login(std::string user, const UserIdentity& ident, const PasswordKeys& keys) {
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

    Task<Result> logout() {
        if (!conn || !self.token_) co_return Result::fail(proto::AUTH_FAILED, "not logged in");
        msg::Logout m;
        m.token = *self.token_;
        // The server closes the connection; wait for that so the logout is done.
        auto c = conn;
        c->on_closed(nullptr);
        c->send(msg::encode_body(m), signed_by_me());
        co_await closed(c);
        if (conn == c) conn.reset();
        if (store) store->erase_secret("token");
        self.token_.reset();
        co_return Result::good("logged out");
    }
    // Resumes when c has closed (or after the request timeout, closing it).
    Task<void> closed(std::shared_ptr<Conn> c) {
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

    Task<Result> who(std::vector<std::string>* users) {
        msg::Online m;
        m.token = *self.token_;
        m.nonce = fresh_nonce();
        auto r = co_await ask<msg::OnlineR>(m, signed_by_me(), &msg::OnlineR::nonce);
        if (!r.ok()) co_return r.res;
        *users = r.m->users;
        co_return Result::good(fmt::format("{} online", users->size()));
    }

    Task<Result> ping(uint64_t* rtt_us) {
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

    Task<Result> rekey() {
        auto next = co_await generate_identity();
        PasswordKeys same{Secret(pw->auth.view()), Secret(pw->file_key.view())};
        auto renewing = renew(std::move(next), std::move(same), std::nullopt);
        auto r = co_await renewing;
        if (!r.ok) co_return r;
        co_return Result::good("new key published, fingerprint " + fingerprint(id->bundle().encode()) +
                               "; contacts see a key change until they accept it" + r.msg);
    }

    // Only the password changes: RENEW3 carries the registered bundle again
    // (tacit-protocol(7): public_key may be unchanged), so contacts see no
    // key change. The current password must open the identity file first.
    Task<Result> passwd(std::string old_password, std::string new_password) {
        if (!self.token_) co_return Result::fail(proto::AUTH_FAILED, "not logged in");
        Result err;
        auto old_keys = co_await derive(old_password, self.user_);
        auto same = open_identity(self.user_, old_keys, &err);
        if (!same) co_return err;
        auto new_keys = co_await derive(new_password, self.user_);
        auto renewing = renew(std::move(*same), std::move(new_keys), std::optional<std::string>(new_password));
        auto r = co_await renewing;
        if (!r.ok) co_return r;
        co_return Result::good("password changed; your key is unchanged" + r.msg);
    }

    // RENEW1..3 with next as the key (the current one again for a password
    // change) and keys for the password; then logs in again. On success msg
    // is "", or why that login failed.
    Task<Result> renew(UserIdentity next, PasswordKeys keys, std::optional<std::string> new_password) {
        if (!conn || !self.token_) co_return Result::fail(proto::AUTH_FAILED, "not logged in");
        const std::string user = self.user_;
        // Mail waiting now is wrapped for the old key, which is gone after
        // RENEW3: fetch it first. (Mail that lands during the exchange below
        // still can't be opened with the new key.)
        if (auto f = co_await fetch_all(); !f.ok) co_return f;
        // Step 1 and 2: a fresh session key on the live connection.
        msg::Renew1 r1;
        r1.token = *self.token_;
        r1.nonce = fresh_nonce();
        auto a1 = co_await ask<msg::Renew1R>(r1, {}, &msg::Renew1R::nonce);
        if (!a1.ok()) co_return a1.res;
        auto a2 = co_await conn->renew2(*self.token_);
        if (!a2.ok()) co_return a2.res;
        if (!conn || !conn->finish_renew(a2.m->server_random, a2.m->server_eph_pub, a2.m->nonce))
            throw ConnError("key renewal reply does not match");
        // Step 3: the key and password, signed by the old key and the new.
        msg::Renew3 r3;
        r3.token = *self.token_;
        r3.pass.assign(keys.auth.view().begin(), keys.auth.view().end());
        r3.public_key = next.bundle().encode();
        r3.nonce = fresh_nonce();
        auto awaiting = ask<msg::Renew3R>(r3, Signers{&id->sign, &next.sign}, &msg::Renew3R::nonce);
        wipe(r3.pass.data(), r3.pass.size());
        auto a3 = co_await std::move(awaiting);
        if (!a3.ok()) co_return a3.res;
        // Committed on the server: store the key file, rewrap the store key.
        auto dir = user_dir(user);
        auto sk = store_key(dir, pw->file_key, false);
        write_private(dir + "/identity.key", seal_user_keyfile(next, keys.file_key));
        write_public_key(dir + "/identity.pub", next);
        wrap_store_key(dir, keys.file_key, sk);
        id = std::move(next);
        pw = std::move(keys);
        if (new_password) password = Secret(as_bytes(*new_password));
        // RENEW3 ended every session; log in again here, so the user need not.
        quiet_drop();
        self.token_.reset();
        auto c = co_await connect();
        // Committed all the same, so not a failure; the TUI reconnects by itself.
        if (!c.ok) co_return Result::good("; logging in again failed: " + c.msg);
        auto l = co_await do_login(user, *id, *pw);
        if (!l.ok) co_return Result::good("; logging in again failed: " + l.msg);
        store->put_secret("token", *self.token_);
        co_return Result::good("");
    }


    // ------------------------------------------------------------ contacts
    // Looks up a user's current key on the server (MSG1).
    Task<std::optional<Bytes>> fetch_key(std::string user, Result* err) {
        msg::Msg1 m;
        m.token = *self.token_;
        m.target = user;
        m.nonce1 = fresh_nonce();
        auto r = co_await ask<msg::Msg1R>(m, signed_by_me(), &msg::Msg1R::nonce1);
        if (!r.ok()) {
            *err = r.res;
            co_return std::nullopt;
        }
        co_return r.m->target_public_key;
    }
    // Pins on first use; flags a change. Returns the bundle to use, or a
    // KEY_CHANGED failure.
    std::optional<UserBundle> checked_key(const std::string& user, const Bytes& current, Result* err) {
        auto pinned = store->pinned(user);
        if (!pinned) {
            auto b = UserBundle::decode(current);
            if (!b) {
                *err = Result::fail(proto::BAD_REQUEST, "server sent an invalid key for " + user);
                return std::nullopt;
            }
            store->pin(user, current);
            info("pinned key of " + user + ": " + fingerprint(current));
            return b;
        }
        if (*pinned != current) {
            key_changes[user] = current;
            Event e{Event::Kind::KeyChanged, {}, {}, {}, user, fingerprint(current), fingerprint(*pinned), 0};
            event(std::move(e));
            *err = Result::fail(proto::KEY_CHANGED,
                                fmt::format("the key of {} changed from {} to {}; verify it, then accept-key {}",
                                            user, fingerprint(*pinned), fingerprint(current), user));
            return std::nullopt;
        }
        return UserBundle::decode(*pinned);
    }

    Task<Result> accept_key(std::string user) {
        auto it = key_changes.find(user);
        Bytes b;
        if (it != key_changes.end()) {
            b = it->second;
            key_changes.erase(it);
        } else {
            Result err;
            auto k = co_await fetch_key(user, &err);
            if (!k) co_return err;
            b = *k;
        }
        store->pin(user, b);
        co_return Result::good("accepted key of " + user + ": " + fingerprint(b));
    }

    // ------------------------------------------------------------ messages
    Task<Result> send(std::string to, std::string body) {
        if (body.size() > proto::kMaxBody) co_return Result::fail(proto::TOO_LARGE, "message body is over 64 KiB");
        if (auto why = name_problem(to); !why.empty())
            co_return Result::fail(proto::BAD_REQUEST, "invalid user name: " + why);
        Result err;
        auto current = co_await fetch_key(to, &err);
        if (!current) co_return err;
        auto bundle = checked_key(to, *current, &err);
        if (!bundle) co_return err;
        auto env = seal_envelope(*id, self.user_, to, "", *bundle, body, crypto::random_array<16>(), wall_ms());
        msg::Msg2 m;
        m.nonce2 = fresh_nonce();
        m.target = to;
        m.enc_msg = std::move(env.enc_msg);
        m.wrapped_key = std::move(env.wrapped_key);
        auto r = co_await ask<msg::Msg2R>(m, signed_by_me(), &msg::Msg2R::nonce2);
        if (!r.ok()) co_return r.res;
        store->add({env.record}, self.user_);
        auto res = r.res;
        res.id = env.record.id;
        co_return res;
    }

    Task<ChatMessage> open_stored(msg::Stored st) {
        if (!name_problem(st.sender).empty()) throw WireError(WireError::Invalid, "invalid sender name");
        ChatMessage cm;
        std::string problem;
        auto o = open_envelope(*id, self.user_, st, &problem);
        if (!o) {
            cm.id = fmt::format("undecryptable-{}", st.id);
            cm.from = st.sender;
            cm.to = self.user_;
            cm.group = st.group;
            cm.sent_at_ms = st.received_at_ms;
            cm.problem = problem;
            co_return cm;
        }
        cm = to_chat(o->fm);
        cm.received_at_ms = st.received_at_ms;
        auto pinned = store->pinned(cm.from);
        Result err;
        std::optional<UserBundle> sender;
        if (pinned) sender = UserBundle::decode(*pinned);
        else if (auto k = co_await fetch_key(cm.from, &err)) sender = checked_key(cm.from, *k, &err);
        if (sender && verify_envelope(*o, *sender)) {
            cm.verified = true;
        } else {
            cm.problem = "signature does not verify with the pinned key of " + cm.from;
            // If the sender changed keys, say so: the user decides.
            if (pinned) {
                if (auto k = co_await fetch_key(cm.from, &err); k && *k != *pinned) checked_key(cm.from, *k, &err);
            }
        }
        co_return cm;
    }
    void system_entry(const msg::Stored& st, std::vector<ChatMessage>& out) {
        ChatMessage cm;
        cm.id = fmt::format("sys-{}", st.id);
        cm.group = st.group;
        cm.sent_at_ms = st.received_at_ms;
        cm.to = self.user_;
        try {
            auto se = msg::SystemEntry::decode(st.enc_msg);
            auto in = msg::system_sig_input(self.user_, st.id, st.group, st.received_at_ms, se.text);
            cm.verified = conn->server_key().verify(in, se.sig);
            cm.body = se.text;
        } catch (const WireError&) {
            cm.problem = "malformed system entry";
        }
        if (!store->seen("", cm.id) && cm.verified) {
            // "EVENT ACTOR SUBJECT"
            std::istringstream ss(cm.body);
            std::string ev, actor, subject;
            ss >> ev >> actor >> subject;
            if (!name_problem(st.group).empty()) throw WireError(WireError::Invalid, "invalid group name");
            if (ev == "created" || (ev == "added" && subject == self.user_)) store->set_group(st.group, true);
            if ((ev == "removed" || ev == "left") && subject == self.user_) store->set_group(st.group, false);
            if (ev == "dissolved") store->set_group(st.group, false);
            Event e{Event::Kind::Group, {}, st.group, cm.body, subject, {}, {}, 0};
            e.msg = cm;
            event(std::move(e));
        }
        cm.from = "";
        out.push_back(std::move(cm));
    }

    Task<Result> fetch_all() {
        size_t total = 0, shown = 0;
        for (int page = 0; page < 100000; ++page) {
            msg::Update1 u;
            u.token = *self.token_;
            u.nonce1 = fresh_nonce();
            auto r = co_await ask<msg::Update1R>(u, {}, &msg::Update1R::nonce1);
            if (!r.ok()) co_return r.res;
            auto& d = *r.m;
            std::vector<ChatMessage> got;
            for (auto& st : d.messages) {
                // One bad entry (a malformed field, a name that can't be a
                // key) must cost only itself: throwing here would leave the
                // page unacknowledged and fetched again forever.
                std::string bad;
                try {
                    if (st.kind == proto::STORED_SYSTEM) system_entry(st, got);
                    else got.push_back(co_await open_stored(st));
                } catch (const ConnError&) {
                    throw;
                } catch (const std::exception& e) {
                    bad = e.what();
                }
                if (!bad.empty()) info(fmt::format("dropped message {} from the server: {}", st.id, bad));
            }
            // History commits before the ack, so nothing is lost if we die here.
            auto fresh = store->add(got, self.user_);
            for (auto& m : fresh) {
                if (m.from.empty()) continue;  // system entries were reported already
                ++shown;
                event(Event{Event::Kind::Message, m, m.group, {}, {}, {}, {}, 0});
            }
            total += d.messages.size();
            msg::Update2 a;
            a.nonce2 = d.nonce2;
            if (!conn) throw ConnError("not connected");
            conn->send(msg::encode_body(a), {}, &a.nonce2);
            if (!d.more) break;
        }
        auto res = Result::good(fmt::format("{} fetched", total));
        res.count = shown;
        co_return res;
    }

    // ------------------------------------------------------------ groups
    // Create, add and remove share one shape: request with the token and a
    // nonce, signed reply with status, msg and the nonce echoed.
    template <class Req, class Rep> Task<Result> group_change(Req m, std::string g) {
        if (auto why = name_problem(g); !why.empty())
            co_return Result::fail(proto::BAD_REQUEST, "invalid group id: " + why);
        m.token = *self.token_;
        m.group = g;
        m.nonce = fresh_nonce();
        auto r = co_await ask<Rep>(m, signed_by_me(), &Rep::nonce);
        co_return r.res;
    }

    Task<Result> group_simple(uint8_t type, std::string g, std::string user) {
        if (type == proto::GROUP_CREATE) {
            auto changing = group_change<msg::GroupCreate, msg::GroupCreateR>(msg::GroupCreate{}, g);
            auto r = co_await changing;
            if (r.ok) store->set_group(g, true);
            co_return r;
        }
        if (type == proto::GROUP_ADD) {
            msg::GroupAdd m{};
            m.user = user;
            auto changing = group_change<msg::GroupAdd, msg::GroupAddR>(std::move(m), g);
            co_return co_await changing;
        }
        msg::GroupRemove m{};
        m.user = user;
        auto changing = group_change<msg::GroupRemove, msg::GroupRemoveR>(std::move(m), g);
        auto r = co_await changing;
        if (r.ok && user == self.user_) store->set_group(g, false);
        co_return r;
    }

    Task<Result> group_keys(std::string g, std::vector<msg::MemberKey>* out) {
        if (auto why = name_problem(g); !why.empty())
            co_return Result::fail(proto::BAD_REQUEST, "invalid group id: " + why);
        msg::GroupMsg1 m;
        m.token = *self.token_;
        m.group = g;
        m.nonce = fresh_nonce();
        auto r = co_await ask<msg::GroupMsg1R>(m, signed_by_me(), &msg::GroupMsg1R::nonce);
        if (!r.ok()) co_return r.res;
        *out = std::move(r.m->members);
        co_return r.res;
    }

    Task<Result> group_send(std::string g, std::string body) {
        if (body.size() > proto::kMaxBody) co_return Result::fail(proto::TOO_LARGE, "message body is over 64 KiB");
        std::vector<msg::MemberKey> members;
        auto r = co_await group_keys(g, &members);
        if (!r.ok) co_return r;
        // Every key is checked before anything is sent: no part goes out to a
        // member whose key changed until the user accepts it.
        std::vector<std::pair<std::string, UserBundle>> targets;
        for (auto& mk : members) {
            Result err;
            auto b = checked_key(mk.user, mk.public_key, &err);
            if (!b) co_return err;
            targets.emplace_back(mk.user, *b);
        }
        auto msg_id = crypto::random_array<16>();
        auto now = wall_ms();
        ChatMessage record;
        record.id = to_hex(msg_id);
        record.from = self.user_;
        record.group = g;
        record.sent_at_ms = now;
        record.body = body;
        record.outgoing = record.verified = true;
        // One frame per ~768 KiB of parts; each frame is all or nothing.
        size_t i = 0;
        while (i < targets.size()) {
            msg::GroupMsg2Batch b;
            b.nonce = fresh_nonce();
            b.group = g;
            size_t bytes = 0;
            while (i < targets.size() && (b.parts.empty() || bytes < 768 * 1024)) {
                auto env = seal_envelope(*id, self.user_, targets[i].first, g, targets[i].second, body, msg_id, now);
                bytes += env.enc_msg.size() + env.wrapped_key.size() + 64;
                b.parts.push_back(msg::Part{targets[i].first, std::move(env.enc_msg), std::move(env.wrapped_key)});
                ++i;
            }
            auto rr = co_await ask<msg::GroupMsg2BatchR>(b, signed_by_me(), &msg::GroupMsg2BatchR::nonce);
            if (!rr.ok()) co_return rr.res;
        }
        store->add({record}, self.user_);
        auto res = Result::good(fmt::format("sent to {} member{}", targets.size(), targets.size() == 1 ? "" : "s"));
        res.id = record.id;
        co_return res;
    }

    Task<Result> group_members(std::string g, std::vector<std::string>* members) {
        std::vector<msg::MemberKey> mk;
        auto r = co_await group_keys(g, &mk);
        if (!r.ok) co_return r;
        members->clear();
        members->push_back(self.user_);
        for (auto& m : mk) members->push_back(m.user);
        std::sort(members->begin(), members->end());
        co_return Result::good(fmt::format("{} member{}", members->size(), members->size() == 1 ? "" : "s"));
    }

    // ------------------------------------------------------------ reconnect
    Task<Result> reconnect() {
        quiet_drop();
        auto c = co_await connect();
        if (!c.ok) co_return c;
        if (self.token_) {
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
                event(Event{Event::Kind::Reconnected, {}, {}, "session resumed", {}, {}, {}, 0});
                co_await fetch_all();
                co_return Result::good("session resumed");
            }
            // Token gone (expired or server restarted): log in again on the
            // connection connect() opened.
            self.token_.reset();
        }
        if (id && pw) {
            auto l = co_await do_login(self.user_, *id, *pw);
            if (!l.ok) co_return l;
            store->put_secret("token", *self.token_);
            event(Event{Event::Kind::Reconnected, {}, {}, "logged in again", {}, {}, {}, 0});
            co_await fetch_all();
        }
        co_return Result::good("reconnected");
    }
};

// ------------------------------------------------------------------ facade

Client::Client(Options opt) : impl_(std::make_unique<Impl>(*this, std::move(opt))) {}
Client::~Client() = default;

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
    return impl_->conn ? EventLoop::now_ms() - impl_->conn->last_send_ms() : 0;
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
Result Client::register_user(const std::string& u, const std::string& p) {
    return guarded([&] { return impl_->wait(impl_->register_user(u, p)); });
}
Result Client::login(const std::string& u, const std::string& p) {
    return guarded([&] { return impl_->wait(impl_->login(u, p)); });
}
Result Client::logout() { return guarded([&] { return impl_->wait(impl_->logout()); }); }
Result Client::who(std::vector<std::string>* users) {
    NEED_LOGIN();
    return guarded([&] { return impl_->wait(impl_->who(users)); });
}
Result Client::rekey() {
    NEED_LOGIN();
    return guarded([&] { return impl_->wait(impl_->rekey()); });
}
Result Client::passwd(const std::string& op, const std::string& np) {
    NEED_LOGIN();
    return guarded([&] { return impl_->wait(impl_->passwd(op, np)); });
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
Result Client::group_members(const std::string& g, std::vector<std::string>* members) {
    NEED_LOGIN();
    return guarded([&] { return impl_->wait(impl_->group_members(g, members)); });
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
