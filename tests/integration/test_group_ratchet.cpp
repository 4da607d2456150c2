// Group messages under the pairwise ratchets (tacit-protocol(7), GROUP
// MESSAGES), judged on the parts the server holds: a removed member's state
// opens no part sent after its removal, a member added later opens none sent
// before, and a sending client killed with kill -9 never reuses a message key.
#include <signal.h>
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <fmt/core.h>
#include <fstream>
#include <map>
#include <random>
#include <thread>

#include "shared/crypto.hpp"
#include "shared/protocol.hpp"
#include "tests/integration/client_steps.hpp"
#include "tests/integration/harness.hpp"
#include "tests/integration/raw_client.hpp"
#include "tests/integration/report.hpp"

using namespace tacit;
using namespace tacit::test;
using Clock = std::chrono::steady_clock;

namespace {

const std::vector<std::string> kLoose = {"--login-rate", "100000", "--register-rate", "100000",
                                         "--group-change-rate", "100000", "--handshake-rate",
                                         "100000/100000/100000"};
using Names = std::vector<std::string>;

// Registers users into c's home with the shared identity and logs each in
// once, as after registering, which uploads the prekeys a pairwise
// session's first message needs (tacit-protocol(7), PREKEYS).
void members_with_prekeys(const TestServer& s, TestClient& c, const Names& users) {
    register_shared(s, c, users);
    for (auto& u : users) {
        login_as(c, u);
        ok(c->logout());
    }
}

// The group items waiting in user's mailbox, read on a raw connection and
// not acknowledged (they stay for the user's own client).
std::vector<msg::Stored> held_for(const TestServer& s, const std::string& user, const std::string& g) {
    RawClient r(s);
    REQUIRE(r.login(user, "pw", shared_identity()).status == proto::OK);
    std::vector<msg::Stored> v;
    for (auto& st : r.update1().messages)
        if (st.group == g) v.push_back(st);
    return v;
}

// How many of parts c's state opens (Client::probe_stored, which changes
// nothing); INFO names each that does.
size_t opened_by(TestClient& c, const std::vector<msg::Stored>& parts) {
    size_t n = 0;
    for (auto& st : parts) {
        auto p = c->probe_stored(st.id, st.sender, st.group, st.enc_msg, st.wrapped_key);
        UNSCOPED_INFO("item " << st.id << ": " << p.msg);
        if (p.ok) ++n;
    }
    return n;
}

// The bodies of g's chat messages in the history of the user c is logged
// in as, each with how often it is there; undecryptable entries counted
// apart (they have a problem and no body).
std::map<std::string, int> bodies_in(TestClient& c, const std::string& g, int* undecryptable) {
    std::map<std::string, int> n;
    *undecryptable = 0;
    for (auto& m : c->history("#" + g, 100000)) {
        if (m.from.empty() || m.outgoing) continue;
        if (m.body.empty()) ++*undecryptable;
        else ++n[m.body];
    }
    return n;
}

bool verified_in(TestClient& c, const std::string& g, const std::string& body) {
    for (auto& m : c->history("#" + g, 100000))
        if (m.body == body) return m.verified;
    return false;
}

int ms_since(Clock::time_point t0) {
    return int(std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0).count());
}

}  // namespace

TEST_CASE("a 50-member group under pairwise ratchets: removed and later members open nothing outside their time",
          "[integration][groups][group_ratchet]") {
    Report rep("group messages under pairwise ratchets, 50 members");
    TestServer s(kLoose);
    TestClient a(s, "alice"), m(s, "members");
    register_login(a, "alice");
    Names others;
    for (size_t i = 1; i < 50; ++i) others.push_back(fmt::format("m{:02d}", i));
    members_with_prekeys(s, m, others);
    members_with_prekeys(s, m, {"late"});
    ok(a->group_create("big"));
    for (auto& u : others) ok(a->group_add("big", u));

    auto t0 = Clock::now();
    auto r = a->group_send("big", "first");
    const int first_ms = ms_since(t0);
    ok(r);
    REQUIRE(r.msg == "sent to 49 members");
    t0 = Clock::now();
    ok(a->group_send("big", "second"));
    const int second_ms = ms_since(t0);
    rep.add("group_send to 49 members", "each on its own pairwise session",
            fmt::format("first (49 PREKEY_FETCH + X3DH) {} ms, next {} ms", first_ms, second_ms));

    // Each part opens only with its own member's state: m01 holds a
    // session with alice once it has fetched, and still opens none of m02's.
    auto early = held_for(s, "m02", "big");
    REQUIRE(early.size() == 2);
    login_as(m, "m01");
    {
        int bad = 0;
        auto got = bodies_in(m, "big", &bad);
        CHECK(got["first"] == 1);
        CHECK(got["second"] == 1);
        CHECK(bad == 0);
        CHECK(verified_in(m, "big", "first"));
        CHECK(opened_by(m, {early[0]}) == 0);
    }
    ok(m->logout());

    // m01 removed: alice seals the next message for the 48 others only, and
    // no part held for any of them opens with m01's state.
    ok(a->group_remove("big", "m01"));
    r = a->group_send("big", "after removal");
    ok(r);
    CHECK(r.msg == "sent to 48 members");
    CHECK(held_for(s, "m01", "big").empty());
    login_as(m, "m01");
    std::vector<msg::Stored> held;
    for (auto& u : {"m02", "m25", "m49"})
        for (auto& st : held_for(s, u, "big")) held.push_back(st);
    size_t tried = held.size(), opened = opened_by(m, held);
    CHECK(opened == 0);
    ok(m->logout());
    rep.add("removed m01 tries the parts held for m02, m25, m49", "none opens",
            fmt::format("{} of {} open", opened, tried), opened ? "LEAK" : "no");
    CHECK(tried == 9);

    // late joins after three messages: nothing of them is in its mailbox,
    // and none of the parts held for others opens with its state.
    ok(a->group_add("big", "late"));
    ok(a->group_send("big", "welcome late"));
    login_as(m, "late");
    {
        int bad = 0;
        auto got = bodies_in(m, "big", &bad);
        CHECK(got.size() == 1);
        CHECK(got["welcome late"] == 1);
        CHECK(verified_in(m, "big", "welcome late"));
        CHECK(bad == 0);
    }
    held = held_for(s, "m02", "big");
    tried = held.size();
    opened = opened_by(m, held);
    CHECK(opened == 0);
    ok(m->logout());
    rep.add("late (added after 3 messages) tries the parts held for m02", "none opens",
            fmt::format("{} of {} open", opened, tried), opened ? "LEAK" : "no");
    CHECK(tried == 4);

    // Every remaining member gets all four, verified, once.
    for (size_t i = 1; i < others.size(); ++i) {
        INFO(others[i]);
        login_as(m, others[i]);
        int bad = 0;
        auto got = bodies_in(m, "big", &bad);
        CHECK(bad == 0);
        for (auto* b : {"first", "second", "after removal", "welcome late"}) {
            INFO(b);
            CHECK(got[b] == 1);
            CHECK(verified_in(m, "big", b));
        }
        ok(m->logout());
    }
    rep.add("m02..m49 log in", "4 messages each, verified, once", "checked above");
}

