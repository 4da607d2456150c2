// Direct messages (issue 4) against a real tacitd: push and offline
// delivery, paging, acknowledgement, durability, end-to-end protection,
// key changes, size and mailbox limits, and the local history.
#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <fmt/core.h>
#include <mutex>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <thread>

#include "shared/clock.hpp"
#include "shared/crypto.hpp"
#include "shared/protocol.hpp"
#include "tests/integration/harness.hpp"
#include "tests/integration/raw_client.hpp"
#include "tests/integration/raw_dm.hpp"
#include "tui/client/e2e.hpp"

using namespace tacit;
using namespace tacit::test;
using nlohmann::json;

namespace {

const std::vector<std::string> kLoose = {"--login-rate", "1000", "--register-rate", "1000"};

std::vector<std::string> with(std::vector<std::string> a, const std::vector<std::string>& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
}

void relogin(TestClient& c, const std::string& user, const std::string& pw = "pw") {
    if (!c->connected()) REQUIRE(c->connect().ok);
    auto r = c->login(user, pw);
    INFO("login " << user << ": " << r.msg);
    REQUIRE(r.ok);
    for (auto& e : c->take_events()) c.events.push_back(std::move(e));
}

// Registers without logging in, so the account is offline.
void register_only(TestClient& c, const std::string& user) {
    auto r = c->register_user(user, "pw");
    INFO(r.msg);
    REQUIRE(r.ok);
}

void send_ok(TestClient& c, const std::string& to, const std::string& body) {
    auto r = c->send(to, body);
    INFO("send to " << to << ": " << r.msg);
    REQUIRE(r.ok);
}

std::vector<json> parse_lines(const std::vector<std::string>& lines) {
    std::vector<json> v;
    for (auto& l : lines) v.push_back(json::parse(l));
    return v;
}

json find_cmd(const std::vector<json>& js, const std::string& cmd, size_t nth = 0) {
    for (auto& j : js)
        if (j.value("cmd", "") == cmd && nth-- == 0) return j;
    return json();
}

UserBundle bundle_of(RawClient& r, const std::string& user) {
    auto k = r.key_of(user);
    REQUIRE(k);
    auto b = UserBundle::decode(*k);
    REQUIRE(b);
    return *b;
}

// Sends each body as its own MSG2 over the raw connection, sealing the
// envelopes on a second thread (with its own copy of the key) while this
// thread signs and sends frames; a window of replies is kept in flight.
void pipelined_send(RawClient& r, const UserIdentity& sealer, const std::string& to, const UserBundle& tb,
                    const std::vector<std::string>& bodies) {
    std::mutex mu;
    std::condition_variable cv;
    std::deque<Bytes> ready;
    RawDm dm(r, to, tb);
    struct Joiner {
        std::thread t;
        ~Joiner() {
            if (t.joinable()) t.join();
        }
    } worker;
    worker.t = std::thread([&] {
        for (auto& body : bodies) {
            auto env = dm.seal(sealer, r.user, body, crypto::random_array<16>(), wall_ms());
            std::lock_guard<std::mutex> g(mu);
            ready.push_back(std::move(env));
            cv.notify_one();
        }
    });
    size_t sent = 0, answered = 0, ok = 0;
    std::string first_problem;
    auto read_reply = [&] {
        auto f = r.next();
        REQUIRE(f);
        auto d = msg::decode<msg::Msg2R>(f->pt);
        if (d.m.status == proto::OK) ++ok;
        else if (first_problem.empty()) first_problem = d.m.msg;
        ++answered;
    };
    while (sent < bodies.size()) {
        Bytes env;
        {
            std::unique_lock<std::mutex> g(mu);
            cv.wait(g, [&] { return !ready.empty(); });
            env = std::move(ready.front());
            ready.pop_front();
        }
        msg::Msg2 m;
        m.nonce2 = crypto::random_array<16>();
        m.target = to;
        m.enc_msg = std::move(env);
        r.send(msg::encode_body(m), &r.id->sign);
        ++sent;
        while (sent - answered >= 8) read_reply();  // tacitd cuts clients that pipeline much more
    }
    worker.t.join();
    while (answered < sent) read_reply();
    INFO(first_problem);
    REQUIRE(ok == bodies.size());
}

Bytes flipped(Bytes b, size_t at) {
    b.at(at) ^= 0x40;
    return b;
}

}  // namespace

