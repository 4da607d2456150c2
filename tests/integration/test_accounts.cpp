// Accounts (issue 3) against a real tacitd: register, login, logout, who,
// rekey, passwd, and every way an account request is refused.
#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <cstdio>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include "shared/crypto.hpp"
#include "shared/protocol.hpp"
#include "tests/integration/harness.hpp"
#include "tests/integration/raw_client.hpp"
#include "tests/integration/raw_frames.hpp"
#include "tui/client/account.hpp"
#include "tui/client/known_servers.hpp"
#include "tui/client/local_store.hpp"
#include "tui/client/paths.hpp"

using namespace tacit;
using namespace tacit::test;

namespace {

// Plenty of login/registration budget for tests that aren't about the limits.
const std::vector<std::string> kLoose = {"--login-rate", "1000", "--register-rate", "1000"};

std::vector<std::string> with(std::vector<std::string> a, const std::vector<std::string>& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
}

std::vector<std::string> who(TestClient& c) {
    std::vector<std::string> users;
    auto r = c->who(&users);
    INFO(r.msg);
    REQUIRE(r.ok);
    std::sort(users.begin(), users.end());
    return users;
}

void relogin(TestClient& c, const std::string& user, const std::string& pw = "pw") {
    if (!c->connected()) REQUIRE(c->connect().ok);
    auto r = c->login(user, pw);
    INFO("login " << user << ": " << r.msg);
    REQUIRE(r.ok);
}

std::string slurp(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

void spit(const std::string& path, const std::string& data) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << data;
    REQUIRE(out.good());
}

void sleep_ms(int ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

}  // namespace

TEST_CASE("register, login, who, logout, rekey and passwd succeed", "[integration][accounts]") {
    TestServer s(kLoose);
    TestClient a(s, "alice"), b(s, "bob");

    auto r = a->register_user("alice", "pw");
    INFO(r.msg);
    REQUIRE(r.ok);
    REQUIRE(r.msg == "registered alice");
    REQUIRE_FALSE(a->logged_in());
    r = a->login("alice", "pw");
    REQUIRE(r.ok);
    REQUIRE(r.msg == "welcome, alice");
    REQUIRE(a->logged_in());
    REQUIRE(a->user() == "alice");
    REQUIRE(a->token().has_value());
    register_login(b, "bob");

    REQUIRE((who(a) == std::vector<std::string>{"alice", "bob"}));
    REQUIRE((who(b) == std::vector<std::string>{"alice", "bob"}));

    // rekey: a new key pair, the same password; the client is logged in again.
    auto dir = user_dir(s, a, "alice");
    auto old_pub = slurp(dir + "/identity.pub");
    auto old_token = *a->token();
    r = a->rekey();
    INFO(r.msg);
    REQUIRE(r.ok);
    // Logged in again already: the reply must not ask for it.
    REQUIRE(r.msg.find("new key published") != std::string::npos);
    REQUIRE(r.msg.find("log in") == std::string::npos);
    REQUIRE(a->logged_in());
    REQUIRE(*a->token() != old_token);
    REQUIRE(slurp(dir + "/identity.pub") != old_pub);
    REQUIRE((who(a) == std::vector<std::string>{"alice", "bob"}));

    // passwd: new password, same key; only the new password opens the key.
    auto rekeyed_pub = slurp(dir + "/identity.pub");
    r = a->passwd("pw", "correct horse");
    INFO(r.msg);
    REQUIRE(r.ok);
    REQUIRE(r.msg == "password changed; your key is unchanged");
    REQUIRE(slurp(dir + "/identity.pub") == rekeyed_pub);
    REQUIRE(a->logged_in());
    REQUIRE(a->logout().ok);
    REQUIRE_FALSE(a->logged_in());
    REQUIRE_FALSE(a->connected());
    REQUIRE(a->connect().ok);
    r = a->login("alice", "pw");
    REQUIRE_FALSE(r.ok);
    REQUIRE(r.status == proto::AUTH_FAILED);
    // The server has the new verifier too: a raw login with the old password
    // and the current key fails there, the new one succeeds.
    auto id = load_identity(s, a, "alice", "correct horse");
    {
        RawClient raw(s);
        REQUIRE(raw.login("alice", "pw", id).status == proto::AUTH_FAILED);
    }
    relogin(a, "alice", "correct horse");

    // logout
    REQUIRE(b->logout().ok);
    REQUIRE_FALSE(b->logged_in());
    std::vector<std::string> users;
    REQUIRE_FALSE(b->who(&users).ok);
    REQUIRE((who(a) == std::vector<std::string>{"alice"}));
}

// tacit-protocol(7), PASSWORDS and Client identity file: a random salt per
// registration, in the identity file's header, read before PBKDF2.
TEST_CASE("the password salt is random per registration and kept in the identity file", "[integration][accounts][salt]") {
    TestServer s(kLoose), s2(kLoose);
    TestClient a(s, "alice"), a2(s2, "alice");
    for (auto* c : {&a, &a2}) {
        auto r = (*c)->register_user("alice", "pw");
        INFO(r.msg);
        REQUIRE(r.ok);
    }
    const auto file = slurp(user_dir(s, a, "alice") + "/identity.key");
    const auto file2 = slurp(user_dir(s2, a2, "alice") + "/identity.key");
    REQUIRE(file.substr(0, 18) == "tacit-user-key-v3\n");
    auto salt = user_keyfile_salt(as_bytes(file));
    auto salt2 = user_keyfile_salt(as_bytes(file2));
    REQUIRE(salt);
    REQUIRE(salt2);
    // Same user, same password, two registrations: two salts, so two auth keys.
    CHECK(file.substr(18, 16) != file2.substr(18, 16));
    CHECK_FALSE(ct_equal(derive_password("pw", *salt).auth, derive_password("pw", *salt2).auth));

    // Register, log out, log in again: the header's salt gives the same keys.
    relogin(a, "alice");
    REQUIRE(a->logout().ok);
    relogin(a, "alice");
    REQUIRE(a->logout().ok);
    REQUIRE(a->connect().ok);
    auto r = a->login("alice", "pw!");
    CHECK_FALSE(r.ok);
    CHECK(r.status == proto::AUTH_FAILED);
    CHECK_THAT(r.msg, Catch::Contains("wrong password"));
    // The server holds the auth of the random salt, not of any other.
    auto id = open_user_keyfile(as_bytes(file), derive_password("pw", *salt).file_key);
    REQUIRE(id);
    {
        FrameConn other_salt(s);
        other_salt.hello();
        CHECK_FALSE(other_salt.login("alice", "pw", *id, test_salt("alice")));
    }
    load_identity(s, a, "alice", "pw");  // and with the header's salt
    {
        RawClient raw(s);
        CHECK(raw.login("alice", "pw", *id).status == proto::OK);
    }

    // A header cut short is refused with the reason, and the client goes on.
    const auto key_path = user_dir(s, a, "alice") + "/identity.key";
    spit(key_path, file.substr(0, 30));
    r = a->login("alice", "pw");
    CHECK_FALSE(r.ok);
    CHECK_THAT(r.msg, Catch::Contains("not a tacit identity file"));
    spit(key_path, file);
    relogin(a, "alice");
}

// Protocol v2 changed the password labels (tacit-protocol(7), DIFFERENCES):
// a protocol v1 identity file can't be opened, and is refused by name rather
// than as a wrong password. Its bytes are left alone.
TEST_CASE("an identity file of protocol v1 is refused with the reason", "[integration][accounts][salt]") {
    TestServer s(kLoose);
    TestClient a(s, "alice");
    register_shared(s, a, {"alice"});
    const auto key_path = user_dir(s, a, "alice") + "/identity.key";
    const auto file = slurp(key_path);
    REQUIRE(file.substr(0, 18) == "tacit-user-key-v3\n");
    relogin(a, "alice");
    REQUIRE(a->logout().ok);
    for (const char* magic : {"tacit-user-key-v1\n", "tacit-user-key-v2\n"}) {
        std::string old = file;
        old.replace(0, 18, magic);
        spit(key_path, old);
        REQUIRE(a->connect().ok);
        auto r = a->login("alice", "pw");
        CHECK_FALSE(r.ok);
        CHECK(r.status == proto::AUTH_FAILED);
        CHECK_THAT(r.msg, Catch::Contains("from tacit protocol v1"));
        CHECK(slurp(key_path) == old);
    }
    spit(key_path, file);
    relogin(a, "alice");
}

TEST_CASE("USER_EXISTS, wrong passwords, wrong keys and invalid names are refused", "[integration][accounts]") {
    TestServer s(kLoose);
    TestClient a(s, "alice"), b(s, "bob");
    register_login(a, "alice");
    register_login(b, "bob");

    // USER_EXISTS, from another machine.
    {
        TestClient other(s, "other");
        auto r = other->register_user("alice", "other pw");
        REQUIRE_FALSE(r.ok);
        REQUIRE(r.status == proto::USER_EXISTS);
        REQUIRE(r.msg == "user name alice is taken");
    }
    auto alice_id = load_identity(s, a, "alice", "pw");
    auto bob_id = load_identity(s, b, "bob", "pw");
    // ...and raw, with alice's own key and password: still taken.
    {
        RawClient raw(s);
        auto rr = raw.register_user("alice", "pw", alice_id);
        REQUIRE(rr.status == proto::USER_EXISTS);
    }

    // Wrong password, client side: the key file does not open.
    REQUIRE(a->logout().ok);
    REQUIRE(a->connect().ok);
    auto r = a->login("alice", "wrong");
    REQUIRE_FALSE(r.ok);
    REQUIRE(r.status == proto::AUTH_FAILED);
    REQUIRE(r.msg.find("wrong password") != std::string::npos);

    // Wrong password at the server (raw LOGIN2 proof). A wrong password, a
    // flipped proof bit, an unknown user and a key that isn't the user's all
    // get the same answer, with an all-zero token.
    const std::string kFailed = "login failed: wrong user name, password or key";
    const Token zero{};
    struct Try {
        const char* what;
        std::string user, pw;
        const UserIdentity* id;
        bool corrupt;
    } tries[] = {
        {"wrong password", "alice", "wrong", &alice_id, false},
        {"flipped proof", "alice", "pw", &alice_id, true},
        {"unknown user", "nobody", "pw", &alice_id, false},
        {"someone else's key", "alice", "pw", &bob_id, false},
        {"malformed user", "Not A Name", "pw", &alice_id, false},
    };
    for (auto& t : tries) {
        INFO(t.what);
        RawClient raw(s);
        auto l = raw.login(t.user, t.pw, *t.id, t.corrupt);
        REQUIRE(l.status == proto::AUTH_FAILED);
        REQUIRE(l.msg == kFailed);
        REQUIRE(l.token == zero);
        // Not logged in: a logged-in-only request is refused.
        auto f = raw.online(l.token, &t.id->sign);
        REQUIRE(error_status(f) == proto::AUTH_FAILED);
    }
    {
        RawClient raw(s);  // control: the right password and key get in
        auto l = raw.login("alice", "pw", alice_id);
        REQUIRE(l.status == proto::OK);
        REQUIRE(l.token != zero);
    }

    // Wrong key: alice's identity.key replaced by bob's key sealed under
    // alice's password. The file opens; the server refuses the signature.
    auto key_path = user_dir(s, a, "alice") + "/identity.key";
    auto saved = slurp(key_path);
    install_identity(s, a, "alice", "pw", bob_id);
    REQUIRE(slurp(key_path) != saved);
    r = a->login("alice", "pw");
    REQUIRE_FALSE(r.ok);
    REQUIRE(r.status == proto::AUTH_FAILED);
    REQUIRE(r.msg == kFailed);
    spit(key_path, saved);
    REQUIRE(a->connect().ok);
    relogin(a, "alice");

    // Invalid names: refused by the client before anything is sent...
    r = a->register_user("Alice", "pw");
    REQUIRE(r.status == proto::BAD_REQUEST);
    REQUIRE(r.msg.find("invalid user name") != std::string::npos);
    REQUIRE(r.msg.find("lowercase") != std::string::npos);
    r = b->login("bob bob", "pw");
    REQUIRE(r.status == proto::BAD_REQUEST);
    REQUIRE(r.msg.find("a space") != std::string::npos);
    // ...and by the server, with the reason, when a raw client sends them.
    struct Bad {
        std::string name, reason;
    } bads[] = {
        {"", "can't be empty"},
        {"Alice", "lowercase"},
        {"1alice", "lowercase"},
        {"al ice", "a space"},
        {"al!ce", "'!'"},
        {std::string("al\x01", 3) + "ce", "byte 0x01"},
        {std::string(33, 'a'), "at most 32"},
    };
    RawClient raw(s);
    for (auto& bd : bads) {
        INFO("name: " << bd.name);
        auto rr = raw.register_user(bd.name, "pw", alice_id);
        REQUIRE(rr.status == proto::BAD_REQUEST);
        REQUIRE(rr.msg.rfind("invalid user name: ", 0) == 0);
        REQUIRE(rr.msg.find(bd.reason) != std::string::npos);
    }
    // 32 characters is fine.
    auto rr = raw.register_user(std::string(32, 'z'), "pw", alice_id);
    INFO(rr.msg);
    REQUIRE(rr.status == proto::OK);
}

TEST_CASE("a bad signature or another session's token is refused", "[integration][accounts]") {
    TestServer s(kLoose);
    TestClient a(s, "alice"), b(s, "bob");
    REQUIRE(a->register_user("alice", "pw").ok);
    REQUIRE(b->register_user("bob", "pw").ok);
    auto alice_id = load_identity(s, a, "alice", "pw");
    auto bob_id = load_identity(s, b, "bob", "pw");

    RawClient ra(s), rb(s), ra2(s);
    REQUIRE(ra.login("alice", "pw", alice_id).status == proto::OK);
    REQUIRE(rb.login("bob", "pw", bob_id).status == proto::OK);
    REQUIRE(ra2.login("alice", "pw", alice_id).status == proto::OK);
    REQUIRE(ra.token != ra2.token);

    // Control: the right token and key work.
    REQUIRE(frame_type(ra.online(ra.token)) == msg::OnlineR::type);

    // Signed by someone else's key.
    auto f = ra.online(ra.token, &bob_id.sign);
    REQUIRE(error_status(f) == proto::AUTH_FAILED);
    REQUIRE(error_msg(f) == "bad signature");
    // A signature of the right length that is garbage.
    {
        msg::Online m;
        m.token = ra.token;
        m.nonce = crypto::random_array<16>();
        auto body = msg::encode_body(m);
        msg::append_sig(body, Bytes(384, 0x5a));
        auto g = ra.call(std::move(body));
        REQUIRE(error_status(g) == proto::AUTH_FAILED);
    }
    // The right key over the wrong input: a signature made for another frame.
    {
        msg::Online m;
        m.token = ra.token;
        m.nonce = crypto::random_array<16>();
        auto body = msg::encode_body(m);
        auto other = msg::sig_input(proto::C2S, ra.conn().session_id(), 0, body);
        msg::append_sig(body, alice_id.sign.sign(other));
        auto g = ra.call(std::move(body));
        REQUIRE(error_status(g) == proto::AUTH_FAILED);
    }
    // A bad signature on MSG2 stores nothing: bob's mailbox stays empty.
    auto m2 = ra.msg2("bob", Bytes(100, 1), Bytes{}, &bob_id.sign);
    REQUIRE(m2.status == proto::AUTH_FAILED);
    {
        msg::Update1 u;
        u.token = rb.token;
        u.nonce1 = crypto::random_array<16>();
        auto g = rb.call(msg::encode_body(u));
        REQUIRE(frame_type(g) == msg::Update1R::type);
        REQUIRE(msg::decode<msg::Update1R>(g.pt).m.messages.empty());
    }
    // The connection survives all of that.
    REQUIRE(frame_type(ra.online(ra.token)) == msg::OnlineR::type);

    // A token from another session: bob's, and alice's own other session's.
    f = ra.online(rb.token);
    REQUIRE(error_status(f) == proto::AUTH_FAILED);
    REQUIRE(error_msg(f) == "not your token");
    f = ra.online(ra2.token);
    REQUIRE(error_status(f) == proto::AUTH_FAILED);

    // A token used after logout: the server closes, and RESUME with it from a
    // fresh connection is refused.
    Token dead = ra.token;
    ra.logout();
    REQUIRE(ra.closed_within(3000));
    bool refused = false;
    auto res = RawClient::resume(s, dead, &refused);
    REQUIRE(refused);
    // Control: RESUME with the other, live session's token works.
    auto live = RawClient::resume(s, ra2.token, &refused);
    REQUIRE_FALSE(refused);
    live->id = &alice_id;
    REQUIRE(frame_type(live->online(ra2.token)) == msg::OnlineR::type);
    // Logging out one session leaves the other alone.
    REQUIRE(frame_type(ra2.online(ra2.token)) == msg::OnlineR::type);
}

TEST_CASE("an expired token is refused", "[integration][accounts]") {
    TestServer s(with(kLoose, {"--token-ttl", "1"}));
    TestClient a(s, "alice");
    REQUIRE(a->register_user("alice", "pw").ok);
    auto id = load_identity(s, a, "alice", "pw");

    RawClient raw(s);
    REQUIRE(raw.login("alice", "pw", id).status == proto::OK);
    REQUIRE(frame_type(raw.online(raw.token)) == msg::OnlineR::type);
    // Just past expiry; the server's once-a-second sweep may or may not have
    // ended the session yet, so both ways of refusing are accepted.
    sleep_ms(1100);
    bool refused_or_closed = false;
    try {
        auto f = raw.online(raw.token);
        INFO("frame type " << int(frame_type(f)));
        refused_or_closed = error_status(f) == proto::AUTH_FAILED;
    } catch (const client::ConnError&) {
        refused_or_closed = true;
    }
    REQUIRE(refused_or_closed);
    // The session is ended within a sweep: the connection closes...
    REQUIRE(raw.closed_within(3000));
    // ...and a RESUME with the token is refused.
    bool refused = false;
    auto res = RawClient::resume(s, raw.token, &refused);
    REQUIRE(refused);

    // The client core: an expired session's request fails; reconnecting
    // logs in again with a fresh token.
    relogin(a, "alice");
    auto t1 = *a->token();
    sleep_ms(2200);
    a.pump_once(50);
    std::vector<std::string> users;
    REQUIRE_FALSE(a->who(&users).ok);
    auto r = a->reconnect();
    INFO(r.msg);
    REQUIRE(r.ok);
    REQUIRE(*a->token() != t1);
}

TEST_CASE("login and registration are rate limited", "[integration][accounts]") {
    // Registration carries the prekeys (tacit-protocol(7), REGISTER) and
    // does not log in.
    TestServer s({"--login-rate", "3", "--register-rate", "3"});
    TestClient a(s, "alice");
    REQUIRE(a->register_user("alice", "pw").ok);  // registration 1
    auto id = load_identity(s, a, "alice", "pw");

    REQUIRE(a->login("alice", "pw").ok);  // login 1
    RawClient r1(s);
    REQUIRE(r1.login("alice", "pw", id).status == proto::OK);  // login 2
    RawClient r3(s);
    REQUIRE(r3.login("alice", "pw", id).status == proto::OK);  // login 3
    RawClient r2(s);
    auto l = r2.login("alice", "pw", id);
    REQUIRE(l.status == proto::RATE_LIMITED);
    REQUIRE(l.msg.find("too many login attempts") != std::string::npos);
    // The client core reports it too.
    REQUIRE(a->logout().ok);
    REQUIRE(a->connect().ok);
    auto r = a->login("alice", "pw");
    REQUIRE_FALSE(r.ok);
    REQUIRE(r.status == proto::RATE_LIMITED);
    // The address is limited as well: another name from here gets the same.
    RawClient r4(s);
    REQUIRE(r4.login("someone", "pw", id).status == proto::RATE_LIMITED);

    // Registrations: two more are allowed from this address, then refused.
    RawClient rr(s);
    REQUIRE(rr.register_user("reg1", "pw", id).status == proto::OK);
    REQUIRE(rr.register_user("reg2", "pw", id).status == proto::OK);
    auto rg = rr.register_user("reg3", "pw", id);
    REQUIRE(rg.status == proto::RATE_LIMITED);
    REQUIRE(rg.msg.find("too many registrations") != std::string::npos);
}

TEST_CASE("registration past the storage ceiling gets STORAGE_FULL and loses nothing", "[integration][accounts]") {
    TestServer s({"--max-db-size", "64K", "--login-rate", "100000", "--register-rate", "100000"});
    auto id = UserIdentity::generate();
    RawClient raw(s);
    std::vector<std::string> ok;
    std::string full_name, full_msg;
    for (int i = 0; i < 2000 && full_name.empty(); ++i) {
        char name[16];
        std::snprintf(name, sizeof name, "user%04d", i);
        auto r = raw.register_user(name, "pw", id);
        if (r.status == proto::OK) ok.push_back(name);
        else if (r.status == proto::STORAGE_FULL) full_name = name, full_msg = r.msg;
        else FAIL("unexpected status " << int(r.status) << ": " << r.msg);
    }
    INFO(ok.size() << " accounts fit");
    REQUIRE(ok.size() >= 3);
    REQUIRE_FALSE(full_name.empty());
    REQUIRE(full_msg.find("storage is full") != std::string::npos);
    REQUIRE(s.running());
    // Still full on a retry, and the refused name was not stored (not USER_EXISTS).
    REQUIRE(raw.register_user(full_name, "pw", id).status == proto::STORAGE_FULL);

    auto can_login = [&](const std::string& u) {
        RawClient r(s);
        return r.login(u, "pw", id).status == proto::OK;
    };
    REQUIRE(can_login(ok.front()));
    REQUIRE(can_login(ok[ok.size() / 2]));
    REQUIRE(can_login(ok.back()));
    REQUIRE_FALSE(can_login(full_name));
    // Everything stored before the ceiling survives a restart.
    s.restart();
    REQUIRE(can_login(ok.front()));
    REQUIRE(can_login(ok.back()));
    RawClient again(s);
    REQUIRE(again.register_user(ok.back(), "pw", id).status == proto::USER_EXISTS);
}

TEST_CASE("accounts survive a restart and a kill -9", "[integration][accounts]") {
    TestServer s(kLoose);
    TestClient a(s, "alice"), b(s, "bob");
    register_login(a, "alice");
    register_login(b, "bob");

    s.restart();
    a->disconnect();
    b->disconnect();
    relogin(a, "alice");
    relogin(b, "bob");
    REQUIRE((who(a) == std::vector<std::string>{"alice", "bob"}));

    s.kill9();
    s.start();
    a->disconnect();
    b->disconnect();
    relogin(a, "alice");
    relogin(b, "bob");
    REQUIRE((who(b) == std::vector<std::string>{"alice", "bob"}));
    // A registration just before the kill is there too.
    TestClient c(s, "carol");
    REQUIRE(c->register_user("carol", "pw").ok);
    s.kill9();
    s.start();
    REQUIRE(c->connect().ok);
    relogin(c, "carol");
    TestClient dup(s, "dup");
    auto r = dup->register_user("carol", "pw");
    REQUIRE(r.status == proto::USER_EXISTS);
}

TEST_CASE("after key renewal only the new key logs in", "[integration][accounts]") {
    TestServer s(kLoose);
    TestClient a(s, "alice");
    register_login(a, "alice");
    auto key_path = user_dir(s, a, "alice") + "/identity.key";
    auto old_file = slurp(key_path);
    auto old_id = load_identity(s, a, "alice", "pw");

    // Another session of alice, which RENEW3 must end.
    RawClient other(s);
    REQUIRE(other.login("alice", "pw", old_id).status == proto::OK);

    auto r = a->rekey();
    INFO(r.msg);
    REQUIRE(r.ok);
    REQUIRE(other.closed_within(3000));
    REQUIRE(a->logged_in());
    auto new_id = load_identity(s, a, "alice", "pw");
    REQUIRE(new_id.bundle().encode() != old_id.bundle().encode());

    // The old key file (same password) opens but the server refuses its key.
    REQUIRE(a->logout().ok);
    spit(key_path, old_file);
    REQUIRE(a->connect().ok);
    r = a->login("alice", "pw");
    REQUIRE_FALSE(r.ok);
    REQUIRE(r.status == proto::AUTH_FAILED);
    {
        RawClient raw(s);
        REQUIRE(raw.login("alice", "pw", old_id).status == proto::AUTH_FAILED);
    }
    {
        RawClient raw(s);
        REQUIRE(raw.login("alice", "pw", new_id).status == proto::OK);
    }
    install_identity(s, a, "alice", "pw", new_id);
    relogin(a, "alice");
}

TEST_CASE("who follows logins, logouts and dropped connections", "[integration][accounts]") {
    TestServer s(kLoose);
    TestClient a(s, "alice"), b(s, "bob"), c(s, "carol");
    register_login(a, "alice");
    register_login(b, "bob");
    register_login(c, "carol");
    const std::vector<std::string> all = {"alice", "bob", "carol"};
    REQUIRE(who(a) == all);

    auto last_presence = [&]() -> int {
        for (auto it = a.events.rbegin(); it != a.events.rend(); ++it)
            if (auto* p = std::get_if<client::ev::Presence>(&*it)) return int(p->count);
        return -1;
    };
    REQUIRE(a.wait_until([&] { return last_presence() == 3; }, 5000));

    REQUIRE(b->logout().ok);
    REQUIRE(who(a) == (std::vector<std::string>{"alice", "carol"}));

    // A dropped connection (no logout) leaves the online set once the server
    // sees the socket close.
    c->disconnect();
    bool gone = false;
    for (int i = 0; i < 100 && !gone; ++i) {
        gone = who(a) == std::vector<std::string>{"alice"};
        if (!gone) sleep_ms(20);
    }
    REQUIRE(gone);
    // Presence pushes follow (coalesced to once a second).
    REQUIRE(a.wait_until([&] { return last_presence() == 1; }, 5000));

    relogin(b, "bob");
    REQUIRE(who(a) == (std::vector<std::string>{"alice", "bob"}));
    // carol's session is still alive: resuming brings her back.
    auto r = c->reconnect();
    INFO(r.msg);
    REQUIRE(r.ok);
    REQUIRE(who(a) == all);
    REQUIRE(a.wait_until([&] { return last_presence() == 3; }, 5000));
}

// A client core of its own, over TCP, pinned to s's key file, keeping its
// data in home (TestClient removes its home when it goes; these tests look
// at the files after the client has gone).
namespace {
client::Options tcp_options(const TestServer& s, const std::string& home) {
    client::Options o;
    o.server = s.addr();
    o.server_key_file = s.pub_file();
    o.data_dir = home + "/tacit";
    o.timeout_ms = 10000;
    return o;
}
}  // namespace

// Issue 13: local data is keyed by the server key, not the address. alice
// registers over TCP with a client from before that layout (simulated by
// moving her directory to DATA/ADDRESS/alice), then reaches the same server
// over its Unix socket: her account is found (no registration offered), her
// history is there; and over TCP again it is the same account.
TEST_CASE("one account for one server over TCP and its Unix socket, old layout adopted", "[integration][accounts]") {
    TestServer s(kLoose, true);
    {
        // A client's registration, so bob has prekeys to be written to.
        client::Client bob(tcp_options(s, make_temp_dir("acct-addr-bob")));
        REQUIRE(bob.connect().ok);
        REQUIRE(bob.register_user("bob", "pw").ok);
    }
    const std::string home = make_temp_dir("acct-addr");
    const auto o = tcp_options(s, home);
    const auto key = client::read_server_pub(s.pub_file());
    {
        client::Client c(o);
        REQUIRE(c.connect().ok);
        CHECK_FALSE(c.has_local_account("alice"));
        REQUIRE(c.register_user("alice", "pw").ok);
        CHECK(c.has_local_account("alice"));
        REQUIRE(c.login("alice", "pw").ok);
        auto r = c.send("bob", "sent over tcp");
        INFO(r.msg);
        REQUIRE(r.ok);
    }
    const auto dir = client::DataDir(o.data_dir).account(key, "alice").dir();
    const auto old = o.data_dir + "/" + client::old_server_dirname(s.addr()) + "/alice";
    client::make_dirs(o.data_dir + "/" + client::old_server_dirname(s.addr()));
    REQUIRE(::rename(dir.c_str(), old.c_str()) == 0);

    auto has_tcp_message = [](client::Client& c) {
        for (auto& m : c.history("bob", 10))
            if (m.body == "sent over tcp") return true;
        return false;
    };
    client::Options u = o;
    u.server = s.unix_addr();
    u.server_key_file.clear();
    u.confirm_new_server = [](const std::string&) { return true; };
    {
        client::Client c(u);
        REQUIRE(c.connect().ok);
        CHECK(c.has_local_account("alice"));  // so the form offers login, not registration
        auto r = c.login("alice", "pw");
        INFO(r.msg);
        REQUIRE(r.ok);
        CHECK(has_tcp_message(c));
    }
    CHECK(slurp(dir + "/identity.pub").rfind("tacit-user-v2 ", 0) == 0);  // moved into place
    {
        client::Client c(o);  // TCP again: the same account, now in the new layout
        REQUIRE(c.connect().ok);
        REQUIRE(c.login("alice", "pw").ok);
        CHECK(has_tcp_message(c));
    }
    remove_tree(home);
}

namespace {
constexpr char kHex[] = "0123456789abcdef";

// A password made on the stack from seed ("pw-" and its hex) and handed over
// in wiping memory, so the test itself leaves no copy behind.
client::Password fresh_password(const std::array<uint8_t, 12>& seed) {
    char text[2 * 12 + 3] = "pw-";
    for (size_t i = 0; i < seed.size(); ++i) {
        text[3 + 2 * i] = kHex[seed[i] >> 4];
        text[4 + 2 * i] = kHex[seed[i] & 15];
    }
    client::Password p(std::string_view(text, sizeof text));
    wipe(text, sizeof text);
    return p;
}

// Whether p[0..27) is the password of seed, compared without making it.
bool is_password(const char* p, const std::array<uint8_t, 12>& seed) {
    if (p[0] != 'p' || p[1] != 'w' || p[2] != '-') return false;
    for (size_t i = 0; i < seed.size(); ++i)
        if (p[3 + 2 * i] != kHex[seed[i] >> 4] || p[4 + 2 * i] != kHex[seed[i] & 15]) return false;
    return true;
}

// Whether any readable and writable mapping of this process (heap, stacks,
// anonymous memory) holds seed's password: where a copy that outlived its
// use would be. Read in chunks into one buffer that never holds it unless
// it was found.
bool memory_holds_password(const std::array<uint8_t, 12>& seed) {
    constexpr size_t kLen = 2 * 12 + 3, kChunk = 1 << 16;
    constexpr unsigned long kMaxMapping = 1ul << 30;
    std::ifstream maps("/proc/self/maps");
    int mem = ::open("/proc/self/mem", O_RDONLY | O_CLOEXEC);
    REQUIRE(mem >= 0);
    static char buf[kChunk + kLen];
    std::string line;
    bool found = false;
    while (!found && std::getline(maps, line)) {
        unsigned long lo = 0, hi = 0;
        char perms[5] = {};
        if (std::sscanf(line.c_str(), "%lx-%lx %4s", &lo, &hi, perms) != 3) continue;
        if (perms[0] != 'r' || perms[1] != 'w' || line.find("[vvar") != std::string::npos) continue;
        // A sanitizer's shadow memory is terabytes of reserved zero pages
        // (ASan): scanning it would never end. Heap and stacks are far smaller.
        if (hi - lo > kMaxMapping) continue;
        for (unsigned long at = lo; at < hi && !found; at += kChunk) {
            ssize_t n = ::pread(mem, buf, std::min<unsigned long>(kChunk + kLen, hi - at), off_t(at));
            for (ssize_t i = 0; i + ssize_t(kLen) <= n && !found; ++i) found = is_password(buf + i, seed);
        }
    }
    wipe(buf, sizeof buf);
    ::close(mem);
    return found;
}
}  // namespace

// Issue 13, item 8: the typed password is gone once PBKDF2 has run; the
// derived keys and the session token stay in memory only, and are enough to
// reconnect; nothing writes the token to disk.
TEST_CASE("the password is wiped after PBKDF2; the token stays off disk; reconnect needs neither",
          "[integration][accounts]") {
    TestServer s(kLoose);
    const auto seed = crypto::random_array<12>();
    const std::string home = make_temp_dir("wipe");
    const auto o = tcp_options(s, home);
    Token token{};
    {
        auto a = std::make_unique<client::Client>(o);
        REQUIRE(a->connect().ok);
        REQUIRE(a->register_user("alice", fresh_password(seed)).ok);
        auto r = a->login("alice", fresh_password(seed));
        INFO(r.msg);
        REQUIRE(r.ok);
        {
            // The check can see a copy: one kept alive here is found.
            auto kept = fresh_password(seed);
            CHECK(memory_holds_password(seed));
        }
        CHECK_FALSE(memory_holds_password(seed));

        REQUIRE(a->token());
        token = *a->token();
        a->disconnect();
        r = a->reconnect();
        INFO(r.msg);
        REQUIRE(r.ok);
        CHECK(r.msg == "session resumed");  // RESUME with the in-memory token

        // A server that no longer knows the token (its data gone, alice
        // registered again with the same keys and password): the client
        // logs in again with the keys derived at login, asking nothing.
        const std::string pw(fresh_password(seed).text());
        std::ifstream in(client::DataDir(o.data_dir).account(client::read_server_pub(s.pub_file()), "alice").dir() +
                             "/identity.key", std::ios::binary);
        const std::string sealed((std::istreambuf_iterator<char>(in)), {});
        const auto salt = user_keyfile_salt(as_bytes(sealed));
        REQUIRE(salt);
        auto id = open_user_keyfile(as_bytes(sealed), derive_password(pw, *salt).file_key);
        REQUIRE(id);
        s.stop();
        remove_tree(s.data_dir());
        s.start();
        REQUIRE(RawClient(s).register_user("alice", pw, *id, *salt).status == proto::OK);
        a->disconnect();
        r = a->reconnect();
        INFO(r.msg);
        REQUIRE(r.ok);
        CHECK(r.msg == "reconnected");
        CHECK(a->logged_in());
    }
    // Not on disk: neither in any file as it is, nor as a sealed secret of the store.
    CHECK(files_containing(home, std::string(token.begin(), token.end())).empty());
    const auto key = client::read_server_pub(s.pub_file());
    auto acct = client::DataDir(home + "/tacit").account(key, "alice");
    const std::string pw(fresh_password(seed).text());
    {
        client::Result err;
        const auto salt = acct.identity_salt(&err);
        REQUIRE(salt);
        client::LocalStore store(acct.store_dir(), acct.store_key(derive_password(pw, *salt).file_key, false));
        CHECK_FALSE(store.get_secret("token"));
    }
    remove_tree(home);
}
