// Durability (issue: reliability and security, proven by tests): kill -9
// of tacitd while clients send, and of the receiving client while it
// fetches. A message the server said OK to reaches the recipient's history
// exactly once; one that got no OK arrives at most once; LMDB opens clean
// after every crash. Each test prints a table: what was tried | expected |
// observed | lost anything?
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <fmt/core.h>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include "shared/crypto.hpp"
#include "shared/protocol.hpp"
#include "tests/integration/harness.hpp"
#include "tests/integration/raw_client.hpp"
#include "tests/integration/raw_frames.hpp"
#include "tests/integration/report.hpp"

using namespace tacit;
using namespace tacit::test;
using Clock = std::chrono::steady_clock;

namespace {

std::vector<std::string> flags() {
    return {"--login-rate", "100000", "--register-rate", "100000", "--handshake-rate", "100000/100000/100000"};
}

int ms_since(Clock::time_point t0) {
    return int(std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0).count());
}

std::mt19937& rng() {
    static std::mt19937 r(std::random_device{}());
    return r;
}
int rand_between(int lo, int hi) { return std::uniform_int_distribution<int>(lo, std::max(lo, hi))(rng()); }

// "skipped" when lmdb-utils is not installed, else whether mdb_stat reads
// the environment, every named database and the freelist.
std::string mdb_stat_check(const std::string& dir, bool* ok) {
    *ok = true;
    if (std::system("command -v mdb_stat > /dev/null 2>&1") != 0) return "mdb_stat skipped (no lmdb-utils)";
    int rc = std::system(("mdb_stat -efa '" + dir + "' > /dev/null 2>&1").c_str());
    *ok = rc == 0;
    return *ok ? "mdb_stat -efa clean" : fmt::format("MDB_STAT FAILED (rc {})", rc);
}

// The stored items waiting in user's mailbox, read with UPDATE1 on a raw
// connection that never acks (its page dies with the connection).
std::vector<msg::Stored> peek_mailbox(const TestServer& s, const std::string& user, const UserIdentity& id) {
    FrameConn c(s);
    c.hello();
    auto t = c.login(user, "pw", id);
    REQUIRE(t);
    REQUIRE(c.send(msg::encode_body(msg::Update1{*t, test_nonce()})));
    auto r = c.reply(10000);
    REQUIRE(r);
    REQUIRE(r->type() == msg::Update1R::type);
    auto d = msg::decode<msg::Update1R>(r->pt);
    REQUIRE(d.m.more == 0);  // these tests stay far below one page
    return d.m.messages;
}

std::map<std::string, int> history_counts(client::Client& c, const std::vector<std::string>& convs) {
    std::map<std::string, int> n;
    for (auto& conv : convs)
        for (auto& m : c.history(conv, 100000))
            if (!m.outgoing) ++n[m.body];
    return n;
}

}  // namespace