TEST_CASE("messages arrive by push when online and at login when offline", "[integration][messages]") {
    TestServer s(kLoose);
    TestClient a(s, "alice"), b(s, "bob");
    register_login(a, "alice");
    register_login(b, "bob");

    // Online: bob's client only pumps what the server pushes; no update call.
    send_ok(a, "bob", "hello bob");
    REQUIRE(b.wait_until([&] { return b.messages().size() == 1; }, 5000));
    auto m = b.messages()[0];
    REQUIRE(m.from == "alice");
    REQUIRE(m.to == "bob");
    REQUIRE(m.group.empty());
    REQUIRE(m.body == "hello bob");
    REQUIRE(m.verified);
    REQUIRE(m.problem.empty());
    REQUIRE_FALSE(m.outgoing);
    // And back.
    send_ok(b, "alice", "hi alice");
    REQUIRE(a.wait_until([&] { return a.messages().size() == 1; }, 5000));
    REQUIRE(a.messages()[0].body == "hi alice");
    REQUIRE(a.messages()[0].verified);
    // Both sides keep the conversation.
    auto h = a->history("bob", 10);
    REQUIRE(h.size() == 2);
    REQUIRE(h[0].body == "hello bob");
    REQUIRE(h[0].outgoing);
    REQUIRE(h[1].body == "hi alice");

    // Offline: bob logs out, two messages wait, and arrive at the next login
    // in the order they were sent.
    REQUIRE(b->logout().ok);
    send_ok(a, "bob", "while you were out 1");
    send_ok(a, "bob", "while you were out 2");
    b.events.clear();
    relogin(b, "bob");
    auto ms = b.messages();
    REQUIRE(ms.size() == 2);
    REQUIRE(ms[0].body == "while you were out 1");
    REQUIRE(ms[1].body == "while you were out 2");
    REQUIRE(ms[0].verified);
    REQUIRE(ms[1].verified);
    // Fetched and acknowledged: nothing comes again.
    REQUIRE(b->update().ok);
    b.pump_once(100);
    REQUIRE(b.messages().size() == 2);
}

TEST_CASE("1000 queued messages arrive across pages, in order, each once", "[integration][messages]") {
    TestServer s(kLoose);
    TestClient a(s, "alice"), b(s, "bob");
    register_only(a, "alice");
    register_only(b, "bob");
    auto alice_id = load_identity(s, a, "alice", "pw");
    auto sealer = load_identity(s, a, "alice", "pw");
    RawClient ra(s);
    REQUIRE(ra.login("alice", "pw", alice_id).status == proto::OK);
    auto bob_bundle = bundle_of(ra, "bob");

    const size_t N = 1000;
    std::vector<std::string> bodies;
    for (size_t i = 0; i < N; ++i) bodies.push_back(fmt::format("message {:04d} of a long queue", i));
    pipelined_send(ra, sealer, "bob", bob_bundle, bodies);
    relogin(b, "bob");  // login fetches every page
    auto ms = b.messages();
    REQUIRE(ms.size() == N);
    std::set<std::string> ids;
    for (size_t i = 0; i < N; ++i) {
        INFO("message " << i);
        REQUIRE(ms[i].body == bodies[i]);
        REQUIRE(ms[i].from == "alice");
        REQUIRE(ms[i].verified);
        ids.insert(ms[i].id);
    }
    REQUIRE(ids.size() == N);
    // It took several pages (at most 256 messages each).
    std::regex page(R"(update1 user=bob messages=(\d+) more=1)");
    auto log = s.log();
    size_t pages_with_more = 0;
    for (std::sregex_iterator it(log.begin(), log.end(), page), end; it != end; ++it) {
        REQUIRE(std::stoul((*it)[1]) <= proto::kUpdateMaxMessages);
        ++pages_with_more;
    }
    REQUIRE(pages_with_more >= 3);
    // Nothing left, nothing doubled.
    REQUIRE(b->update().ok);
    REQUIRE(b.messages().size() == N);
    b.pump_once(100);
    REQUIRE(b.messages().size() == N);
    REQUIRE(b->history("alice", 5000).size() == N);
}

TEST_CASE("a client dropped between Update 1 and Update 2 gets each message once", "[integration][messages]") {
    TestServer s(kLoose);
    TestClient a(s, "alice"), b(s, "bob");
    register_login(a, "alice");
    register_only(b, "bob");
    for (int i = 0; i < 5; ++i) send_ok(a, "bob", "unacked " + std::to_string(i));

    auto bob_id = load_identity(s, b, "bob", "pw");
    Nonce stale{};
    {
        RawClient rb(s);
        REQUIRE(rb.login("bob", "pw", bob_id).status == proto::OK);
        msg::Update1 u;
        u.token = rb.token;
        u.nonce1 = crypto::random_array<16>();
        auto f = rb.call(msg::encode_body(u));
        REQUIRE(frame_type(f) == msg::Update1R::type);
        auto d = msg::decode<msg::Update1R>(f.pt);
        REQUIRE(d.m.nonce1 == u.nonce1);
        REQUIRE(d.m.messages.size() == 5);
        REQUIRE(d.m.more == 0);
        stale = d.m.nonce2;
        // Another connection can't acknowledge this page with its nonce2.
        RawClient rb2(s);
        REQUIRE(rb2.login("bob", "pw", bob_id).status == proto::OK);
        msg::Update2 a2;
        a2.nonce2 = stale;
        rb2.send(msg::encode_body(a2));
        auto g = rb2.next(5000);
        REQUIRE(g);
        REQUIRE(error_status(*g) == proto::BAD_REQUEST);
        // rb drops here without UPDATE2 (the client "dies").
    }
    relogin(b, "bob");
    auto ms = b.messages();
    REQUIRE(ms.size() == 5);
    std::set<std::string> bodies, ids;
    for (auto& m : ms) {
        bodies.insert(m.body);
        ids.insert(m.id);
        REQUIRE(m.verified);
    }
    REQUIRE(bodies.size() == 5);
    REQUIRE(ids.size() == 5);
    REQUIRE(bodies.count("unacked 0") == 1);
    REQUIRE(bodies.count("unacked 4") == 1);
    REQUIRE(b->update().ok);
    REQUIRE(b.messages().size() == 5);
    REQUIRE(b->history("alice", 100).size() == 5);
}

