#include "tui/client/client.hpp"

#include <sys/stat.h>

#include <chrono>
#include <fcntl.h>
#include <fmt/core.h>
#include <fstream>
#include <map>
#include <sstream>
#include <unistd.h>

#include "shared/clock.hpp"
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
#include "tui/client/secure_conn.hpp"

namespace tacit::client {

namespace {

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
    std::unique_ptr<SecureConn> conn;
    std::optional<UserIdentity> id;
    std::optional<PasswordKeys> pw;
    Secret password;  // kept to log in again after renewal or an expired token
    std::unique_ptr<LocalStore> store;
    std::map<std::string, Bytes> key_changes;  // user -> new bundle awaiting accept-key
    std::deque<msg::Notify> notes;

    Impl(Client& c, Options o) : self(c), opt(std::move(o)) {
        opt.data_dir = private_data_dir(opt.data_dir.empty() ? data_home() : opt.data_dir);
        auto p = parse_endpoint(opt.server, 7700);
        if (!p) throw std::runtime_error("bad server address: " + opt.server);
        ep = *p;
        server_name = to_string(ep);
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

    // ------------------------------------------------------------ requests
    struct Reply {
        Frame f;
        bool error = false;
        msg::Error err;
    };

    // Sends body and waits for its reply (type want) or ERROR. NOTIFY frames
    // seen meanwhile are kept for pump().
    Reply call(Bytes body, uint8_t want, const crypto::PkKey* s1 = nullptr,
               const crypto::PkKey* s2 = nullptr) {
        if (!conn) throw ConnError("not connected");
        try {
            conn->send(std::move(body), s1, s2);
            for (;;) {
                auto f = conn->recv(opt.timeout_ms);
                if (!f) throw ConnError("server did not answer in time");
                uint8_t t = f->pt.size() ? f->pt[0] : 0;
                if (t == proto::NOTIFY) {
                    notes.push_back(msg::decode<msg::Notify>(f->pt).m);
                    continue;
                }
                if (t == want) return Reply{std::move(*f), false, {}};
                if (t == proto::ERROR) {
                    auto e = msg::decode_error(f->pt);
                    if (!e.sigs.empty() && !conn->verify_server_sig(*f, e.signed_len, e.sigs[0]))
                        throw ConnError("server signature does not verify");
                    return Reply{std::move(*f), true, e.m};
                }
                // Anything else is out of order: the channel guarantees order,
                // so this is a protocol error; drop it.
            }
        } catch (const ConnError&) {
            drop();
            throw;
        }
    }

    template <class M> msg::Decoded<M> decode_signed(const Reply& r) {
        auto d = msg::decode<M>(r.f.pt);
        for (auto& s : d.sigs)
            if (!conn->verify_server_sig(r.f, d.signed_len, s))
                throw ConnError("server signature does not verify");
        return d;
    }

    void drop() {
        if (conn) {
            conn.reset();
            Event e{Event::Kind::Disconnected, {}, {}, "disconnected from " + server_name, {}, {}, {}, 0};
            event(std::move(e));
        }
    }

    Result error_result(const Reply& r) {
        return Result::fail(r.err.status, r.err.msg);
    }

    // ------------------------------------------------------------ connect
    Result connect() {
        auto known_file = opt.data_dir + "/known_servers";
        if (!opt.server_key_file.empty()) {
            server = read_server_pub(opt.server_key_file);
            remember_server(known_file, server_name, *server);
        } else if (auto k = known_server(known_file, server_name)) {
            server = *k;
        } else {
            auto b = SecureConn::key_request(ep, opt.timeout_ms);
            auto fp = fingerprint(b.encode());
            if (opt.confirm_new_server && !opt.confirm_new_server(fp))
                return Result::fail(proto::AUTH_FAILED, "server key not accepted");
            remember_server(known_file, server_name, b);
            server = b;
            info("pinned the key of " + server_name + ": " + fp);
        }
        conn = std::make_unique<SecureConn>(ep, *server, opt.timeout_ms);
        try {
            conn->hello();
        } catch (const ConnError& e) {
            conn.reset();
            std::string what = e.what();
            // A server that can't open our HELLO closes without a word, as a
            // rate-limited one does; ask for its key to tell the two apart.
            bool mismatch = what.find("does not open") != std::string::npos;
            std::string offered;
            if (!mismatch) {
                try {
                    auto now = SecureConn::key_request(ep, opt.timeout_ms);
                    mismatch = now.encode() != server->encode();
                    offered = fingerprint(now.encode());
                } catch (const std::exception&) {
                }
            }
            if (mismatch)
                return Result::fail(
                    proto::KEY_CHANGED,
                    fmt::format("WARNING: SERVER KEY DOES NOT MATCH. {} did not prove it holds the pinned key {}{}. "
                                "Someone may be intercepting the connection. If the server key was "
                                "changed on purpose, remove the line for {} from {}.",
                                server_name, fingerprint(server->encode()),
                                offered.empty() ? "" : " (it now offers " + offered + ")", server_name,
                                known_file));
            return Result::fail(proto::INTERNAL, what);
        } catch (const std::exception& e) {
            // connect_endpoint failures (refused, unreachable): leave no half-made connection.
            conn.reset();
            return Result::fail(proto::INTERNAL, e.what());
        }
        return Result::good("connected to " + server_name);
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
    Result register_user(const std::string& user, const std::string& password_text) {
        if (auto why = name_problem(user); !why.empty())
            return Result::fail(proto::BAD_REQUEST, "invalid user name: " + why);
        if (!conn) return Result::fail(proto::INTERNAL, "not connected");
        auto keys = derive_password(password_text, user);
        auto ident = UserIdentity::generate();
        msg::Register m;
        m.user = user;
        m.pass.assign(keys.auth.view().begin(), keys.auth.view().end());
        m.public_key = ident.bundle().encode();
        m.nonce = fresh_nonce();
        auto r = call(msg::encode_body(m), msg::RegisterR::type, &ident.sign);
        wipe(m.pass.data(), m.pass.size());
        if (r.error) return error_result(r);
        auto d = decode_signed<msg::RegisterR>(r);
        if (!ct_equal(d.m.nonce, m.nonce)) throw ConnError("reply nonce mismatch");
        if (d.m.status != proto::OK) return Result::fail(d.m.status, d.m.msg);
        auto dir = user_dir(user);
        make_dirs(dir);
        write_private(dir + "/identity.key", seal_user_keyfile(ident, keys.file_key));
        write_public_key(dir + "/identity.pub", ident);
        store_key(dir, keys.file_key, true);
        return Result::good(d.m.msg);
    }

    Result login(const std::string& user, const std::string& password_text) {
        if (auto why = name_problem(user); !why.empty())
            return Result::fail(proto::BAD_REQUEST, "invalid user name: " + why);
        if (!conn) {
            // After logout (the server closes the connection) or a drop:
            // logging in again starts with a fresh connection.
            auto c = connect();
            if (!c.ok) return c;
        }
        auto keys = derive_password(password_text, user);
        Result err;
        auto ident = open_identity(user, keys, &err);
        if (!ident) return err;
        auto r = do_login(user, *ident, keys);
        if (!r.ok) return r;
        id = std::move(*ident);
        pw = std::move(keys);
        password = Secret(as_bytes(password_text));
        self.user_ = user;
        open_store(user);
        store->put_secret("token", *self.token_);
        fetch_all();
        return r;
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

    Result do_login(const std::string& user, const UserIdentity& ident, const PasswordKeys& keys) {
        msg::Login1 l1;
        l1.user = user;
        l1.nonce1 = fresh_nonce();
        auto r1 = call(msg::encode_body(l1), msg::Login1R::type, &ident.sign);
        if (r1.error) return error_result(r1);
        auto d1 = decode_signed<msg::Login1R>(r1);
        auto verifier = crypto::sha256({keys.auth, d1.m.salt});
        msg::Login2 l2;
        auto proof = crypto::hmac_sha256(verifier, d1.m.nonce2);
        wipe(verifier.data(), verifier.size());
        l2.proof.assign(proof.begin(), proof.end());
        auto r2 = call(msg::encode_body(l2), msg::Login2R::type, &ident.sign);
        if (r2.error) return error_result(r2);
        auto d2 = decode_signed<msg::Login2R>(r2);
        if (!ct_equal(d2.m.nonce1, l1.nonce1)) throw ConnError("reply nonce mismatch");
        if (d2.m.status != proto::OK) return Result::fail(d2.m.status, d2.m.msg);
        self.token_ = d2.m.token;
        conn->logged_in();
        return Result::good(d2.m.msg);
    }

    Result logout() {
        if (!conn || !self.token_) return Result::fail(proto::AUTH_FAILED, "not logged in");
        msg::Logout m;
        m.token = *self.token_;
        conn->send(msg::encode_body(m), &id->sign);
        // The server closes the connection; wait for that so the logout is done.
        try {
            while (conn->recv(opt.timeout_ms)) {}
        } catch (const ConnError&) {
        }
        conn.reset();
        if (store) store->erase_secret("token");
        self.token_.reset();
        return Result::good("logged out");
    }

    Result who(std::vector<std::string>* users) {
        msg::Online m;
        m.token = *self.token_;
        m.nonce = fresh_nonce();
        auto r = call(msg::encode_body(m), msg::OnlineR::type, &id->sign);
        if (r.error) return error_result(r);
        auto d = decode_signed<msg::OnlineR>(r);
        if (!ct_equal(d.m.nonce, m.nonce)) throw ConnError("reply nonce mismatch");
        *users = d.m.users;
        return Result::good(fmt::format("{} online", users->size()));
    }

    Result rekey() {
        auto r = renew(UserIdentity::generate(), PasswordKeys{Secret(pw->auth.view()), Secret(pw->file_key.view())},
                       nullptr);
        if (!r.ok) return r;
        return Result::good("new key published, fingerprint " + fingerprint(id->bundle().encode()) +
                            "; contacts see a key change until they accept it" + r.msg);
    }

    // Only the password changes: RENEW3 carries the registered bundle again
    // (tacit-protocol(7): public_key may be unchanged), so contacts see no
    // key change. The current password must open the identity file first.
    Result passwd(const std::string& old_password, const std::string& new_password) {
        if (!self.token_) return Result::fail(proto::AUTH_FAILED, "not logged in");
        Result err;
        auto same = open_identity(self.user_, derive_password(old_password, self.user_), &err);
        if (!same) return err;
        auto r = renew(std::move(*same), derive_password(new_password, self.user_), &new_password);
        if (!r.ok) return r;
        return Result::good("password changed; your key is unchanged" + r.msg);
    }

    // RENEW1..3 with next as the key (the current one again for a password
    // change) and keys for the password; then logs in again. On success msg
    // is "", or why that login failed.
    Result renew(UserIdentity next, PasswordKeys keys, const std::string* new_password) {
        if (!conn || !self.token_) return Result::fail(proto::AUTH_FAILED, "not logged in");
        const std::string user = self.user_;
        // Mail waiting now is wrapped for the old key, which is gone after
        // RENEW3: fetch it first. (Mail that lands during the exchange below
        // still can't be opened with the new key.)
        if (auto f = fetch_all(); !f.ok) return f;
        // Step 1 and 2: a fresh session key on the live connection.
        msg::Renew1 r1;
        r1.token = *self.token_;
        r1.nonce = fresh_nonce();
        auto a1 = call(msg::encode_body(r1), msg::Renew1R::type);
        if (a1.error) return error_result(a1);
        msg::Renew2 r2;
        r2.ecies = conn->begin_renew(*self.token_);
        auto a2 = call(msg::encode_body(r2), msg::Renew2R::type);
        if (a2.error) return error_result(a2);
        auto d2 = msg::decode<msg::Renew2R>(a2.f.pt);
        if (!conn->finish_renew(d2.m.server_random, d2.m.server_eph_pub, d2.m.nonce))
            throw ConnError("key renewal reply does not match");
        // Step 3: the key and password, signed by the old key and the new.
        msg::Renew3 r3;
        r3.token = *self.token_;
        r3.pass.assign(keys.auth.view().begin(), keys.auth.view().end());
        r3.public_key = next.bundle().encode();
        r3.nonce = fresh_nonce();
        auto a3 = call(msg::encode_body(r3), msg::Renew3R::type, &id->sign, &next.sign);
        wipe(r3.pass.data(), r3.pass.size());
        if (a3.error) return error_result(a3);
        auto d3 = decode_signed<msg::Renew3R>(a3);
        if (!ct_equal(d3.m.nonce, r3.nonce)) throw ConnError("reply nonce mismatch");
        if (d3.m.status != proto::OK) return Result::fail(d3.m.status, d3.m.msg);
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
        conn.reset();
        self.token_.reset();
        auto c = connect();
        // Committed all the same, so not a failure; the TUI reconnects by itself.
        if (!c.ok) return Result::good("; logging in again failed: " + c.msg);
        auto l = do_login(user, *id, *pw);
        if (!l.ok) return Result::good("; logging in again failed: " + l.msg);
        store->put_secret("token", *self.token_);
        return Result::good("");
    }

    // ------------------------------------------------------------ contacts
    // Looks up a user's current key on the server (MSG1).
    std::optional<Bytes> fetch_key(const std::string& user, Result* err) {
        msg::Msg1 m;
        m.token = *self.token_;
        m.target = user;
        m.nonce1 = fresh_nonce();
        auto r = call(msg::encode_body(m), msg::Msg1R::type, &id->sign);
        if (r.error) {
            *err = error_result(r);
            return std::nullopt;
        }
        auto d = decode_signed<msg::Msg1R>(r);
        if (!ct_equal(d.m.nonce1, m.nonce1)) throw ConnError("reply nonce mismatch");
        return d.m.target_public_key;
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

    Result accept_key(const std::string& user) {
        auto it = key_changes.find(user);
        Bytes b;
        if (it != key_changes.end()) {
            b = it->second;
            key_changes.erase(it);
        } else {
            Result err;
            auto k = fetch_key(user, &err);
            if (!k) return err;
            b = *k;
        }
        store->pin(user, b);
        return Result::good("accepted key of " + user + ": " + fingerprint(b));
    }

    // ------------------------------------------------------------ messages
    Result send(const std::string& to, const std::string& body) {
        if (body.size() > proto::kMaxBody) return Result::fail(proto::TOO_LARGE, "message body is over 64 KiB");
        if (auto why = name_problem(to); !why.empty())
            return Result::fail(proto::BAD_REQUEST, "invalid user name: " + why);
        Result err;
        auto current = fetch_key(to, &err);
        if (!current) return err;
        auto bundle = checked_key(to, *current, &err);
        if (!bundle) return err;
        auto env = seal_envelope(*id, self.user_, to, "", *bundle, body, crypto::random_array<16>(), wall_ms());
        msg::Msg2 m;
        m.nonce2 = fresh_nonce();
        m.target = to;
        m.enc_msg = std::move(env.enc_msg);
        m.wrapped_key = std::move(env.wrapped_key);
        auto r = call(msg::encode_body(m), msg::Msg2R::type, &id->sign);
        if (r.error) return error_result(r);
        auto d = decode_signed<msg::Msg2R>(r);
        if (!ct_equal(d.m.nonce2, m.nonce2)) throw ConnError("reply nonce mismatch");
        if (d.m.status != proto::OK) return Result::fail(d.m.status, d.m.msg);
        store->add({env.record}, self.user_);
        auto res = Result::good(d.m.msg);
        res.id = env.record.id;
        return res;
    }

    ChatMessage open_stored(const msg::Stored& st) {
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
            return cm;
        }
        cm = to_chat(o->fm);
        cm.received_at_ms = st.received_at_ms;
        auto pinned = store->pinned(cm.from);
        Result err;
        std::optional<UserBundle> sender;
        if (pinned) sender = UserBundle::decode(*pinned);
        else if (auto k = fetch_key(cm.from, &err)) sender = checked_key(cm.from, *k, &err);
        if (sender && verify_envelope(*o, *sender)) {
            cm.verified = true;
        } else {
            cm.problem = "signature does not verify with the pinned key of " + cm.from;
            // If the sender changed keys, say so: the user decides.
            if (pinned) {
                if (auto k = fetch_key(cm.from, &err); k && *k != *pinned) checked_key(cm.from, *k, &err);
            }
        }
        return cm;
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

    Result fetch_all() {
        size_t total = 0, shown = 0;
        for (int page = 0; page < 100000; ++page) {
            msg::Update1 u;
            u.token = *self.token_;
            u.nonce1 = fresh_nonce();
            auto r = call(msg::encode_body(u), msg::Update1R::type);
            if (r.error) return error_result(r);
            auto d = msg::decode<msg::Update1R>(r.f.pt);
            if (!ct_equal(d.m.nonce1, u.nonce1)) throw ConnError("reply nonce mismatch");
            std::vector<ChatMessage> got;
            for (auto& st : d.m.messages) {
                // One bad entry (a malformed field, a name that can't be a
                // key) must cost only itself: throwing here would leave the
                // page unacknowledged and fetched again forever.
                try {
                    if (st.kind == proto::STORED_SYSTEM) system_entry(st, got);
                    else got.push_back(open_stored(st));
                } catch (const ConnError&) {
                    throw;
                } catch (const std::exception& e) {
                    info(fmt::format("dropped message {} from the server: {}", st.id, e.what()));
                }
            }
            // History commits before the ack, so nothing is lost if we die here.
            auto fresh = store->add(got, self.user_);
            for (auto& m : fresh) {
                if (m.from.empty()) continue;  // system entries were reported already
                ++shown;
                Event e{Event::Kind::Message, m, m.group, {}, {}, {}, {}, 0};
                event(std::move(e));
            }
            total += d.m.messages.size();
            msg::Update2 a;
            a.nonce2 = d.m.nonce2;
            conn->send(msg::encode_body(a));
            if (!d.m.more) break;
        }
        auto res = Result::good(fmt::format("{} fetched", total));
        res.count = shown;
        return res;
    }

    // ------------------------------------------------------------ groups
    // Create, add and remove share one shape: request with the token and a
    // nonce, signed reply with status, msg and the nonce echoed.
    template <class Req, class Rep> Result group_change(Req m, const std::string& g) {
        if (auto why = name_problem(g); !why.empty()) return Result::fail(proto::BAD_REQUEST, "invalid group id: " + why);
        m.token = *self.token_;
        m.group = g;
        m.nonce = fresh_nonce();
        auto r = call(msg::encode_body(m), Rep::type, &id->sign);
        if (r.error) return error_result(r);
        auto d = decode_signed<Rep>(r);
        if (!ct_equal(d.m.nonce, m.nonce)) throw ConnError("reply nonce mismatch");
        if (d.m.status != proto::OK) return Result::fail(d.m.status, d.m.msg);
        return Result::good(d.m.msg);
    }

    Result group_simple(uint8_t type, const std::string& g, const std::string& user) {
        if (type == proto::GROUP_CREATE) {
            auto r = group_change<msg::GroupCreate, msg::GroupCreateR>({}, g);
            if (r.ok) store->set_group(g, true);
            return r;
        }
        if (type == proto::GROUP_ADD) {
            msg::GroupAdd m{};
            m.user = user;
            return group_change<msg::GroupAdd, msg::GroupAddR>(std::move(m), g);
        }
        msg::GroupRemove m{};
        m.user = user;
        auto r = group_change<msg::GroupRemove, msg::GroupRemoveR>(std::move(m), g);
        if (r.ok && user == self.user_) store->set_group(g, false);
        return r;
    }

    Result group_keys(const std::string& g, std::vector<msg::MemberKey>* out) {
        if (auto why = name_problem(g); !why.empty()) return Result::fail(proto::BAD_REQUEST, "invalid group id: " + why);
        msg::GroupMsg1 m;
        m.token = *self.token_;
        m.group = g;
        m.nonce = fresh_nonce();
        auto r = call(msg::encode_body(m), msg::GroupMsg1R::type, &id->sign);
        if (r.error) return error_result(r);
        auto d = decode_signed<msg::GroupMsg1R>(r);
        if (!ct_equal(d.m.nonce, m.nonce)) throw ConnError("reply nonce mismatch");
        if (d.m.status != proto::OK) return Result::fail(d.m.status, d.m.msg);
        *out = std::move(d.m.members);
        return Result::good(d.m.msg);
    }

    Result group_send(const std::string& g, const std::string& body) {
        if (body.size() > proto::kMaxBody) return Result::fail(proto::TOO_LARGE, "message body is over 64 KiB");
        std::vector<msg::MemberKey> members;
        auto r = group_keys(g, &members);
        if (!r.ok) return r;
        // Every key is checked before anything is sent: no part goes out to a
        // member whose key changed until the user accepts it.
        std::vector<std::pair<std::string, UserBundle>> targets;
        for (auto& mk : members) {
            Result err;
            auto b = checked_key(mk.user, mk.public_key, &err);
            if (!b) return err;
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
            auto rr = call(msg::encode_body(b), msg::GroupMsg2BatchR::type, &id->sign);
            if (rr.error) return error_result(rr);
            auto d = decode_signed<msg::GroupMsg2BatchR>(rr);
            if (!ct_equal(d.m.nonce, b.nonce)) throw ConnError("reply nonce mismatch");
            if (d.m.status != proto::OK) return Result::fail(d.m.status, d.m.msg);
        }
        store->add({record}, self.user_);
        auto res = Result::good(fmt::format("sent to {} member{}", targets.size(), targets.size() == 1 ? "" : "s"));
        res.id = record.id;
        return res;
    }

    // ------------------------------------------------------------ pump
    bool pump() {
        if (!conn) return false;
        try {
            while (auto f = conn->recv(0)) {
                if (f->pt.size() && f->pt[0] == proto::NOTIFY) notes.push_back(msg::decode<msg::Notify>(f->pt).m);
            }
            bool fetch = false;
            while (!notes.empty()) {
                auto n = notes.front();
                notes.pop_front();
                if (n.what == proto::NOTIFY_MAIL || n.what == proto::NOTIFY_GROUP) fetch = true;
                if (n.what == proto::NOTIFY_PRESENCE) {
                    Event e{Event::Kind::Presence, {}, {}, {}, {}, {}, {}, n.count};
                    event(std::move(e));
                }
            }
            if (fetch && self.token_) fetch_all();
        } catch (const ConnError&) {
            drop();
            return false;
        } catch (const WireError&) {
            drop();
            return false;
        } catch (const std::exception& e) {
            // The local store (a full disk) or anything else of ours: say
            // so and go on; unacknowledged mail is fetched again later.
            info(std::string("could not fetch new messages: ") + e.what());
        }
        return true;
    }

    Result reconnect() {
        conn.reset();
        auto c = connect();
        if (!c.ok) return c;
        if (self.token_) {
            try {
                if (conn->resume(*self.token_)) {
                    Event e{Event::Kind::Reconnected, {}, {}, "session resumed", {}, {}, {}, 0};
                    event(std::move(e));
                    fetch_all();
                    return Result::good("session resumed");
                }
            } catch (const std::exception& e) {
                conn.reset();
                return Result::fail(proto::INTERNAL, e.what());
            }
            // Token gone (expired or server restarted): log in again.
            self.token_.reset();
            conn.reset();
            c = connect();
            if (!c.ok) return c;
        }
        if (id && pw) {
            auto l = do_login(self.user_, *id, *pw);
            if (!l.ok) return l;
            store->put_secret("token", *self.token_);
            Event e{Event::Kind::Reconnected, {}, {}, "logged in again", {}, {}, {}, 0};
            event(std::move(e));
            fetch_all();
        }
        return Result::good("reconnected");
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

Result Client::connect() { return guarded([&] { return impl_->connect(); }); }
bool Client::connected() const { return impl_->conn != nullptr; }
int Client::fd() const { return impl_->conn ? impl_->conn->fd() : -1; }
std::string Client::server_fingerprint() const {
    return impl_->server ? fingerprint(impl_->server->encode()) : std::string();
}
std::string Client::own_fingerprint() const {
    return impl_->id && token_ ? fingerprint(impl_->id->bundle().encode()) : std::string();
}
Result Client::ping(uint64_t* rtt_us) {
    return guarded([&] {
        if (!impl_->conn) return Result::fail(proto::INTERNAL, "not connected");
        msg::Ping p;
        p.nonce = fresh_nonce();
        auto t0 = std::chrono::steady_clock::now();
        auto r = impl_->call(msg::encode_body(p), msg::Pong::type);
        if (r.error) return impl_->error_result(r);
        auto d = msg::decode<msg::Pong>(r.f.pt);
        if (!ct_equal(d.m.nonce, p.nonce)) throw ConnError("reply nonce mismatch");
        *rtt_us = uint64_t(std::chrono::duration_cast<std::chrono::microseconds>(
                               std::chrono::steady_clock::now() - t0).count());
        return Result::good("pong");
    });
}
uint64_t Client::send_idle_ms() const {
    return impl_->conn ? mono_ms() - impl_->conn->last_send_ms() : 0;
}
bool Client::pump() { return impl_->pump(); }
void Client::disconnect() { impl_->conn.reset(); }
Result Client::reconnect() { return guarded([&] { return impl_->reconnect(); }); }
Result Client::register_user(const std::string& u, const std::string& p) {
    return guarded([&] { return impl_->register_user(u, p); });
}
Result Client::login(const std::string& u, const std::string& p) {
    return guarded([&] { return impl_->login(u, p); });
}
Result Client::logout() { return guarded([&] { return impl_->logout(); }); }
Result Client::who(std::vector<std::string>* users) {
    NEED_LOGIN();
    return guarded([&] { return impl_->who(users); });
}
Result Client::rekey() {
    NEED_LOGIN();
    return guarded([&] { return impl_->rekey(); });
}
Result Client::passwd(const std::string& op, const std::string& np) {
    NEED_LOGIN();
    return guarded([&] { return impl_->passwd(op, np); });
}
bool Client::logged_in() const { return token_.has_value() && impl_->conn; }
const std::string& Client::user() const { return user_; }
Result Client::send(const std::string& to, const std::string& body) {
    NEED_LOGIN();
    return guarded([&] { return impl_->send(to, body); });
}
Result Client::update() {
    NEED_LOGIN();
    return guarded([&] { return impl_->fetch_all(); });
}
Result Client::accept_key(const std::string& u) {
    NEED_LOGIN();
    return guarded([&] { return impl_->accept_key(u); });
}
Result Client::look_up(const std::string& u) {
    NEED_LOGIN();
    return guarded([&] {
        if (auto why = name_problem(u); !why.empty()) return Result::fail(proto::BAD_REQUEST, "invalid user name: " + why);
        Result err;
        if (!impl_->fetch_key(u, &err)) return err;
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
    return guarded([&] { return impl_->group_simple(proto::GROUP_CREATE, g, ""); });
}
Result Client::group_add(const std::string& g, const std::string& u) {
    NEED_LOGIN();
    return guarded([&] { return impl_->group_simple(proto::GROUP_ADD, g, u); });
}
Result Client::group_remove(const std::string& g, const std::string& u) {
    NEED_LOGIN();
    return guarded([&] { return impl_->group_simple(proto::GROUP_REMOVE, g, u); });
}
Result Client::group_send(const std::string& g, const std::string& body) {
    NEED_LOGIN();
    return guarded([&] { return impl_->group_send(g, body); });
}
Result Client::group_members(const std::string& g, std::vector<std::string>* members) {
    NEED_LOGIN();
    return guarded([&] {
        std::vector<msg::MemberKey> mk;
        auto r = impl_->group_keys(g, &mk);
        if (!r.ok) return r;
        members->clear();
        members->push_back(user_);
        for (auto& m : mk) members->push_back(m.user);
        std::sort(members->begin(), members->end());
        return Result::good(fmt::format("{} member{}", members->size(), members->size() == 1 ? "" : "s"));
    });
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
