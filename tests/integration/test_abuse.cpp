// Abuse against a live tacitd (issue: reliability and security, proven by
// tests). Every attack runs while two well-behaved, logged-in clients keep
// chatting, and after each one they must still send and receive. Each test
// prints a table: what was tried | expected | observed | lost anything?
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <fmt/core.h>
#include <thread>

#include "shared/net.hpp"
#include "shared/protocol.hpp"
#include "tests/integration/harness.hpp"
#include "tests/integration/raw_frames.hpp"
#include "tests/integration/report.hpp"
#include "tui/client/known_servers.hpp"

using namespace tacit;
using namespace tacit::test;
using Clock = std::chrono::steady_clock;

namespace {

// Tests log in far more often than a person, all from 127.0.0.1; the limits
// are not under test here (test_abuse_net.cpp tests the per-peer ones).
std::vector<std::string> flags(std::vector<std::string> more = {}) {
    std::vector<std::string> f = {"--login-rate", "100000", "--register-rate", "100000",
                                  "--handshake-rate", "100000/100000/100000", "--max-conns-per-peer", "100000"};
    f.insert(f.end(), more.begin(), more.end());
    return f;
}

double secs_since(Clock::time_point t0) {
    return std::chrono::duration<double>(Clock::now() - t0).count();
}

void sleep_ms(int ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

// Two logged-in clients that message each other. chat() sends one message
// each way and waits for both to arrive, verified; "" on success, else what
// went wrong. With relogin, a client whose session was ended (token expiry)
// reconnects and logs in again first, as the real client does.
struct GoodPair {
    TestClient a, b;
    int n = 0;
    bool relogin = false;
    GoodPair(const TestServer& s, const std::string& tag) : a(s, tag + "a"), b(s, tag + "b") {
        register_login(a, "alice");
        register_login(b, "bob");
    }
    std::string one(TestClient& from, TestClient& to, const std::string& to_name) {
        std::string body = fmt::format("good chat {} to {}", ++n, to_name);
        for (int attempt = 0;; ++attempt) {
            if (relogin && !from->logged_in()) from->reconnect();
            if (relogin && !to->logged_in()) to->reconnect();
            auto r = from->send(to_name, body);
            if (r.ok) break;
            if (!relogin || attempt == 3) return "send to " + to_name + " failed: " + r.msg;
        }
        bool got = to.wait_until(
            [&] {
                if (relogin && !to->logged_in()) to->reconnect();
                for (auto& m : to.messages())
                    if (m.body == body && m.verified) return true;
                return false;
            },
            15000);
        return got ? "" : "'" + body + "' never reached " + to_name;
    }
    std::string chat() {
        auto e = one(*&a, *&b, "bob");
        if (e.empty()) e = one(*&b, *&a, "alice");
        return e;
    }
    bool reconnect() { return a->reconnect().ok && b->reconnect().ok; }
};

std::string ok_or(const std::string& e) { return e.empty() ? "good pair chats fine" : "CHAT BROKEN: " + e; }

Bytes hello_frame(const ServerBundle& server) {
    auto co = make_offer("hello", server.box_pub, KeyOffer::fresh());
    return frame_with_prefix(plain_frame_body(uint8_t(proto::Kind::Hello), co.ecies));
}

struct Group {
    std::string tried, expected;
    double min_s, max_s;  // when the server should close them, since the start
    std::vector<std::unique_ptr<FrameConn>> conns;
    std::vector<double> closed_at;
};

}  // namespace

TEST_CASE("slowloris: unfinished handshakes and frames are closed by the timeouts", "[integration][abuse]") {
    Report rep("abuse: slowloris (tacitd --handshake-timeout 1 --idle-timeout 2)");
    TestServer s(flags());
    GoodPair g(s, "slow");
    // Keys are generated before the short timeouts apply, then the server
    // restarts with them and the clients log in again.
    auto more = std::vector<std::string>{"--handshake-timeout", "1", "--idle-timeout", "2"};
    s.extra.insert(s.extra.end(), more.begin(), more.end());
    s.restart();
    REQUIRE(g.reconnect());
    REQUIRE(g.chat() == "");

    auto server = client::read_server_pub(s.pub_file());
    Bytes hello = hello_frame(server);
    const int kEach = 5;
    std::vector<Group> groups(7);
    groups[0] = {"connect, send nothing", "closed by handshake timeout", 0.5, 4.0, {}, {}};
    groups[1] = {"send 2 of 4 length bytes", "closed by handshake timeout", 0.5, 4.0, {}, {}};
    groups[2] = {"send HELLO's length + \"TACT\", then stop", "closed by handshake timeout", 0.5, 4.0, {}, {}};
    groups[3] = {"trickle a HELLO, 1 byte per 200 ms", "closed by handshake timeout", 0.5, 4.0, {}, {}};
    groups[4] = {"finish HELLO, send half a sealed frame", "closed by idle timeout", 1.5, 6.0, {}, {}};
    groups[5] = {"RESUME a live token, never send a sealed frame", "closed by handshake timeout", 0.5, 4.0, {}, {}};
    groups[6] = {"finish HELLO, trickle a 60 KB frame, 1 byte per 200 ms", "closed by idle timeout", 1.5, 6.0, {}, {}};
    Bytes big(4 + 60000, 0x5A);
    put_u32be(big.data(), 60000);
    auto t0 = Clock::now();
    for (int i = 0; i < kEach; ++i) {
        for (size_t k = 0; k < groups.size(); ++k) {
            auto c = std::make_unique<FrameConn>(s, 5000);
            switch (k) {
            case 1: REQUIRE(c->write(ByteView(hello).first(2))); break;
            case 2: REQUIRE(c->write(ByteView(hello).first(8))); break;
            case 3: REQUIRE(c->write(ByteView(hello).first(1))); break;
            case 4: {
                c->hello();
                Bytes f = c->seal(msg::encode_body(msg::Ping{test_nonce()}));
                REQUIRE(c->write(ByteView(f).first(f.size() / 2)));
                break;
            }
            case 5: REQUIRE(c->resume(*g.a->token())); break;
            case 6:
                c->hello();
                REQUIRE(c->write(ByteView(big).first(1)));
                break;
            default: break;
            }
            groups[k].conns.push_back(std::move(c));
            groups[k].closed_at.push_back(-1);
        }
    }
    // Groups 4 and 5 started a little later than t0; the bounds are loose.
    size_t trickled = 1;
    auto last_trickle = Clock::now(), last_chat = Clock::now();
    std::vector<std::string> chat_errors;
    int chats = 0;
    for (;;) {
        bool all = true;
        for (auto& gr : groups)
            for (size_t i = 0; i < gr.conns.size(); ++i) {
                if (gr.closed_at[i] >= 0) continue;
                if (peer_closed(gr.conns[i]->fd())) gr.closed_at[i] = secs_since(t0);
                else all = false;
            }
        if (all || secs_since(t0) > 10) break;
        if (Clock::now() - last_trickle > std::chrono::milliseconds(200) && trickled < hello.size()) {
            for (size_t i = 0; i < groups[3].conns.size(); ++i)
                if (groups[3].closed_at[i] < 0 && !groups[3].conns[i]->write(ByteView(hello).subspan(trickled, 1)))
                    groups[3].closed_at[i] = secs_since(t0);
            for (size_t i = 0; i < groups[6].conns.size(); ++i)
                if (groups[6].closed_at[i] < 0 && !groups[6].conns[i]->write(ByteView(big).subspan(trickled, 1)))
                    groups[6].closed_at[i] = secs_since(t0);
            ++trickled;
            last_trickle = Clock::now();
        }
        // The good pair must talk more often than the idle timeout.
        if (Clock::now() - last_chat > std::chrono::milliseconds(300)) {
            auto e = g.chat();
            ++chats;
            if (!e.empty()) chat_errors.push_back(e);
            last_chat = Clock::now();
        }
        sleep_ms(20);
    }
    for (auto& gr : groups) {
        double lo = 1e9, hi = -1;
        int open = 0;
        for (double t : gr.closed_at) {
            if (t < 0) ++open;
            else lo = std::min(lo, t), hi = std::max(hi, t);
        }
        std::string obs = open ? fmt::format("{} of {} STILL OPEN after 10 s", open, gr.conns.size())
                               : fmt::format("all {} closed after {:.1f}-{:.1f} s", gr.conns.size(), lo, hi);
        rep.add(gr.tried + fmt::format(" (x{})", gr.conns.size()), gr.expected, obs);
        CHECK(open == 0);
        if (!open) {
            CHECK(lo >= gr.min_s);
            CHECK(hi <= gr.max_s);
        }
    }
    rep.add(fmt::format("good pair chatting during the attack ({} rounds)", chats), "every message arrives",
            chat_errors.empty() ? "all arrived" : "FAILED: " + chat_errors.front(),
            chat_errors.empty() ? "no" : "YES");
    CHECK(chat_errors.empty());
    CHECK(s.log().find("handshake timeout") != std::string::npos);
    CHECK(s.log().find("idle timeout") != std::string::npos);
    auto e = g.chat();
    rep.add("good pair after the attack", "chats fine", ok_or(e));
    REQUIRE(e == "");
}

TEST_CASE("a connection flood past --max-connections and past the fd limit", "[integration][abuse]") {
    Report rep("abuse: connection flood (tacitd --max-connections 200)");
    TestServer s(flags({"--max-connections", "200"}));
    GoodPair g(s, "flood");
    auto hp = *parse_hostport(s.addr(), 0);
    auto flood_once = [&](const std::string& what, const std::string& expected) {
        std::vector<UniqueFd> flood;
        for (int i = 0; i < 300; ++i) flood.push_back(connect_tcp(hp, 5000));
        sleep_ms(500);
        int refused = 0;
        for (auto& f : flood)
            if (peer_closed(f.get())) ++refused;
        // A new client while the flood holds the slots.
        client::Options o;
        o.server = s.addr();
        o.server_key_file = s.pub_file();
        o.data_dir = g.a.home + "/extra";
        o.timeout_ms = 3000;
        bool newcomer_ok;
        {
            client::Client extra(o);
            newcomer_ok = extra.connect().ok;
        }
        bool alive = process_alive(s.pid());
        auto e = g.chat();
        rep.add(what, expected,
                fmt::format("{} of 300 closed at once, {} held; newcomer {}; server {}", refused, 300 - refused,
                            newcomer_ok ? "got in" : "refused", alive ? "up" : "DOWN"),
                "no");
        rep.add("good pair during the flood", "chats fine", ok_or(e));
        CHECK(alive);
        CHECK(e == "");
        flood.clear();
        // The server reaps the closed sockets; a newcomer gets in again.
        bool back = false;
        auto t0 = Clock::now();
        while (!back && secs_since(t0) < 5) {
            client::Client extra(o);
            back = extra.connect().ok;
            uint64_t rtt;
            back = back && extra.ping(&rtt).ok;
            if (!back) sleep_ms(100);
        }
        rep.add("close the flood, connect a new client", "new client connects and pings",
                back ? fmt::format("connected after {:.1f} s", secs_since(t0)) : "NOT ACCEPTED within 5 s");
        CHECK(back);
        return std::make_pair(refused, newcomer_ok);
    };
    auto [refused, newcomer] = flood_once("open 300 sockets (2 good clients hold slots)",
                                          "past 200 closed at once; server up");
    // 200 slots minus the good pair's 2: 102 of 300 are closed at once.
    CHECK(refused >= 95);
    CHECK(refused <= 110);
    CHECK_FALSE(newcomer);

    // Now below the connection limit but past the process fd limit: the
    // acceptor's reserve fd keeps the listener from spinning.
    rlimit rl{96, 96};
    REQUIRE(prlimit(s.pid(), RLIMIT_NOFILE, &rl, nullptr) == 0);
    auto [refused2, newcomer2] = flood_once("same with the server's fd limit cut to 96 (prlimit)",
                                            "accepts what fds allow, drops the rest; server up");
    CHECK(refused2 >= 200);
    (void)newcomer2;
    rl = {4096, 4096};
    prlimit(s.pid(), RLIMIT_NOFILE, &rl, nullptr);
    auto e = g.chat();
    rep.add("good pair after both floods", "chats fine", ok_or(e));
    REQUIRE(e == "");
}

TEST_CASE("a reader that never reads is cut at --output-cap and memory stays bounded", "[integration][abuse]") {
    Report rep("abuse: reader that never reads (tacitd --output-cap 256K)");
    TestServer s(flags({"--output-cap", "256K"}));
    GoodPair g(s, "hog");
    const auto& hid = pooled_identity(0);
    FrameConn hog(s);
    hog.hello();
    REQUIRE(hog.register_user("hog", "pw", hid) == proto::OK);
    auto tok = hog.login("hog", "pw", hid);
    REQUIRE(tok);
    // Its own mailbox holds ~180 KB, so every UPDATE1 answers with that much.
    for (int i = 0; i < 3; ++i) {
        msg::Msg2 m;
        m.nonce2 = test_nonce();
        m.target = "hog";
        m.enc_msg = Bytes(60000, uint8_t(i));
        auto o = hog.call(msg::encode_body(m), &hid.sign);
        REQUIRE(o.status == proto::OK);
    }
    int small = 4096;
    setsockopt(hog.fd(), SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    size_t hwm0 = hwm_kib(s.pid()), rss0 = rss_kib(s.pid());
    // 2000 UPDATE1s in one burst (138 KB in), ~360 MB of replies asked for.
    Bytes burst;
    for (int i = 0; i < 2000; ++i) {
        msg::Update1 u;
        u.token = *tok;
        u.nonce1 = test_nonce();
        auto f = hog.seal(msg::encode_body(u));
        burst.insert(burst.end(), f.begin(), f.end());
    }
    hog.write(burst);
    // tacitd handles at most 16 frames of a connection per loop pass, so the
    // replies built before the cap can act stay bounded.
    bool cut = log_shows(s, "output cap exceeded", 10000);
    std::string why = "output cap exceeded";
    size_t hwm1 = hwm_kib(s.pid()), rss1 = rss_kib(s.pid());
    bool closed = peer_closed(hog.fd(), 3000);
    rep.add("logged-in client sends 2000 UPDATE1 (180 KB page each), reads nothing",
            "connection cut; server memory bounded",
            fmt::format("{}; peak RSS {} -> {} MiB, RSS now {} MiB (was {})", cut ? "cut: " + why : "NOT CUT",
                        hwm0 / 1024, hwm1 / 1024, rss1 / 1024, rss0 / 1024));
    CHECK(cut);
    CHECK(closed);
    // Far below the 360 MB the requests asked for.
    CHECK(hwm1 < hwm0 + 96 * 1024);
    auto e = g.chat();
    rep.add("good pair after the UPDATE1 hog", "chats fine", ok_or(e));
    CHECK(e == "");

    // One UPDATE1 at a time, as a client that waits would send them, but
    // never reading: the output cap is what cuts it.
    {
        FrameConn slow(s);
        slow.hello();
        auto t2 = slow.login("hog", "pw", hid);
        REQUIRE(t2);
        setsockopt(slow.fd(), SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
        hwm0 = hwm_kib(s.pid());
        size_t cuts = log_count(s, "output cap exceeded");
        int n = 0;
        bool gone = false;
        for (; n < 400 && !gone; ++n) {
            msg::Update1 u;
            u.token = *t2;
            u.nonce1 = test_nonce();
            gone = !slow.write(slow.seal(msg::encode_body(u))) || peer_closed(slow.fd(), 5);
        }
        bool capped = log_shows(s, "output cap exceeded", 5000, cuts);
        hwm1 = hwm_kib(s.pid());
        rep.add("logged-in client sends UPDATE1s one by one (180 KB each), reads nothing",
                "cut at the output cap; memory bounded",
                fmt::format("{} after {} requests ({} MB asked for); peak RSS {} -> {} MiB",
                            capped ? "cut: output cap exceeded" : "NOT CUT", n, n * 180 / 1000, hwm0 / 1024,
                            hwm1 / 1024));
        CHECK(capped);
        CHECK(hwm1 < hwm0 + 96 * 1024);
        e = g.chat();
        rep.add("good pair after the slow hog", "chats fine", ok_or(e));
        CHECK(e == "");
    }

    // The same with PINGs: tiny replies, but far more of them than any
    // buffer holds.
    FrameConn pinger(s);
    pinger.hello();
    setsockopt(pinger.fd(), SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    hwm0 = hwm_kib(s.pid());
    size_t sent = 0;
    bool write_failed = false;
    auto t0 = Clock::now();
    while (sent < 400000 && secs_since(t0) < 20) {
        Bytes chunk;
        for (int i = 0; i < 2000; ++i) {
            auto f = pinger.seal(msg::encode_body(msg::Ping{test_nonce()}));
            chunk.insert(chunk.end(), f.begin(), f.end());
        }
        if (!pinger.write(chunk)) {
            write_failed = true;
            break;
        }
        sent += 2000;
    }
    bool cut2 = peer_closed(pinger.fd(), 5000);
    hwm1 = hwm_kib(s.pid());
    rep.add("not logged in: 2000 PINGs per write, PONGs never read",
            "connection cut; server memory bounded",
            fmt::format("{} after {} PINGs{}; peak RSS {} -> {} MiB", cut2 ? "cut" : "NOT CUT", sent,
                        write_failed ? " (server closed while we wrote)" : "", hwm0 / 1024, hwm1 / 1024));
    CHECK(cut2);
    CHECK(hwm1 < hwm0 + 96 * 1024);
    e = g.chat();
    rep.add("good pair after the PING hog", "chats fine", ok_or(e));
    REQUIRE(e == "");
    REQUIRE(process_alive(s.pid()));
}

TEST_CASE("frame attacks: oversized, replayed, reordered, bit-flipped, wrongly signed", "[integration][abuse]") {
    Report rep("abuse: frame attacks");
    TestServer s(flags());
    GoodPair g(s, "frames");
    const auto& id0 = pooled_identity(0);
    const auto& id1 = pooled_identity(1);
    {
        FrameConn r(s);
        r.hello();
        REQUIRE(r.register_user("mallory", "pw", id0) == proto::OK);
    }
    auto ping = [] { return msg::encode_body(msg::Ping{test_nonce()}); };
    auto expect_close = [&](const std::string& tried, FrameConn& c, std::function<void()> attack) {
        attack();
        bool closed = c.closed_within(5000);
        auto e = g.chat();
        rep.add(tried, "connection closed", closed ? "closed" : "STILL OPEN");
        CHECK(closed);
        CHECK(e == "");
    };
    auto logged_in = [&] {
        auto c = std::make_unique<FrameConn>(s);
        c->hello();
        REQUIRE(c->login("mallory", "pw", id0));
        return c;
    };

    {
        FrameConn c(s);
        c.hello();
        expect_close("length 65537 before login (limit 64 KiB)", c, [&] {
            Bytes f(4);
            put_u32be(f.data(), 65537);
            f.resize(4 + 1000, 0xAB);
            c.write(f);
        });
    }
    {
        auto c = logged_in();
        expect_close("length 1 MiB + 1 after login", *c, [&] {
            Bytes f(4);
            put_u32be(f.data(), 1048577);
            c->write(f);
        });
    }
    {
        auto c = logged_in();
        expect_close("length 0", *c, [&] { c->write(Bytes(4, 0)); });
    }
    {
        auto c = logged_in();
        Bytes f = c->seal(ping());
        REQUIRE(c->write(f));
        auto r = c->reply(5000);
        REQUIRE(r);
        REQUIRE(r->type() == msg::Pong::type);
        expect_close("replay a sealed PING that was answered", *c, [&] { c->write(f); });
    }
    {
        auto c = logged_in();
        Bytes f1 = c->seal(ping()), f2 = c->seal(ping());
        expect_close("send sealed frames out of order (seq 1 before 0)", *c, [&] {
            c->write(f2);
            c->write(f1);
        });
    }
    {
        auto c = logged_in();
        Bytes f = c->seal(ping());
        f[4 + 3] ^= 0x01;
        expect_close("flip one ciphertext bit", *c, [&] { c->write(f); });
    }
    {
        auto c = logged_in();
        Bytes f = c->seal(ping());
        f.back() ^= 0x80;
        expect_close("flip one tag bit", *c, [&] { c->write(f); });
    }
    {
        auto c = logged_in();
        Bytes f = c->seal(ping());
        // Shorter body, prefix made to match: the AAD (the prefix) changes.
        f.pop_back();
        put_u32be(f.data(), uint32_t(f.size() - 4));
        expect_close("cut a frame short and fix its length prefix", *c, [&] { c->write(f); });
    }
    {
        auto a = logged_in();
        auto b = logged_in();
        Bytes f = a->seal(ping());
        expect_close("a frame sealed for another connection", *b, [&] { b->write(f); });
    }
    {
        auto c = logged_in();
        auto server = client::read_server_pub(s.pub_file());
        expect_close("a plaintext HELLO after the handshake", *c, [&] { c->write(hello_frame(server)); });
    }
    {
        FrameConn c(s);
        expect_close("a first frame that is not KEY_REQUEST/HELLO/RESUME", c, [&] {
            c.write(frame_with_prefix(plain_frame_body(uint8_t(proto::Kind::KeyResponse), Bytes(10, 0))));
        });
    }
    {
        FrameConn c(s);
        expect_close("a HELLO whose ECIES is random bytes", c, [&] {
            Bytes junk(proto::kHelloEciesLen);
            crypto::random_bytes(junk.data(), junk.size());
            c.write(frame_with_prefix(plain_frame_body(uint8_t(proto::Kind::Hello), junk)));
        });
    }
    {
        // Replaying a recorded HELLO: the server answers under fresh
        // randomness, so the recorder cannot follow.
        auto server = client::read_server_pub(s.pub_file());
        auto co = make_offer("hello", server.box_pub, KeyOffer::fresh());
        Bytes hello = frame_with_prefix(plain_frame_body(uint8_t(proto::Kind::Hello), co.ecies));
        Array<32> rnd[2];
        for (int i = 0; i < 2; ++i) {
            FrameConn c(s);
            REQUIRE(c.write(hello));
            FrameDecoder dec(65536);
            Bytes body;
            REQUIRE(read_frame(c.fd(), dec, body, 5000) == ReadResult::Frame);
            auto pt = open_preliminary(co.offer, body);
            REQUIRE(pt);
            rnd[i] = msg::decode<msg::HelloR>(*pt).m.server_random;
        }
        bool differ = rnd[0] != rnd[1];
        rep.add("replay a recorded HELLO on a new connection", "fresh server_random: new session keys",
                differ ? "server_random differs" : "SAME server_random");
        CHECK(differ);
    }

    // Signatures.
    {
        auto c = std::make_unique<FrameConn>(s);
        c->hello();
        auto t = c->login("mallory", "pw", id0);
        REQUIRE(t);
        msg::Online m{*t, test_nonce()};
        auto o = c->call(msg::encode_body(m), &id1.sign);
        rep.add("ONLINE signed by another user's key", "ERROR AUTH_FAILED", describe(o));
        CHECK((o.type == proto::ERROR && o.status == proto::AUTH_FAILED));
        msg::GroupCreate gc{*t, "evil", {}, test_nonce()};
        o = c->call(msg::encode_body(gc), &id1.sign);
        rep.add("GROUP_CREATE signed by another user's key", "GROUP_CREATE_R AUTH_FAILED", describe(o));
        CHECK((o.type == msg::GroupCreateR::type && o.status == proto::AUTH_FAILED));
        msg::Msg2 m2;
        m2.nonce2 = test_nonce();
        m2.target = "bob";
        m2.enc_msg = Bytes(100, 1);
        o = c->call(msg::encode_body(m2), &id1.sign);
        rep.add("MSG2 (no token) signed by another user's key", "MSG2_R AUTH_FAILED, nothing stored", describe(o));
        CHECK((o.type == msg::Msg2R::type && o.status == proto::AUTH_FAILED));
        // Signed for another sequence number: a signature can't be moved.
        Bytes body = msg::encode_body(msg::Online{*t, test_nonce()});
        auto in = msg::sig_input(proto::C2S, c->session_id(), c->next_send_seq() + 1, body);
        msg::append_sig(body, id0.sign.sign(in));
        o = c->call(std::move(body));
        rep.add("ONLINE signed for the next sequence number", "ERROR AUTH_FAILED", describe(o));
        CHECK((o.type == proto::ERROR && o.status == proto::AUTH_FAILED));
        // A signature from another session of the same user.
        auto other = std::make_unique<FrameConn>(s);
        other->hello();
        Bytes body2 = msg::encode_body(msg::Online{*t, test_nonce()});
        auto in2 = msg::sig_input(proto::C2S, other->session_id(), c->next_send_seq(), body2);
        msg::append_sig(body2, id0.sign.sign(in2));
        o = c->call(std::move(body2));
        rep.add("ONLINE signed over another connection's session id", "ERROR AUTH_FAILED", describe(o));
        CHECK((o.type == proto::ERROR && o.status == proto::AUTH_FAILED));
        auto p = c->call(ping());
        rep.add("PING on that connection afterwards", "PONG (ERROR keeps it open)", describe(p));
        CHECK(p.type == msg::Pong::type);
        // LOGIN1 signed by the wrong key: the decoy path, AUTH_FAILED at LOGIN2.
        FrameConn d(s);
        d.hello();
        auto t2 = d.login("mallory", "pw", id1);
        rep.add("log in with the right password but another key", "LOGIN2_R AUTH_FAILED",
                t2 ? "LOGGED IN" : "refused");
        CHECK_FALSE(t2);
        auto e = g.chat();
        rep.add("good pair after the signature attacks", "chats fine", ok_or(e));
        CHECK(e == "");
    }
}

TEST_CASE("token attacks: foreign, forged, expired tokens and requests before login", "[integration][abuse]") {
    Report rep("abuse: tokens and login state");
    TestServer s(flags());
    GoodPair g(s, "tok");
    const auto& id0 = pooled_identity(0);
    const auto& id1 = pooled_identity(1);
    {
        FrameConn r(s);
        r.hello();
        REQUIRE(r.register_user("mallory", "pw", id0) == proto::OK);
        REQUIRE(r.register_user("trent", "pw", id1) == proto::OK);
    }
    FrameConn m(s), t(s), m2(s);
    m.hello(), t.hello(), m2.hello();
    auto tm = m.login("mallory", "pw", id0);
    auto tt = t.login("trent", "pw", id1);
    auto tm2 = m2.login("mallory", "pw", id0);
    REQUIRE(tm);
    REQUIRE(tt);
    REQUIRE(tm2);
    auto row = [&](const std::string& tried, const std::string& expected, const Outcome& o, bool ok) {
        rep.add(tried, expected, describe(o));
        CHECK(ok);
    };
    auto is = [](const Outcome& o, uint8_t type, uint8_t st) { return o.type == type && o.status == st; };

    auto o = m.call(msg::encode_body(msg::Online{*tt, test_nonce()}), &id0.sign);
    row("ONLINE with another user's token", "ERROR AUTH_FAILED", o, is(o, proto::ERROR, proto::AUTH_FAILED));
    o = m.call(msg::encode_body(msg::Update1{*tt, test_nonce()}));
    row("UPDATE1 with another user's token (read their mailbox)", "ERROR AUTH_FAILED", o,
        is(o, proto::ERROR, proto::AUTH_FAILED));
    o = m.call(msg::encode_body(msg::Update1{*tm2, test_nonce()}));
    row("UPDATE1 with the token of my other session", "ERROR AUTH_FAILED", o,
        is(o, proto::ERROR, proto::AUTH_FAILED));
    o = m.call(msg::encode_body(msg::Renew1{*tt, test_nonce()}));
    row("RENEW1 with another user's token", "ERROR AUTH_FAILED", o, is(o, proto::ERROR, proto::AUTH_FAILED));
    Token forged = *tm;
    forged[0] ^= 1;
    o = m.call(msg::encode_body(msg::GroupCreate{forged, "forged", {}, test_nonce()}), &id0.sign);
    row("GROUP_CREATE with my token, one bit flipped", "GROUP_CREATE_R AUTH_FAILED", o,
        is(o, msg::GroupCreateR::type, proto::AUTH_FAILED));
    {
        FrameConn r(s);
        Token rnd = crypto::random_array<32>();
        bool resumed = r.resume(rnd);
        bool closed = r.closed_within(3000);
        rep.add("RESUME with a random token", "AUTH_FAILED, closed",
                resumed ? "RESUMED" : (closed ? "AUTH_FAILED, closed" : "AUTH_FAILED, left open"));
        CHECK_FALSE(resumed);
        CHECK(closed);
    }
    {
        // A RESUME of a live token works, and the stolen-token holder still
        // can't act as another user.
        FrameConn r(s);
        bool resumed = r.resume(*tt);
        REQUIRE(resumed);
        auto p = r.call(msg::encode_body(msg::Online{*tt, test_nonce()}), &id0.sign);
        rep.add("RESUME trent's live token, then ONLINE signed with mallory's key", "ERROR AUTH_FAILED",
                describe(p));
        CHECK(is(p, proto::ERROR, proto::AUTH_FAILED));
    }
    {
        FrameConn fresh(s);
        fresh.hello();
        struct Pre {
            std::string what;
            Bytes body;
            bool sign;
        };
        std::vector<Pre> pre = {
            {"ONLINE", msg::encode_body(msg::Online{*tm, test_nonce()}), true},
            {"UPDATE1", msg::encode_body(msg::Update1{*tm, test_nonce()}), false},
            {"UPDATE2", msg::encode_body(msg::Update2{test_nonce()}), false},
            {"LOGOUT", msg::encode_body(msg::Logout{*tm}), true},
        };
        for (auto& p : pre) {
            auto r = fresh.call(p.body, p.sign ? &id0.sign : nullptr);
            bool ok = is(r, proto::ERROR, proto::AUTH_FAILED) && r.msg == "log in first";
            rep.add(p.what + " before login, with a live token", "ERROR AUTH_FAILED \"log in first\"", describe(r));
            CHECK(ok);
        }
        auto p = fresh.call(msg::encode_body(msg::Ping{test_nonce()}));
        rep.add("PING on that connection", "PONG", describe(p));
        CHECK(p.type == msg::Pong::type);
    }
    auto e = g.chat();
    rep.add("good pair after the token attacks", "chats fine", ok_or(e));
    CHECK(e == "");

    // Expiry, on its own server: --token-ttl 1 ends every session after a
    // second, the good pair's too, so they log in again as needed.
    TestServer sx(flags({"--token-ttl", "1"}));
    {
        FrameConn r(sx);
        r.hello();
        REQUIRE(r.register_user("mallory", "pw", id0) == proto::OK);
    }
    GoodPair gx(sx, "ttl");
    gx.relogin = true;
    FrameConn x(sx);
    x.hello();
    auto tx = x.login("mallory", "pw", id0);
    REQUIRE(tx);
    auto t0 = Clock::now();
    bool closed = x.closed_within(4000);
    rep.add("hold a session past --token-ttl 1", "connection closed at expiry",
            closed ? fmt::format("closed after {:.1f} s", secs_since(t0)) : "STILL OPEN");
    CHECK(closed);
    FrameConn y(sx);
    bool resumed = y.resume(*tx);
    rep.add("RESUME with the expired token", "AUTH_FAILED", resumed ? "RESUMED" : "AUTH_FAILED");
    CHECK_FALSE(resumed);
    e = gx.chat();
    rep.add("good pair on the 1 s token server (log in again as needed)", "chats fine", ok_or(e));
    REQUIRE(e == "");
}