TEST_CASE("a message acknowledged with OK survives kill -9 of tacitd", "[integration][messages]") {
    TestServer s(kLoose);
    TestClient a(s, "alice"), b(s, "bob");
    register_login(a, "alice");
    register_only(b, "bob");
    b->disconnect();

    send_ok(a, "bob", "written before the crash");
    s.kill9();
    s.start();
    REQUIRE(b->connect().ok);
    relogin(b, "bob");
    auto ms = b.messages();
    REQUIRE(ms.size() == 1);
    REQUIRE(ms[0].body == "written before the crash");
    REQUIRE(ms[0].verified);
    // The sender reconnects (its session died with the server) and goes on.
    auto r = a->reconnect();
    INFO(r.msg);
    REQUIRE(r.ok);
    send_ok(a, "bob", "after the restart");
    REQUIRE(b.wait_until([&] { return b.messages().size() == 2; }, 5000));
}

TEST_CASE("the server stores only ciphertext", "[integration][messages]") {
    TestServer s(kLoose);
    TestClient a(s, "alice"), b(s, "bob");
    register_login(a, "alice");
    register_only(b, "bob");
    const std::string secret = "the eagle lands at midnight " + to_hex(crypto::random_array<8>());
    send_ok(a, "bob", secret);
    send_ok(a, "bob", std::string(3000, 'Q') + secret);  // spans more than a page of ciphertext
    // The message waits in bob's mailbox now; the data dir has it, encrypted.
    REQUIRE(tree_bytes(s.data_dir()) > 0);
    REQUIRE_FALSE(files_containing(s.data_dir(), "bob").empty());  // the scan does see stored bytes
    REQUIRE(files_containing(s.data_dir(), secret).empty());
    REQUIRE(files_containing(s.data_dir(), "the eagle lands").empty());
    REQUIRE(files_containing(s.data_dir(), std::string(64, 'Q')).empty());
    s.stop();  // and after a clean shutdown
    REQUIRE(files_containing(s.data_dir(), secret).empty());
    REQUIRE(files_containing(s.dir(), "the eagle lands").empty());  // not in the log either
}

