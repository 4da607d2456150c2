// Abuse of tacitd before authentication (issue 21, items 1, 2, 4, 8 and 9):
// huge RSA exponents, signed answers to peers that proved nothing, account
// lockout from another address, forged log lines, and a decoy login that is
// cheaper than a real one. Each attack runs against a real tacitd while a
// well-behaved pair keeps chatting; the report gives that pair's PING
// latency during the attack. CPU costs are ratios inside one run, from
// tacitd's own CPU time (/proc/PID/task/*/schedstat, nanoseconds).
#include <catch2/catch.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fmt/core.h>
#include <fstream>
#include <functional>
#include <thread>

#include "shared/protocol.hpp"
#include "tests/integration/harness.hpp"
#include "tests/integration/raw_client.hpp"
#include "tests/integration/raw_frames.hpp"
#include "tests/integration/report.hpp"
#include "tests/unit/odd_rsa.hpp"

using namespace tacit;
using namespace tacit::test;

namespace {

// Limits off unless a test is about them.
std::vector<std::string> loose(std::vector<std::string> more = {}) {
    std::vector<std::string> f = {"--login-rate", "100000", "--register-rate", "100000",
                                  "--handshake-rate", "100000/100000/100000"};
    f.insert(f.end(), more.begin(), more.end());
    return f;
}

// CPU time all of tacitd's threads have run, in ns: the loop and the
// crypto pool's workers (--threads), which verify and sign off the loop.
uint64_t cpu_ns(pid_t pid) {
    const std::filesystem::path tasks = "/proc/" + std::to_string(pid) + "/task";
    uint64_t total = 0;
    std::error_code ec;
    for (const auto& t : std::filesystem::directory_iterator(tasks, ec)) {
        std::ifstream in(t.path() / "schedstat");
        uint64_t ns = 0;
        if (in >> ns) total += ns;
    }
    return total;
}

// Two logged-in users who keep talking while an attack runs; ping() records
// alice's PING round trips.
struct GoodUsers {
    TestClient a, b;
    int sent = 0;
    std::vector<double> rtt_ms;
    int ping_failures = 0;
    // Registered raw (register_shared): one login each.
    GoodUsers(const TestServer& s, const std::string& tag) : a(s, tag + "a"), b(s, tag + "b") {
        register_shared(s, a, {"alice"}, "pw");
        register_shared(s, b, {"bob"}, "pw");
        log_in(a, "alice");
        log_in(b, "bob");
    }
    static void log_in(TestClient& c, const std::string& user) {
        auto r = c->login(user, "pw");
        INFO("login " << user << ": " << r.msg);
        REQUIRE(r.ok);
    }
    void ping() {
        uint64_t us = 0;
        if (a->ping(&us).ok) rtt_ms.push_back(double(us) / 1000.0);
        else ++ping_failures;
    }
    // One message alice -> bob, verified on arrival; "" on success.
    std::string chat() {
        std::string body = fmt::format("good chat {}", ++sent);
        auto r = a->send("bob", body);
        if (!r.ok) return "send failed: " + r.msg;
        bool got = b.wait_until([&] {
            for (auto& m : b.messages())
                if (m.body == body && m.verified) return true;
            return false;
        });
        return got ? "" : "'" + body + "' never arrived";
    }
    // Chats once and adds a report row on how it went; true if it arrived.
    bool chat_row(Report& rep, const std::string& when) {
        auto e = chat();
        rep.add("good users chat " + when, "message arrives", e.empty() ? "arrived" : "BROKEN: " + e,
                e.empty() ? "no" : "YES");
        return e.empty();
    }
    // "PING median 0.2 ms, max 0.9 ms (12)", then forgets the samples.
    std::string latency() {
        if (rtt_ms.empty()) return fmt::format("NO PONG ({} failed)", ping_failures);
        auto v = rtt_ms;
        std::sort(v.begin(), v.end());
        auto s = fmt::format("PING median {:.1f} ms, max {:.1f} ms ({}{})", v[v.size() / 2], v.back(), v.size(),
                             ping_failures ? fmt::format(", {} FAILED", ping_failures) : "");
        rtt_ms.clear();
        return s;
    }
};

// What a burst of hostile frames got.
struct Burst {
    std::vector<std::vector<RawFrame>> replies;  // per connection
    int closed = 0;                              // connections the server closed
    uint64_t cpu = 0;                            // tacitd CPU ns from first write to last reply
    size_t frames = 0;
    double cpu_per_frame_us() const { return frames ? double(cpu) / 1000.0 / double(frames) : 0; }
    size_t count(const std::function<bool(const RawFrame&)>& pred) const {
        size_t n = 0;
        for (auto& rs : replies)
            for (auto& f : rs) n += pred(f) ? 1 : 0;
        return n;
    }
    size_t total() const {
        return count([](const RawFrame&) { return true; });
    }
};

// Opens `conns` connections (HELLO on each, from from_ip), seals `per_conn`
// frames on each with make(conn, i), then writes them all at once from a
// second thread and reads until each connection has answered every frame
// or was closed, while the good users (if any) PING. tacitd's CPU is
// counted from the first write to the last reply; the good users' few PINGs
// are in it too.
Burst burst(const TestServer& s, GoodUsers* g, int conns, int per_conn,
            const std::function<Bytes(FrameConn&, int)>& make, const std::string& from_ip = "") {
    std::vector<std::unique_ptr<FrameConn>> cs;
    std::vector<Bytes> wire(static_cast<size_t>(conns));
    for (int c = 0; c < conns; ++c) {
        cs.push_back(std::make_unique<FrameConn>(s, 20000, from_ip));
        cs.back()->hello();
        for (int i = 0; i < per_conn; ++i) {
            Bytes f = make(*cs.back(), i);
            wire[size_t(c)].insert(wire[size_t(c)].end(), f.begin(), f.end());
        }
    }
    Burst b;
    b.replies.resize(size_t(conns));
    b.frames = size_t(conns) * size_t(per_conn);
    std::atomic<bool> done{false};
    uint64_t cpu0 = cpu_ns(s.pid());
    std::thread attacker([&] {
        for (int c = 0; c < conns; ++c) cs[size_t(c)]->write(wire[size_t(c)]);
        for (int c = 0; c < conns; ++c) {
            auto& fc = *cs[size_t(c)];
            while (b.replies[size_t(c)].size() < size_t(per_conn)) {
                auto f = fc.reply(20000);
                if (!f) break;
                b.replies[size_t(c)].push_back(std::move(*f));
            }
            if (b.replies[size_t(c)].size() < size_t(per_conn) && fc.closed_within(5000)) ++b.closed;
        }
        b.cpu = cpu_ns(s.pid()) - cpu0;
        done = true;
    });
    for (int i = 0; g && (!done || i < 3); ++i) {
        g->ping();
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    attacker.join();
    return b;
}

bool is_error(const RawFrame& f, uint8_t status) {
    return f.type() == proto::ERROR && msg::decode_error(f.pt).m.status == status;
}
bool unsigned_error(const RawFrame& f) { return f.type() == proto::ERROR && msg::decode_error(f.pt).sigs.empty(); }

Bytes ping_body() { return msg::encode_body(msg::Ping{test_nonce()}); }

// A REGISTER whose bundle is id's, with id's RSA key swapped for der; the
// signature is 384 random bytes (no one can sign for an odd exponent).
Bytes register_with(FrameConn& c, const std::string& user, const UserIdentity& id, const Bytes& der) {
    msg::Register m;
    m.user = user;
    m.pass = Bytes(proto::kPassLen, 7);
    UserBundle b = id.bundle();
    b.rsa_der = der;
    m.public_key = b.encode();
    m.nonce = test_nonce();
    m.prekeys.spk.sig = Bytes(384, 1);  // never looked at: the bundle is refused first
    Bytes body = msg::encode_body(m);
    Bytes sig(384);
    crypto::random_bytes(sig.data(), sig.size());
    msg::append_sig(body, sig);
    return c.seal(std::move(body));
}

Bytes login1(FrameConn& c, const std::string& user, const crypto::PkKey& signer) {
    msg::Login1 l1;
    l1.user = user;
    l1.nonce1 = test_nonce();
    return c.seal(msg::encode_body(l1), &signer);
}

std::string ratio_text(double hostile_us, double ping_us) {
    return fmt::format("{:.0f} us per frame = {:.1f} x a PING ({:.0f} us)", hostile_us, hostile_us / ping_us, ping_us);
}

}  // namespace

TEST_CASE("RSA keys: only e = 65537 and refused before any modexp; the register limit comes first", "[integration][abuse]") {
    Report rep("abuse: RSA exponent and the register limiter");
    TestServer s(loose());
    GoodUsers g(s, "rsa");
    REQUIRE(g.chat() == "");
    const auto& id = pooled_identity(0);
    Bytes huge = rsa_der_with_exponent(id.sign, OddExponent::Huge);

    auto pings = burst(s, &g, 4, 30, [](FrameConn& c, int) { return c.seal(ping_body()); });
    double ping_us = pings.cpu_per_frame_us();
    REQUIRE(pings.total() == 120);
    g.latency();

    // 150 frames, 1.3 KB each: once ~31 ms of CPU apiece, 4.6 s in all.
    auto b = burst(s, &g, 5, 30, [&](FrameConn& c, int i) {
        return register_with(c, fmt::format("huge{}", i), id, huge);
    });
    size_t refused = b.count([](const RawFrame& f) {
        return is_error(f, proto::BAD_REQUEST) && unsigned_error(f) &&
               msg::decode_error(f.pt).m.msg.find("e = 65537") != std::string::npos;
    });
    double ratio = b.cpu_per_frame_us() / ping_us;
    rep.add("150 REGISTERs with e = N - 2 (3072-bit modulus), 5 connections",
            "unsigned ERROR BAD_REQUEST naming e = 65537; cost of a few PINGs",
            fmt::format("{} of {} refused so; {}", refused, b.total(), ratio_text(b.cpu_per_frame_us(), ping_us)));
    rep.add("  good users' PING meanwhile", "answered at once", g.latency());
    CHECK(refused == 150);
    CHECK(ratio < 50);  // a modexp by a 3072-bit e would be ~15000
    // Nothing of it was stored: the name is still free.
    {
        FrameConn c(s);
        c.hello();
        CHECK(c.register_user("huge0", "pw", id) == proto::OK);
    }

    // The same on one connection: the pre-login budget closes it.
    auto one = burst(s, &g, 1, 150, [&](FrameConn& c, int i) {
        return register_with(c, fmt::format("huge{}", i), id, huge);
    });
    rep.add("150 such REGISTERs pipelined on one connection", "closed after the 32-frame pre-login budget",
            fmt::format("{} answers, then {}", one.total(), one.closed ? "closed" : "LEFT OPEN"));
    rep.add("  good users' PING meanwhile", "answered at once", g.latency());
    CHECK(one.total() == 32);
    CHECK(one.closed == 1);
    CHECK(s.log().find("pre-login budget spent: too many frames") != std::string::npos);

    CHECK(g.chat_row(rep, "after the RSA attacks"));

    // The register limiter is charged before the signature is checked:
    // bad signatures use it up, the rest are refused unverified.
    TestServer lim({"--register-rate", "5"});
    FrameConn c(lim);
    c.hello();
    std::vector<uint8_t> got;
    for (int i = 0; i < 8; ++i) {
        msg::Register m;
        m.user = fmt::format("spam{}", i);
        m.pass = Bytes(proto::kPassLen, 1);
        m.public_key = id.bundle().encode();
        m.nonce = test_nonce();
        m.prekeys = test_prekeys(id.sign, m.user);
        Bytes body = msg::encode_body(m);
        msg::append_sig(body, Bytes(384, 0x42));
        REQUIRE(c.write(c.seal(std::move(body))));
        auto f = c.reply(10000);
        REQUIRE(f);
        CHECK(unsigned_error(*f));
        got.push_back(f->type() == proto::ERROR ? msg::decode_error(f->pt).m.status : 0xEE);
    }
    auto n_auth = std::count(got.begin(), got.end(), proto::AUTH_FAILED);
    auto n_rate = std::count(got.begin(), got.end(), proto::RATE_LIMITED);
    rep.add("8 REGISTERs with bad signatures, --register-rate 5", "5 AUTH_FAILED, then RATE_LIMITED, all unsigned",
            fmt::format("{} AUTH_FAILED, {} RATE_LIMITED", n_auth, n_rate));
    CHECK(n_auth == 5);
    CHECK(n_rate == 3);
}

TEST_CASE("nothing is signed for a peer that proved nothing; the pre-login budget", "[integration][abuse]") {
    Report rep("abuse: signing before authentication");
    TestServer s(loose());
    GoodUsers g(s, "sig");
    const auto& id = pooled_identity(0);

    auto pings = burst(s, &g, 4, 30, [](FrameConn& c, int) { return c.seal(ping_body()); });
    double ping_us = pings.cpu_per_frame_us();
    REQUIRE(pings.total() == 120);
    g.latency();

    // Once a P-256-signed LOGIN2_R each, ~0.85 ms of CPU per 44-byte frame.
    auto b = burst(s, &g, 4, 30, [](FrameConn& c, int) {
        msg::Login2 l2;
        l2.proof = Bytes(32, 9);
        Bytes body = msg::encode_body(l2);
        msg::append_sig(body, Bytes(384, 1));
        return c.seal(std::move(body));
    });
    size_t ok = b.count([](const RawFrame& f) { return is_error(f, proto::BAD_REQUEST) && unsigned_error(f); });
    double ratio = b.cpu_per_frame_us() / ping_us;
    rep.add("120 LOGIN2 without LOGIN1, 4 connections", "unsigned ERROR BAD_REQUEST; cost of a PING or so",
            fmt::format("{} of {} so; {}", ok, b.total(), ratio_text(b.cpu_per_frame_us(), ping_us)));
    rep.add("  good users' PING meanwhile", "answered at once", g.latency());
    CHECK(ok == 120);
    CHECK(ratio < 20);  // a P-256 signature each would be ~200

    // LOGIN1 past the address limit: no verify, no signature.
    {
        TestServer lim({"--login-rate", "2"});
        GoodUsers lg(lim, "siglim");  // from 127.0.0.1; the attack comes from 127.0.0.9
        auto lp = burst(lim, &lg, 4, 30, [](FrameConn& c, int) { return c.seal(ping_body()); }, "127.0.0.9");
        lg.latency();
        // The address's 2 tokens go first, unmeasured: one full decoy each.
        auto first = burst(
            lim, nullptr, 1, 2, [&](FrameConn& c, int) { return login1(c, "alice", id.sign); }, "127.0.0.9");
        auto l = burst(
            lim, &lg, 4, 30, [&](FrameConn& c, int) { return login1(c, "alice", id.sign); }, "127.0.0.9");
        size_t limited = l.count([](const RawFrame& f) { return is_error(f, proto::RATE_LIMITED) && unsigned_error(f); });
        double r = l.cpu_per_frame_us() / lp.cpu_per_frame_us();
        rep.add("2 + 120 LOGIN1 from one address, --login-rate 2",
                "2 LOGIN1_R, then 120 unsigned ERROR RATE_LIMITED, cheap",
                fmt::format("{} LOGIN1_R, {} RATE_LIMITED unsigned of {}; {}",
                            first.count([](const RawFrame& f) { return f.type() == msg::Login1R::type; }), limited,
                            l.total(), ratio_text(l.cpu_per_frame_us(), lp.cpu_per_frame_us())));
        rep.add("  good users' PING meanwhile", "answered at once", lg.latency());
        CHECK(first.count([](const RawFrame& f) { return f.type() == msg::Login1R::type; }) == 2);
        CHECK(limited == 120);
        CHECK(l.total() == 120);
        CHECK(r < 20);  // a verify and a signature each would be ~200
    }

    // The decoy LOGIN1_R is signed like a real one: same bytes, same work.
    {
        FrameConn real(s), decoy(s);
        real.hello(), decoy.hello();
        REQUIRE(real.register_user("carol", "pw", id) == proto::OK);
        REQUIRE(real.write(login1(real, "carol", id.sign)));
        REQUIRE(decoy.write(login1(decoy, "nobody", id.sign)));
        auto fr = real.reply(10000), fd = decoy.reply(10000);
        REQUIRE(fr);
        REQUIRE(fd);
        auto dr = msg::decode<msg::Login1R>(fr->pt), dd = msg::decode<msg::Login1R>(fd->pt);
        bool signed_both = real.server_sig_ok(*fr, dr.signed_len, dr.sigs[0]) &&
                           decoy.server_sig_ok(*fd, dd.signed_len, dd.sigs[0]);
        // Fields of the same length; the DER signature's length varies by a
        // byte or two for either.
        rep.add("LOGIN1 for a real user and for an unknown one", "both LOGIN1_R, fields alike, both signed",
                fmt::format("{} and {} bytes before the signature, {}", dr.signed_len, dd.signed_len,
                            signed_both ? "both signed" : "NOT"));
        CHECK(signed_both);
        CHECK(dr.signed_len == dd.signed_len);
    }

    // The pre-login budget: 32 frames, or 8 signatures that do not verify.
    auto pre = burst(s, &g, 1, 100, [](FrameConn& c, int) { return c.seal(ping_body()); });
    rep.add("100 PINGs before login on one connection", "32 PONGs, then closed",
            fmt::format("{} PONGs, {}", pre.total(), pre.closed ? "closed" : "LEFT OPEN"));
    CHECK(pre.total() == 32);
    CHECK(pre.closed == 1);
    auto bad = burst(s, &g, 1, 20, [&](FrameConn& c, int) { return login1(c, "nobody", id.sign); });
    rep.add("20 LOGIN1 that fail their signature check, one connection", "8 decoy LOGIN1_R, then closed",
            fmt::format("{} LOGIN1_R, {}", bad.total(), bad.closed ? "closed" : "LEFT OPEN"));
    CHECK(bad.total() == 8);
    CHECK(bad.closed == 1);
    // A signature that verifies starts the budget again: a client may
    // register (and log in) many accounts on one connection.
    {
        FrameConn c(s);
        c.hello();
        int okn = 0;
        for (int i = 0; i < 40; ++i) okn += c.register_user(fmt::format("many{}", i), "pw", id) == proto::OK;
        rep.add("40 good REGISTERs on one connection", "all OK (each good signature renews the budget)",
                fmt::format("{} OK", okn));
        CHECK(okn == 40);
    }
    CHECK(g.chat_row(rep, "after the attacks"));
}

TEST_CASE("one address hammering an account cannot lock its user out", "[integration][abuse]") {
    Report rep("abuse: login lockout (tacitd --login-rate 3)");
    TestServer s({"--login-rate", "3"});
    const auto& victim_id = pooled_identity(0);
    const auto& mallory_id = pooled_identity(1);
    {
        FrameConn c(s);
        c.hello();
        REQUIRE(c.register_user("victim", "pw", victim_id) == proto::OK);
    }
    GoodUsers g(s, "lock");  // logs in from 127.0.0.1

    // 127.0.0.2 tries the victim's name 60 times, with keys it has (not
    // the victim's), over fresh connections, while the good users chat.
    std::atomic<bool> done{false};
    int limited = 0, answered = 0;
    std::thread attacker([&] {
        for (int k = 0; k < 10; ++k) {
            FrameConn c(s, 10000, "127.0.0.2");
            c.hello();
            for (int i = 0; i < 6; ++i) {
                if (!c.write(login1(c, "victim", mallory_id.sign))) break;
                auto f = c.reply(10000);
                if (!f) break;
                if (is_error(*f, proto::RATE_LIMITED) && unsigned_error(*f)) ++limited;
                else ++answered;
            }
        }
        done = true;
    });
    std::string chat_err;
    while (!done) {
        g.ping();
        if (chat_err.empty()) chat_err = g.chat();
    }
    attacker.join();
    rep.add("60 LOGIN1 for 'victim' from 127.0.0.2, wrong key", "3 decoys, then unsigned RATE_LIMITED",
            fmt::format("{} answered, {} RATE_LIMITED", answered, limited));
    rep.add("  good users chat and PING meanwhile", "all arrive",
            (chat_err.empty() ? "chat fine; " : "CHAT BROKEN: " + chat_err + "; ") + g.latency(),
            chat_err.empty() ? "no" : "YES");
    CHECK(answered == 3);
    CHECK(limited == 57);
    CHECK(chat_err.empty());

    FrameConn v(s, 10000, "127.0.0.3");
    v.hello();
    auto tok = v.login("victim", "pw", victim_id);
    rep.add("the victim logs in from 127.0.0.3 right after", "logged in",
            tok ? "logged in" : "LOCKED OUT");
    CHECK(tok);

    // Attempts with the victim's own key do count against the victim: a
    // stolen key without the password is throttled across addresses.
    int user_limited = 0;
    for (int i = 0; i < 4; ++i) {
        FrameConn c(s, 10000, fmt::format("127.0.0.{}", 10 + i));
        c.hello();
        REQUIRE(c.write(login1(c, "victim", victim_id.sign)));
        auto f = c.reply(10000);
        REQUIRE(f);
        user_limited += is_error(*f, proto::RATE_LIMITED);
    }
    // The victim's own login above took one of 3; two more, then refused.
    rep.add("4 LOGIN1 signed with the victim's key, 4 new addresses", "2 answered, then RATE_LIMITED (per user)",
            fmt::format("{} RATE_LIMITED", user_limited));
    CHECK(user_limited == 2);
    auto log = s.log();
    size_t refusals = 0;
    for (size_t p = log.find("rate limit login refuses key=\"addr:127.0.0.2\""); p != std::string::npos;
         p = log.find("rate limit login refuses key=\"addr:127.0.0.2\"", p + 1))
        ++refusals;
    rep.add("the log, for 57 refusals of 127.0.0.2", "one line (once per bucket per minute)",
            fmt::format("{} line(s)", refusals));
    CHECK(refusals == 1);
    CHECK(log.find("rate limit login refuses key=\"user:victim\"") != std::string::npos);
}

TEST_CASE("a user name from the wire cannot forge a log line", "[integration][abuse]") {
    Report rep("abuse: log injection");
    TestServer s(loose());
    GoodUsers g(s, "log");
    const auto& id = pooled_identity(0);
    const std::string forged = "tacitd: conn=999 peer=6.6.6.6:1 login user=alice status=OK";
    FrameConn c(s);
    c.hello();
    REQUIRE(c.write(login1(c, "x\n" + forged, id.sign)));
    auto f1 = c.reply(10000);
    REQUIRE(f1);
    REQUIRE(f1->type() == msg::Login1R::type);
    msg::Login2 l2;
    l2.proof = Bytes(32, 3);
    auto o = c.call(msg::encode_body(l2), &id.sign);
    REQUIRE(o.status == proto::AUTH_FAILED);
    REQUIRE(log_shows(s, "login user=\"x\\x0atacitd:", 5000));
    auto log = s.log();
    bool forged_line = log.find("\n" + forged) != std::string::npos;
    auto at = log.find("login user=\"x\\x0a");
    std::string shown = log.substr(at, log.find('\n', at) - at);
    rep.add("LOGIN1 + LOGIN2 as 'x\\n" + forged.substr(0, 24) + "...'", "one line, the name quoted and escaped",
            forged_line ? "FORGED LINE IN LOG" : shown.substr(0, 60) + "...");
    CHECK_FALSE(forged_line);
    CHECK(g.chat_row(rep, "afterwards"));
}

TEST_CASE("the decoy LOGIN1 costs the server what a real one costs", "[integration][abuse]") {
    Report rep("abuse: decoy login timing");
    TestServer s(loose());
    GoodUsers g(s, "decoy");
    const auto& id = pooled_identity(0);
    {
        FrameConn c(s);
        c.hello();
        REQUIRE(c.register_user("dave", "pw", id) == proto::OK);
    }
    // Rounds of 7 pipelined LOGIN1s per kind (under the 8 bad-signature
    // budget), interleaved so that whatever else the machine does hits
    // every kind alike: real = dave signed by his key; decoys = an unknown
    // name, a known name signed by another key, and an unknown name whose
    // "signature" lies between the dummy key's modulus and dave's (mbedTLS
    // alone refuses that without exponentiating). The figure is the median
    // over rounds of each kind's server CPU divided by the real one's in the
    // same round. The old decoy path skipped the key parse (medians 0.89 to
    // 0.93 here), and a signature >= the dummy modulus skipped the
    // exponentiation (0.75). With the paths alike the medians stay within
    // 0.95 to 1.01 (single rounds vary by ~20%), but on a loaded 2-core
    // machine a median of 0.885 was seen with the paths alike. The bound is
    // +-15%: one failed CI run costs more than the few percent of the old
    // key-parse gap that it lets through, and it still holds the skipped
    // exponentiation (0.75) out.
    const auto& other = pooled_identity(1);
    auto high_sig = [&](FrameConn& c, const std::string& user) {
        msg::Login1 l1;
        l1.user = user;
        l1.nonce1 = test_nonce();
        Bytes body = msg::encode_body(l1);
        // Signed and thrown away, so this kind keeps the test's own CPU
        // busy as long as the others do before each burst.
        (void)id.sign.sign(body);
        msg::append_sig(body, Bytes(384, 0xff));
        return c.seal(std::move(body));
    };
    struct Kind {
        const char* what;
        std::function<Bytes(FrameConn&, int)> make;
        std::vector<double> ratios;
        uint64_t cpu = 0;
    };
    std::vector<Kind> kinds = {
        {"real user, his key", [&](FrameConn& c, int) { return login1(c, "dave", id.sign); }, {}, 0},
        {"unknown user", [&](FrameConn& c, int) { return login1(c, "nobody", id.sign); }, {}, 0},
        {"real user, wrong key", [&](FrameConn& c, int) { return login1(c, "dave", other.sign); }, {}, 0},
        {"unknown user, signature >= modulus", [&](FrameConn& c, int) { return high_sig(c, "nobody"); }, {}, 0},
    };
    const int kRounds = 21;
    for (int round = 0; round < kRounds; ++round) {
        for (size_t j = 0; j < kinds.size(); ++j) {
            // The order turns each round, so no kind always runs first.
            auto& k = kinds[(j + size_t(round)) % kinds.size()];
            auto b = burst(s, nullptr, 1, 7, k.make);
            REQUIRE(b.count([](const RawFrame& f) { return f.type() == msg::Login1R::type; }) == 7);
            k.cpu = b.cpu;
        }
        for (auto& k : kinds) k.ratios.push_back(double(k.cpu) / double(kinds[0].cpu));
        if (round % 4 == 0) g.ping();
    }
    for (auto& k : kinds) {
        std::sort(k.ratios.begin(), k.ratios.end());
        double med = k.ratios[k.ratios.size() / 2];
        rep.add(fmt::format("{} x 7 LOGIN1s: {}", kRounds, k.what), "within 15% of a real user's",
                fmt::format("median {:.3f} x real (rounds {:.2f}-{:.2f})", med, k.ratios.front(), k.ratios.back()));
        CHECK(med > 0.85);
        CHECK(med < 1.15);
    }
    rep.add("  good users' PING meanwhile", "answered at once", g.latency());
    CHECK(g.chat_row(rep, "afterwards"));
}