TEST_CASE("kill -9 of tacitd while clients send: every OK'd message arrives exactly once",
          "[integration][durability]") {
    Report rep("durability: kill -9 of tacitd at random moments while 2 clients send");
    TestServer s(flags());
    TestClient sam(s, "sam"), sue(s, "sue"), rick(s, "rick");
    register_login(sam, "sam");
    register_login(sue, "sue");
    register_login(rick, "rick");
    rick->disconnect();  // offline until the end: everything waits in the mailbox

    // Warm-up pins rick's key and measures one send.
    auto t0 = Clock::now();
    REQUIRE(sam->send("rick", "warm-up from sam").ok);
    int t_send = std::max(5, ms_since(t0));
    REQUIRE(sue->send("rick", "warm-up from sue").ok);

    struct Sent {
        std::string body;
        bool ok;
        int round;
    };
    std::vector<Sent> sent = {{"warm-up from sam", true, -1}, {"warm-up from sue", true, -1}};
    std::mutex mu;
    const int kRounds = 4, kPerSender = 8;  // at most 64 messages
    std::vector<size_t> round_rows;
    bool all_stat_ok = true;
    for (int round = 0; round < kRounds; ++round) {
        // Two senders share the server, so a round takes longer than 8 sends.
        int delay = rand_between(kPerSender * t_send * 3 / 10, kPerSender * t_send * 13 / 10);
        pid_t pid = s.pid();
        std::atomic<bool> killed{false};
        std::thread killer([&] {
            std::this_thread::sleep_for(std::chrono::milliseconds(delay));
            kill(pid, SIGKILL);
            killed = true;
        });
        auto send_all = [&](TestClient& c, const std::string& name) {
            for (int i = 0; i < kPerSender; ++i) {
                std::string body = fmt::format("round {} from {} #{}", round, name, i);
                auto r = c->send("rick", body);
                std::lock_guard<std::mutex> lock(mu);
                sent.push_back({body, r.ok, round});
                if (!r.ok) break;  // connection gone; nothing more goes out this round
            }
        };
        std::thread t1(send_all, std::ref(sam), "sam"), t2(send_all, std::ref(sue), "sue");
        t1.join();
        t2.join();
        killer.join();
        s.kill9();  // reaps it
        bool stat_ok;
        auto stat = mdb_stat_check(s.data_dir(), &stat_ok);
        all_stat_ok = all_stat_ok && stat_ok;
        bool restarted = true;
        try {
            s.start();
        } catch (const std::exception& e) {
            restarted = false;
            FAIL("tacitd does not restart after kill -9: " << e.what());
        }
        auto rs = sam->reconnect(), ru = sue->reconnect();
        INFO(rs.msg << " / " << ru.msg);
        REQUIRE(rs.ok);
        REQUIRE(ru.ok);
        int ok = 0, failed = 0;
        for (auto& x : sent)
            if (x.round == round) (x.ok ? ok : failed)++;
        rep.add(fmt::format("round {}: kill -9 after {} ms, 2 senders x {} msgs", round + 1, delay, kPerSender),
                "OK'd messages kept; restart and LMDB clean",
                fmt::format("{} OK, {} cut off; restart {}; {}", ok, failed, restarted ? "ok" : "FAILED", stat),
                "?");
        round_rows.push_back(rep.size() - 1);
        CHECK(stat_ok);
    }

    // What the server holds for rick, before he fetches: each message once.
    auto rick_id = load_identity(s, rick, "rick", "pw");
    auto box = peek_mailbox(s, "rick", rick_id);

    auto r = rick->reconnect();
    INFO(r.msg);
    REQUIRE(r.ok);
    REQUIRE(rick->update().ok);
    for (auto& e : rick->take_events()) rick.events.push_back(std::move(e));
    auto hist = history_counts(*rick, {"sam", "sue"});
    std::map<std::string, int> events;
    for (auto& m : rick.messages()) {
        ++events[m.body];
        CHECK(m.verified);
    }

    int ok_total = 0, ok_once = 0, other_total = 0, other_arrived = 0, dups = 0;
    std::map<int, int> lost_in_round;
    for (auto& x : sent) {
        int h = hist.count(x.body) ? hist[x.body] : 0;
        int ev = events.count(x.body) ? events[x.body] : 0;
        if (h > 1 || ev > 1) ++dups;
        if (x.ok) {
            ++ok_total;
            if (h == 1 && ev == 1) ++ok_once;
            else ++lost_in_round[x.round];
            INFO("OK'd message: " << x.body);
            CHECK(h == 1);
            CHECK(ev == 1);
        } else {
            ++other_total;
            if (h) ++other_arrived;
            INFO("message without OK: " << x.body);
            CHECK(h <= 1);
            CHECK(ev <= 1);
        }
    }
    size_t distinct = hist.size();
    for (int i = 0; i < kRounds; ++i) {
        int lost = lost_in_round.count(i) ? lost_in_round[i] : 0;
        rep.set_lost(round_rows[size_t(i)], lost ? fmt::format("YES: {} OK'd lost", lost) : "no");
    }
    rep.add("rick logs in after the last restart and fetches", "each OK'd message exactly once",
            fmt::format("{} of {} OK'd delivered once; {} of {} without OK arrived; {} duplicates", ok_once,
                        ok_total, other_arrived, other_total, dups),
            ok_once == ok_total ? "no" : "YES");
    rep.add("server mailbox before the fetch", "one stored copy per message",
            fmt::format("{} stored items for {} distinct messages", box.size(), distinct),
            box.size() == distinct ? "no" : "DUPLICATES");
    CHECK(dups == 0);
    CHECK(ok_once == ok_total);
    CHECK(box.size() == distinct);
    CHECK(all_stat_ok);
    // Every history entry is something that was sent.
    for (auto& [body, n] : hist) {
        bool known = false;
        for (auto& x : sent) known = known || x.body == body;
        INFO(body);
        CHECK(known);
    }
}