namespace {

// A child process that logs in as user from home and sends n group
// messages "PREFIX K" to g, appending each body that got OK to home/sent.
pid_t spawn_sender(const TestServer& s, const std::string& home, const std::string& user, const std::string& g,
                   const std::string& prefix, int n) {
    return fork_client(s, home, [=](client::Client& c) {
        if (!c.connect().ok || !c.login(user, "pw").ok) return 1;
        for (int k = 0; k < n; ++k) {
            const std::string body = fmt::format("{} {}", prefix, k);
            if (!c.group_send(g, body).ok) return 2;
            std::ofstream(home + "/sent", std::ios::app) << body << "\n";
        }
        return 0;
    });
}

std::vector<std::string> lines_of(const std::string& path) {
    std::vector<std::string> v;
    std::ifstream in(path);
    for (std::string l; std::getline(in, l);)
        if (!l.empty()) v.push_back(l);
    return v;
}

}  // namespace

TEST_CASE("kill -9 of the client sending to a group: no message key is used twice, nothing OK'd is lost",
          "[integration][groups][group_ratchet][durability]") {
    Report rep("durability: the sending group client killed at random moments");
    TestServer s(kLoose);
    TestClient a(s, "alice"), m(s, "members");
    register_login(a, "alice");
    const Names users = {"m1", "m2", "m3", "m4", "m5"};
    members_with_prekeys(s, m, users);
    ok(a->group_create("ops"));
    for (auto& u : users) ok(a->group_add("ops", u));
    ok(a->logout());
    a.c.reset();  // from here on alice runs in child processes on the same files

    // Round 0 runs to the end, to learn how long the sends take.
    auto t0 = Clock::now();
    pid_t pid = spawn_sender(s, a.home, "alice", "ops", "r0", 5);
    int st = 0;
    REQUIRE(waitpid(pid, &st, 0) == pid);
    REQUIRE((WIFEXITED(st) && WEXITSTATUS(st) == 0));
    const int t_run = std::max(20, ms_since(t0));
    rep.add("alice sends 5 messages to 5 members, not killed", "all OK", fmt::format("took {} ms", t_run));

    std::mt19937 rng(std::random_device{}());
    const int kRounds = 6;
    for (int round = 1; round <= kRounds; ++round) {
        const int delay = std::uniform_int_distribution<int>(0, t_run * 13 / 10)(rng);
        pid = spawn_sender(s, a.home, "alice", "ops", fmt::format("r{}", round), 5);
        std::this_thread::sleep_for(std::chrono::milliseconds(delay));
        kill(pid, SIGKILL);
        REQUIRE(waitpid(pid, &st, 0) == pid);
        rep.add(fmt::format("round {}: kill -9 alice {} ms into 5 sends", round, delay),
                "sessions committed before each batch leaves", WIFEXITED(st) ? "it had finished" : "killed mid-way");
    }
    pid = spawn_sender(s, a.home, "alice", "ops", "final", 3);
    REQUIRE(waitpid(pid, &st, 0) == pid);
    REQUIRE((WIFEXITED(st) && WEXITSTATUS(st) == 0));

    const auto sent = lines_of(a.home + "/sent");
    size_t lost = 0, twice = 0, bad_total = 0;
    for (auto& u : users) {
        INFO(u);
        login_as(m, u);
        int bad = 0;
        auto got = bodies_in(m, "ops", &bad);
        bad_total += size_t(bad);
        CHECK(bad == 0);  // a reused message key would not open, or be dropped as a duplicate
        for (auto& b : sent) {
            INFO(b);
            if (got[b] == 0) ++lost;
            if (got[b] > 1) ++twice;
            CHECK(got[b] == 1);
            CHECK(verified_in(m, "ops", b));
        }
        for (auto& [b, n] : got) CHECK(n == 1);  // one not OK'd arrives at most once
        ok(m->logout());
    }
    rep.add("every member fetches", "every OK'd message once, verified; nothing undecryptable",
            fmt::format("{} OK'd x {} members: {} missing, {} twice, {} undecryptable", sent.size(), users.size(), lost,
                        twice, bad_total),
            lost || bad_total ? "YES" : "no");
}