TEST_CASE("a tampered or forged envelope is never shown as genuine", "[integration][messages]") {
    TestServer s(kLoose);
    TestClient a(s, "alice"), b(s, "bob");
    register_login(a, "alice");
    register_login(b, "bob");
    auto alice_id = load_identity(s, a, "alice", "pw");
    auto bob_id = load_identity(s, b, "bob", "pw");
    RawClient ra(s);
    REQUIRE(ra.login("alice", "pw", alice_id).status == proto::OK);
    auto bob_bundle = bundle_of(ra, "bob");

    RawDm dm(ra, "bob", bob_bundle);
    auto envelope = [&](const UserIdentity& signer, const std::string& claimed_from, const std::string& body) {
        return dm.seal(signer, claimed_from, body, crypto::random_array<16>(), wall_ms());
    };
    auto last_message = [&] { return b.messages().back(); };

    // Control: a raw but honest envelope verifies.
    auto good = envelope(alice_id, "alice", "honest raw message");
    REQUIRE(ra.msg2("bob", good, {}).status == proto::OK);
    REQUIRE(b.wait_until([&] { return b.messages().size() == 1; }));
    REQUIRE(last_message().verified);
    REQUIRE(last_message().body == "honest raw message");

    // One flipped byte in enc_msg: the server can't tell and stores it; bob
    // can't open it.
    auto env = envelope(alice_id, "alice", "tampered in transit");
    auto bad = flipped(env, env.size() - 20);
    REQUIRE(ra.msg2("bob", bad, {}).status == proto::OK);
    REQUIRE(b.wait_until([&] { return b.messages().size() == 2; }));
    auto m = last_message();
    REQUIRE_FALSE(m.verified);
    REQUIRE(m.problem.find("authentication failed") != std::string::npos);
    REQUIRE(m.body.find("tampered in transit") == std::string::npos);
    REQUIRE(m.from == "alice");

    // A flipped byte in the ratchet header (its message number): the AAD
    // covers the header, so it does not open.
    env = envelope(alice_id, "alice", "bad header");
    REQUIRE(ra.msg2("bob", flipped(env, env.size() - 60), {}).status == proto::OK);
    REQUIRE(b.wait_until([&] { return b.messages().size() == 3; }));
    REQUIRE_FALSE(last_message().verified);
    REQUIRE_FALSE(last_message().problem.empty());

    // Signed with the wrong key (bob's own) but claiming to be alice: it
    // decrypts, and the signature does not verify with alice's pinned key.
    env = envelope(bob_id, "alice", "forged by someone else");
    REQUIRE(ra.msg2("bob", env, {}).status == proto::OK);
    REQUIRE(b.wait_until([&] { return b.messages().size() == 4; }));
    m = last_message();
    REQUIRE_FALSE(m.verified);
    REQUIRE(m.problem.find("signature does not verify") != std::string::npos);

    // A header naming another sender than the server recorded.
    env = envelope(alice_id, "carol", "i am carol, honest");
    REQUIRE(ra.msg2("bob", env, {}).status == proto::OK);
    REQUIRE(b.wait_until([&] { return b.messages().size() == 5; }));
    m = last_message();
    REQUIRE_FALSE(m.verified);
    REQUIRE(m.problem.find("does not match") != std::string::npos);

    // In the history, only the honest one counts as verified.
    auto h = b->history("alice", 100);
    REQUIRE(h.size() == 5);
    size_t verified = 0;
    for (auto& x : h) {
        if (x.verified) {
            ++verified;
            REQUIRE(x.body == "honest raw message");
        }
    }
    REQUIRE(verified == 1);
}

TEST_CASE("a contact's changed key is flagged until accepted", "[integration][messages]") {
    TestServer s(kLoose);
    TestClient a(s, "alice"), b(s, "bob");
    register_login(a, "alice");
    register_login(b, "bob");
    send_ok(a, "bob", "before");  // alice pins bob's key
    send_ok(b, "alice", "before too");  // bob pins alice's key
    REQUIRE(a.wait_until([&] { return a.messages().size() == 1; }));
    REQUIRE(b.wait_until([&] { return b.messages().size() == 1; }));
    std::string pinned_fp;
    REQUIRE(a->contact_fingerprint("bob", &pinned_fp).ok);

    // A message still waiting in bob's mailbox when he renews his key was
    // wrapped for the old key: renewal must not make it unreadable.
    send_ok(a, "bob", "waiting while bob renews");
    auto r = b->rekey();
    INFO(r.msg);
    REQUIRE(r.ok);
    REQUIRE(b.wait_until([&] { return b.messages().size() == 2; }));
    REQUIRE(b.messages()[1].body == "waiting while bob renews");
    REQUIRE(b.messages()[1].verified);

    // bob, with his new key, writes to alice: she can't verify it with the
    // pinned key and is told the key changed.
    send_ok(b, "alice", "new key, same bob");
    REQUIRE(a.wait_until([&] { return a.messages().size() == 2; }));
    REQUIRE_FALSE(a.messages()[1].verified);
    REQUIRE_FALSE(a.messages()[1].problem.empty());

    // alice writing to bob is held back.
    a.events.clear();
    r = a->send("bob", "are you still bob?");
    REQUIRE_FALSE(r.ok);
    REQUIRE(r.status == proto::KEY_CHANGED);
    REQUIRE(r.msg.find("accept-key bob") != std::string::npos);
    for (auto& e : a->take_events()) a.events.push_back(e);
    auto kc = events_of<client::ev::KeyChanged>(a);
    REQUIRE_FALSE(kc.empty());
    REQUIRE(kc.back().user == "bob");
    REQUIRE(kc.back().old_fingerprint == pinned_fp);
    REQUIRE(kc.back().fingerprint != pinned_fp);
    // Still held back on a retry, and the pin is unchanged.
    REQUIRE(a->send("bob", "again?").status == proto::KEY_CHANGED);
    std::string fp;
    REQUIRE(a->contact_fingerprint("bob", &fp).ok);
    REQUIRE(fp == pinned_fp);
    b.pump_once(50);
    REQUIRE(b.messages().size() == 2);

    REQUIRE(a->accept_key("bob").ok);
    REQUIRE(a->contact_fingerprint("bob", &fp).ok);
    REQUIRE(fp == kc.back().fingerprint);
    send_ok(a, "bob", "accepted your new key");
    REQUIRE(b.wait_until([&] { return b.messages().size() == 3; }));
    REQUIRE(b.messages()[2].body == "accepted your new key");
    REQUIRE(b.messages()[2].verified);
    // And bob's new signatures verify for alice from now on.
    send_ok(b, "alice", "verified again");
    auto got = [&] {
        for (auto& m : a.messages())
            if (m.body == "verified again") return true;
        return false;
    };
    REQUIRE(a.wait_until(got));
    REQUIRE(a.messages().back().body == "verified again");
    REQUIRE(a.messages().back().verified);
}