namespace {

// Forks a process that runs the client core as rick on home's data dir:
// connect, log in (which fetches the whole mailbox), exit. The parent kills
// it at a moment of its choosing.
pid_t spawn_fetcher(const TestServer& s, const std::string& home) {
    return fork_client(s, home, [](client::Client& c) { return c.connect().ok && c.login("rick", "pw").ok ? 0 : 1; });
}

}  // namespace

TEST_CASE("killing the receiving client mid-fetch: every message reaches its history exactly once",
          "[integration][durability]") {
    Report rep("durability: the receiving client killed at random moments");
    TestServer s(flags());
    TestClient sam(s, "sam"), rick(s, "rick");
    register_login(sam, "sam");
    register_login(rick, "rick");
    auto rick_id = load_identity(s, rick, "rick", "pw");
    rick.c.reset();  // from here on rick runs in child processes on the same files

    std::vector<std::string> bodies;
    int next = 0;
    auto send_batch = [&](int n) {
        for (int i = 0; i < n; ++i) {
            std::string body = fmt::format("message {}", next++);
            auto r = sam->send("rick", body);
            INFO(r.msg);
            REQUIRE(r.ok);
            bodies.push_back(body);
        }
    };

    // Round 0 runs a fetcher to the end, to learn how long a fetch takes.
    send_batch(10);
    auto t0 = Clock::now();
    pid_t pid = spawn_fetcher(s, rick.home);
    int st = 0;
    REQUIRE(waitpid(pid, &st, 0) == pid);
    int t_fetch = std::max(20, ms_since(t0));
    REQUIRE((WIFEXITED(st) && WEXITSTATUS(st) == 0));
    auto box = peek_mailbox(s, "rick", rick_id);
    rep.add("fetch 10 messages, not killed", "all fetched and acked",
            fmt::format("took {} ms; {} left on the server", t_fetch, box.size()));
    CHECK(box.empty());

    const int kRounds = 6;
    std::vector<size_t> kill_rows;
    for (int round = 1; round <= kRounds; ++round) {
        send_batch(10);
        size_t before = peek_mailbox(s, "rick", rick_id).size();
        if (round % 3 != 0) {
            std::string when;
            if (round % 3 == 1) {
                // Anywhere from before the login to after the end of the fetch.
                int delay = rand_between(0, int(t_fetch * 13 / 10 * before / 10));
                pid = spawn_fetcher(s, rick.home);
                std::this_thread::sleep_for(std::chrono::milliseconds(delay));
                when = fmt::format("{} ms into a fetch of {}", delay, before);
            } else {
                // Aimed at the window between the page going out and the ack:
                // the client decrypts, verifies and commits its history there.
                const std::string page_out = fmt::format("update1 user=rick messages={}", before);
                size_t seen = log_count(s, page_out);
                pid = spawn_fetcher(s, rick.home);
                auto t1 = Clock::now();
                while (log_count(s, page_out) == seen && ms_since(t1) < 10000)
                    std::this_thread::sleep_for(std::chrono::milliseconds(1));
                int delay = rand_between(0, std::max(2, t_fetch / 4));
                std::this_thread::sleep_for(std::chrono::milliseconds(delay));
                when = fmt::format("{} ms after its page of {} went out", delay, before);
            }
            kill(pid, SIGKILL);
            REQUIRE(waitpid(pid, &st, 0) == pid);
            bool finished = WIFEXITED(st);
            auto after = peek_mailbox(s, "rick", rick_id).size();
            rep.add(fmt::format("round {}: kill -9 the client {}", round, when),
                    "history commits before the ack: nothing lost",
                    fmt::format("{}; {} still on the server", finished ? "it had finished" : "killed mid-way",
                                after),
                    "?");
            kill_rows.push_back(rep.size() - 1);
            CHECK(after <= before);
        } else {
            // Drop the connection between UPDATE1 and UPDATE2.
            FrameConn c(s);
            c.hello();
            auto t = c.login("rick", "pw", rick_id);
            REQUIRE(t);
            REQUIRE(c.send(msg::encode_body(msg::Update1{*t, test_nonce()})));
            auto f = c.reply(10000);
            REQUIRE(f);
            auto page = msg::decode<msg::Update1R>(f->pt).m;
            // Another connection's nonce2 deletes nothing.
            FrameConn other(s);
            other.hello();
            auto t2 = other.login("rick", "pw", rick_id);
            REQUIRE(t2);
            auto o = other.call(msg::encode_body(msg::Update2{page.nonce2}));
            CHECK((o.type == proto::ERROR && o.status == proto::BAD_REQUEST));
            c.close_socket();
            size_t after = 0;
            for (int i = 0; i < 50; ++i) {  // the close reaches the server asynchronously
                after = peek_mailbox(s, "rick", rick_id).size();
                if (after == before) break;
                std::this_thread::sleep_for(std::chrono::milliseconds(20));
            }
            rep.add(fmt::format("round {}: UPDATE1 ({} msgs), UPDATE2 from another connection, then drop",
                                round, page.messages.size()),
                    "nothing deleted", fmt::format("{}; {} of {} still on the server", describe(o), after, before),
                    after == before ? "no" : "YES");
            CHECK(page.messages.size() == before);
            CHECK(after == before);
        }
    }

    // Rick comes back for good.
    client::Options o;
    o.server = s.addr();
    o.server_key_file = s.pub_file();
    o.data_dir = rick.home + "/tacit";
    o.timeout_ms = 10000;
    rick.c = std::make_unique<client::Client>(o);
    REQUIRE(rick->connect().ok);
    auto r = rick->login("rick", "pw");
    INFO(r.msg);
    REQUIRE(r.ok);
    REQUIRE(rick->update().ok);
    auto hist = history_counts(*rick, {"sam"});
    int once = 0, missing = 0, dup = 0;
    for (auto& b : bodies) {
        int n = hist.count(b) ? hist[b] : 0;
        if (n == 1) ++once;
        else if (n == 0) ++missing;
        else ++dup;
        INFO(b);
        CHECK(n == 1);
    }
    // A loss can only be told at the end, when everything had its chance.
    for (auto row : kill_rows) rep.set_lost(row, missing ? "YES (see last row)" : "no");
    auto left = peek_mailbox(s, "rick", rick_id).size();
    rep.add("rick's last fetch, in-process", "all messages in the history exactly once, mailbox empty",
            fmt::format("{} of {} once, {} missing, {} twice; {} left on the server", once, bodies.size(), missing,
                        dup, left),
            missing ? fmt::format("YES: {}", missing) : "no");
    CHECK(left == 0);
    CHECK(hist.size() == bodies.size());
}