TEST_CASE("NO_SUCH_USER and TOO_LARGE", "[integration][messages]") {
    TestServer s(kLoose);
    TestClient a(s, "alice"), b(s, "bob");
    register_login(a, "alice");
    register_login(b, "bob");

    auto r = a->send("nobody", "hello?");
    REQUIRE(r.status == proto::NO_SUCH_USER);
    REQUIRE(r.msg.find("nobody") != std::string::npos);
    r = a->send("Bob", "hello?");
    REQUIRE(r.status == proto::BAD_REQUEST);

    // A body of exactly 64 KiB goes through intact; one byte more does not.
    std::string max_body(proto::kMaxBody, 'x');
    max_body[0] = '<';
    max_body.back() = '>';
    send_ok(a, "bob", max_body);
    REQUIRE(b.wait_until([&] { return b.messages().size() == 1; }));
    REQUIRE(b.messages()[0].body == max_body);
    REQUIRE(b.messages()[0].verified);
    r = a->send("bob", std::string(proto::kMaxBody + 1, 'y'));
    REQUIRE(r.status == proto::TOO_LARGE);

    // The server's own checks, from a raw client.
    auto alice_id = load_identity(s, a, "alice", "pw");
    RawClient ra(s);
    REQUIRE(ra.login("alice", "pw", alice_id).status == proto::OK);
    auto m2 = ra.msg2("bob", Bytes(proto::kMaxEncMsg + 1, 7), Bytes{});
    REQUIRE(m2.status == proto::TOO_LARGE);
    REQUIRE(m2.msg.find("65 KiB") != std::string::npos);
    // A direct message wraps no key: neither a cut one nor the 80-byte
    // form the old group envelope had is stored.
    m2 = ra.msg2("bob", Bytes(100, 7), Bytes(79, 1));
    REQUIRE(m2.status == proto::BAD_REQUEST);
    m2 = ra.msg2("bob", Bytes(100, 7), Bytes(80, 1));
    REQUIRE(m2.status == proto::BAD_REQUEST);
    REQUIRE(m2.msg == "a direct message carries no wrapped key");
    m2 = ra.msg2("nobody", Bytes(100, 7), Bytes{});
    REQUIRE(m2.status == proto::NO_SUCH_USER);
    uint8_t st = 0;
    REQUIRE_FALSE(ra.key_of("nobody", &st));
    REQUIRE(st == proto::NO_SUCH_USER);
    // None of the refused ones reached bob.
    REQUIRE(b->update().ok);
    b.pump_once(100);
    REQUIRE(b.messages().size() == 1);
}

TEST_CASE("a full mailbox refuses more with STORAGE_FULL", "[integration][messages]") {
    TestServer s(with(kLoose, {"--mailbox-cap", "3"}));
    TestClient a(s, "alice"), b(s, "bob");
    register_login(a, "alice");
    register_only(b, "bob");
    for (int i = 1; i <= 3; ++i) send_ok(a, "bob", "fits " + std::to_string(i));
    auto r = a->send("bob", "one too many");
    REQUIRE_FALSE(r.ok);
    REQUIRE(r.status == proto::STORAGE_FULL);
    REQUIRE(r.msg.find("mailbox") != std::string::npos);
    REQUIRE(r.msg.find("full") != std::string::npos);

    relogin(b, "bob");
    auto ms = b.messages();
    REQUIRE(ms.size() == 3);
    REQUIRE(ms[0].body == "fits 1");
    REQUIRE(ms[2].body == "fits 3");
    // Emptied by the fetch: there is room again.
    send_ok(a, "bob", "room again");
    REQUIRE(b.wait_until([&] { return b.messages().size() == 4; }));
    REQUIRE(b.messages()[3].body == "room again");
}

TEST_CASE("local history survives a restart and is searchable from batch mode", "[integration][messages][batch]") {
    TestServer s(kLoose);
    TestClient b(s, "bob");
    register_login(b, "bob");
    std::string home = make_temp_dir("batch-hist");

    auto first = parse_lines(run_batch(s, home,
                                       "register Alice pw\n"
                                       "register alice pw\n"
                                       "login alice pw\n"
                                       "who\n"
                                       "send bob hello from the zebra crossing\n"
                                       "send nobody are you there\n"
                                       "quit\n"));
    auto bad_name = find_cmd(first, "register", 0);
    REQUIRE(bad_name["ok"] == false);
    REQUIRE(bad_name["status"] == "BAD_REQUEST");
    REQUIRE(bad_name["msg"].get<std::string>().find("lowercase") != std::string::npos);
    REQUIRE(find_cmd(first, "register", 1)["ok"] == true);
    REQUIRE(find_cmd(first, "login")["ok"] == true);
    auto users = find_cmd(first, "who")["users"].get<std::vector<std::string>>();
    std::sort(users.begin(), users.end());
    REQUIRE((users == std::vector<std::string>{"alice", "bob"}));
    auto nobody = find_cmd(first, "send", 1);
    REQUIRE(nobody["ok"] == false);
    REQUIRE(nobody["status"] == "NO_SUCH_USER");
    auto sent = find_cmd(first, "send");
    INFO(sent.dump());
    REQUIRE(sent["ok"] == true);
    REQUIRE(sent["status"] == "OK");
    REQUIRE(b.wait_until([&] { return b.messages().size() == 1; }));
    REQUIRE(b.messages()[0].body == "hello from the zebra crossing");
    send_ok(b, "alice", "a giraffe replies");  // alice is offline now

    s.restart();  // the server restarts too; the history is the client's own

    auto second = parse_lines(run_batch(s, home,
                                        "login alice pw\n"
                                        "history bob\n"
                                        "search GIRAFFE\n"
                                        "search zebra\n"
                                        "search nothing-like-this\n"
                                        "quit\n"));
    // The waiting message arrives as an event during login.
    bool got_event = false;
    for (auto& j : second)
        if (j.value("event", "") == "message" && j["body"] == "a giraffe replies") {
            got_event = true;
            REQUIRE(j["from"] == "bob");
            REQUIRE(j["verified"] == true);
            REQUIRE(j["group"].is_null());
        }
    REQUIRE(got_event);
    auto hist = find_cmd(second, "history");
    INFO(hist.dump());
    REQUIRE(hist["ok"] == true);
    REQUIRE(hist["messages"].size() == 2);
    REQUIRE(hist["messages"][0]["body"] == "hello from the zebra crossing");
    REQUIRE(hist["messages"][0]["outgoing"] == true);
    REQUIRE(hist["messages"][1]["body"] == "a giraffe replies");
    REQUIRE(hist["messages"][1]["outgoing"] == false);
    auto s1 = find_cmd(second, "search", 0);
    REQUIRE(s1["messages"].size() == 1);
    REQUIRE(s1["messages"][0]["body"] == "a giraffe replies");
    auto s2 = find_cmd(second, "search", 1);
    REQUIRE(s2["messages"].size() == 1);
    REQUIRE(s2["messages"][0]["to"] == "bob");
    REQUIRE(find_cmd(second, "search", 2)["messages"].empty());

    // A third run, without logging in to the server again first: still there
    // after the client restarts; a wrong password does not open it.
    auto third = parse_lines(run_batch(s, home,
                                       "login alice wrong\n"
                                       "login alice pw\n"
                                       "search giraffe\n"
                                       "history bob 1\n"
                                       "quit\n"));
    auto bad = find_cmd(third, "login", 0);
    REQUIRE(bad["ok"] == false);
    REQUIRE(bad["status"] == "AUTH_FAILED");
    REQUIRE(find_cmd(third, "login", 1)["ok"] == true);
    REQUIRE(find_cmd(third, "search")["messages"].size() == 1);
    auto last = find_cmd(third, "history")["messages"];
    REQUIRE(last.size() == 1);
    REQUIRE(last[0]["body"] == "a giraffe replies");
    remove_tree(home);
}

TEST_CASE("passwd checks the current password and keeps the key: contacts see no change",
          "[integration][messages]") {
    TestServer s(kLoose);
    TestClient a(s, "alice"), b(s, "bob");
    register_login(a, "alice");
    register_login(b, "bob");
    REQUIRE(b->send("alice", "pin me").ok);  // bob pins alice's key
    std::string pinned;
    REQUIRE(b->contact_fingerprint("alice", &pinned).ok);

    // A wrong current password is refused before anything is sent.
    auto r = a->passwd("not-pw", "new secret");
    REQUIRE_FALSE(r.ok);
    REQUIRE(r.status == proto::AUTH_FAILED);
    {
        RawClient raw(s);
        REQUIRE(raw.login("alice", "pw", load_identity(s, a, "alice", "pw")).status == proto::OK);
    }

    r = a->passwd("pw", "new secret");
    INFO(r.msg);
    REQUIRE(r.ok);
    REQUIRE(a->logged_in());
    // Same key pair, now sealed under the new password.
    auto id = load_identity(s, a, "alice", "new secret");
    REQUIRE(fingerprint(id.bundle().encode()) == pinned);
    {
        RawClient raw(s);
        REQUIRE(raw.login("alice", "pw", id).status == proto::AUTH_FAILED);
    }
    // bob sends to alice and reads her reply: no key change anywhere.
    r = b->send("alice", "still you?");
    INFO(r.msg);
    REQUIRE(r.ok);
    REQUIRE(a->send("bob", "still me").ok);
    REQUIRE(b.wait_until([&] {
        for (auto& m : b.messages())
            if (m.body == "still me") return m.verified;
        return false;
    }));
    for (auto& e : b->take_events()) b.events.push_back(e);
    REQUIRE(events_of<client::ev::KeyChanged>(b).empty());
    std::string now;
    REQUIRE(b->contact_fingerprint("alice", &now).ok);
    REQUIRE(now == pinned);
    REQUIRE(a->logout().ok);
    relogin(a, "alice", "new secret");
}

TEST_CASE("batch passwd OLD NEW: a wrong OLD is refused and the right one keeps the key", "[integration][messages]") {
    TestServer s(kLoose);
    TestClient b(s, "bob");
    register_login(b, "bob");
    std::string home = make_temp_dir("batch-passwd");
    auto first = parse_lines(run_batch(s, home,
                                       "register alice pw\n"
                                       "login alice pw\n"
                                       "send bob hi bob\n"
                                       "passwd wrong new pass\n"
                                       "passwd pw\n"
                                       "passwd pw new pass\n"
                                       "send bob still me\n"
                                       "quit\n"));
    auto wrong = find_cmd(first, "passwd", 0);
    REQUIRE(wrong["ok"] == false);
    REQUIRE(wrong["status"] == "AUTH_FAILED");
    REQUIRE(find_cmd(first, "passwd", 1)["status"] == "BAD_REQUEST");  // usage: passwd OLD NEW
    auto right = find_cmd(first, "passwd", 2);
    INFO(right.dump());
    REQUIRE(right["ok"] == true);
    REQUIRE(find_cmd(first, "send", 1)["ok"] == true);

    // bob pinned alice's key with the first message; the second verifies
    // with it, and no key change is reported.
    REQUIRE(b.wait_until([&] { return b.messages().size() == 2; }));
    REQUIRE(b.messages()[1].body == "still me");
    REQUIRE(b.messages()[1].verified);
    REQUIRE(events_of<client::ev::KeyChanged>(b).empty());

    // The new password (with its space) logs in; the old one does not.
    auto second = parse_lines(run_batch(s, home, "login alice pw\nlogin alice new pass\nquit\n"));
    REQUIRE(find_cmd(second, "login", 0)["ok"] == false);
    REQUIRE(find_cmd(second, "login", 1)["ok"] == true);
}

// Issue 13 item 7: a msg_id is chosen by its sender, so the client drops
// duplicates by (sender, msg_id). Mallory, who learned the ids of alice's
// messages, reuses them before and after alice does: bob still gets every
// message of alice's, and a real replay (alice's id from alice) stays dropped.
TEST_CASE("another sender reusing a msg_id does not suppress the real message", "[integration][messages]") {
    TestServer s(kLoose);
    TestClient a(s, "alice"), m(s, "mallory"), b(s, "bob");
    register_only(a, "alice");
    register_only(m, "mallory");
    register_login(b, "bob");
    auto alice_id = load_identity(s, a, "alice", "pw");
    auto mallory_id = load_identity(s, m, "mallory", "pw");
    RawClient ra(s), rm(s);
    REQUIRE(ra.login("alice", "pw", alice_id).status == proto::OK);
    REQUIRE(rm.login("mallory", "pw", mallory_id).status == proto::OK);
    auto bob_bundle = bundle_of(ra, "bob");
    RawDm dm_a(ra, "bob", bob_bundle), dm_m(rm, "bob", bob_bundle);

    auto send_as = [&](RawClient& r, const UserIdentity& who, const std::string& name, const Array<16>& id,
                       const std::string& body) {
        auto env = (&r == &ra ? dm_a : dm_m).seal(who, name, body, id, wall_ms());
        REQUIRE(r.msg2("bob", env, {}).status == proto::OK);
    };
    auto earlier = crypto::random_array<16>(), upcoming = crypto::random_array<16>();
    send_as(ra, alice_id, "alice", earlier, "alice first");
    REQUIRE(b.wait_until([&] { return b.messages().size() == 1; }));
    send_as(rm, mallory_id, "mallory", earlier, "mallory reuses an earlier id");
    send_as(rm, mallory_id, "mallory", upcoming, "mallory takes the next id first");
    REQUIRE(b.wait_until([&] { return b.messages().size() == 3; }));
    send_as(ra, alice_id, "alice", upcoming, "alice second");
    REQUIRE(b.wait_until([&] { return b.messages().size() == 4; }));

    auto h = b->history("alice", 10);
    REQUIRE(h.size() == 2);
    CHECK(h[0].body == "alice first");
    CHECK(h[1].body == "alice second");
    CHECK(h[1].verified);
    CHECK(b->history("mallory", 10).size() == 2);

    // The same (sender, id) again is a duplicate, whatever the body says.
    send_as(ra, alice_id, "alice", upcoming, "alice replayed");
    REQUIRE(b->update().ok);
    b.pump_once(200);
    CHECK(b.messages().size() == 4);
    CHECK(b->history("alice", 10).size() == 2);
}

// Issue 13 item 7: the history used to live in a fixed 256 MiB LMDB map, so
// about 3,850 maximum-size messages (17 overflow pages each) filled it; from
// then on every fetch failed with MDB_MAP_FULL before the acknowledgement,
// and the client neither showed nor acknowledged new mail again. Here bob's
// store starts at 256 KiB, so 24 messages of 60 KiB are well past it.
TEST_CASE("a client whose history outgrows its map still fetches and acknowledges", "[integration][messages]") {
    TestServer s(kLoose);
    TestClient a(s, "alice"), b(s, "bob", false, size_t(256) << 10);
    register_only(a, "alice");
    register_only(b, "bob");
    auto alice_id = load_identity(s, a, "alice", "pw");
    auto sealer = load_identity(s, a, "alice", "pw");
    RawClient ra(s);
    REQUIRE(ra.login("alice", "pw", alice_id).status == proto::OK);
    auto bob_bundle = bundle_of(ra, "bob");

    std::vector<std::string> bodies;
    for (int i = 0; i < 24; ++i) bodies.push_back(fmt::format("{:02d}", i) + std::string(60000, char('a' + i)));
    pipelined_send(ra, sealer, "bob", bob_bundle, bodies);
    relogin(b, "bob");
    REQUIRE(b.messages().size() == bodies.size());
    REQUIRE(b->history("alice", 100).size() == bodies.size());

    // Acknowledged: nothing comes again, and new mail still arrives by push.
    REQUIRE(b->update().ok);
    CHECK(b.messages().size() == bodies.size());
    RawDm dm(ra, "bob", bob_bundle);
    auto env = dm.seal("still here");
    REQUIRE(ra.msg2("bob", env, {}).status == proto::OK);
    REQUIRE(b.wait_until([&] { return b.messages().size() == bodies.size() + 1; }));
    CHECK(b.messages().back().body == "still here");
    REQUIRE(b->logout().ok);
    b.events.clear();
    relogin(b, "bob");
    CHECK(b.messages().empty());
}

// A sender's clock (or a message held back) can't reorder the history: it
// is in arrival order, and a sent_at over 5 minutes from the arrival is
// flagged (tacit(1)) in batch events as "skewed".
TEST_CASE("history follows arrival, and a far-off sent_at is marked", "[integration][messages][batch]") {
    TestServer s(kLoose);
    TestClient a(s, "alice");
    register_only(a, "alice");
    std::string home = make_temp_dir("batch-skew");
    REQUIRE(find_cmd(parse_lines(run_batch(s, home, "register bob pw\nquit\n")), "register")["ok"] == true);
    auto alice_id = load_identity(s, a, "alice", "pw");
    RawClient ra(s);
    REQUIRE(ra.login("alice", "pw", alice_id).status == proto::OK);
    auto bob_bundle = bundle_of(ra, "bob");
    RawDm dm(ra, "bob", bob_bundle);
    auto send_at = [&](uint64_t at, const std::string& body) {
        auto env = dm.seal(alice_id, "alice", body, crypto::random_array<16>(), at);
        REQUIRE(ra.msg2("bob", env, {}).status == proto::OK);
    };
    const uint64_t ahead = wall_ms() + 3'600'000;
    send_at(ahead, "from an hour ahead");
    send_at(wall_ms(), "on time");

    auto js = parse_lines(run_batch(s, home, "login bob pw\nhistory alice\nquit\n"));
    json first, second;
    for (auto& j : js) {
        if (j.value("event", "") != "message") continue;
        (first.is_null() ? first : second) = j;
    }
    INFO(first.dump() << second.dump());
    REQUIRE(first["body"] == "from an hour ahead");
    CHECK(first["sent_at"] == ahead);
    CHECK(first["received_at"].get<uint64_t>() + 3'000'000 < ahead);
    CHECK(first["skewed"] == true);
    REQUIRE(second["body"] == "on time");
    CHECK_FALSE(second.contains("skewed"));
    auto h = find_cmd(js, "history")["messages"];
    REQUIRE(h.size() == 2);
    CHECK(h[0]["body"] == "from an hour ahead");  // arrived first, though its sent_at is later
    CHECK(h[1]["body"] == "on time");
    CHECK(h[0]["skewed"] == true);
    remove_tree(home);
}
