// Several terminals of one account on one host (issue 16 item 2): two
// terminals and a bot, each its own `tacit --batch` process on the same
// account directory, send and receive at once. The ratchet state they
// share is stepped in one local-store transaction at a time
// (LocalStore::update_secrets, and a fetched page commits only on the
// state it was opened with), so no two of them seal under one ratchet key:
// bob opens every message, none is dropped as a duplicate, and every
// message bob sent is in the account's history.
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "tests/integration/harness.hpp"

using namespace tacit;
using namespace tacit::test;
using nlohmann::json;

namespace {

const std::vector<std::string> kLoose = {"--login-rate", "1000", "--register-rate", "1000"};

// A home of its own (batch.in/out) whose XDG data directory is `shared`:
// another terminal of the same account on the same host.
std::string terminal_home(const std::string& shared, const std::string& tag) {
    std::string h = make_temp_dir(tag);
    std::filesystem::create_directory_symlink(shared, h + "/xdg");
    return h;
}

std::vector<json> parse(const std::vector<std::string>& lines) {
    std::vector<json> v;
    for (auto& l : lines) v.push_back(json::parse(l));
    return v;
}

// n direct messages to `to`, each followed by one to the group ops.
std::string sends(const std::string& to, const std::string& tag, int n) {
    std::string s;
    for (int i = 0; i < n; ++i) {
        s += "send " + to + " " + tag + "-" + std::to_string(i) + "\n";
        s += "group-send ops " + tag + "-g" + std::to_string(i) + "\n";
    }
    return s;
}

size_t ok_replies(const std::vector<json>& js, const std::string& cmd) {
    size_t n = 0;
    for (auto& j : js)
        if (j.value("cmd", "") == cmd && j.value("ok", false)) ++n;
    return n;
}

}  // namespace

TEST_CASE("two terminals and a bot of one account send and receive at once, with no fork and no loss",
          "[integration][multi_terminal]") {
    TestServer s(kLoose);
    TestClient bob(s, "bob");
    register_login(bob, "bob");
    std::string shared = make_temp_dir("multi-xdg");
    std::string h0 = terminal_home(shared, "multi-reg");
    auto reg = parse(run_batch(s, h0, "register alice pw\nquit\n"));
    REQUIRE(reg.at(0)["ok"] == true);
    // A group of the two: its messages go over the same pairwise sessions.
    REQUIRE(bob->group_create("ops").ok);
    REQUIRE(bob->group_add("ops", "alice").ok);

    constexpr int kEach = 12, kFromBob = 12;
    std::vector<std::string> homes;
    std::vector<std::unique_ptr<BatchRun>> runs;
    for (const char* t : {"term1", "term2", "bot"}) {
        homes.push_back(terminal_home(shared, std::string("multi-") + t));
        runs.push_back(std::make_unique<BatchRun>(s, homes.back(), "login alice pw\n", 120, 0, true));
    }
    // All three logged in before any of them sends, so they race.
    auto logged_in = [&](BatchRun& b) {
        for (auto& j : parse(b.so_far()))
            if (j.value("cmd", "") == "login") return j.value("ok", false);
        return false;
    };
    for (auto& r : runs)
        for (int i = 0; i < 400 && !logged_in(*r); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    for (auto& r : runs) {
        std::string out;
        for (auto& l : r->so_far()) out += l + "\n";
        INFO(r->err() << out);
        REQUIRE(logged_in(*r));
    }

    const char* tags[] = {"term1", "term2", "bot"};
    for (size_t i = 0; i < runs.size(); ++i) runs[i]->feed(sends("bob", tags[i], kEach) + "wait 3\nquit\n");
    for (int i = 0; i < kFromBob; ++i) REQUIRE(bob->send("alice", "bob-" + std::to_string(i)).ok);

    for (size_t i = 0; i < runs.size(); ++i) {
        auto js = parse(runs[i]->wait());
        INFO(tags[i] << ": " << runs[i]->err());
        CHECK(ok_replies(js, "send") == size_t(kEach));
        CHECK(ok_replies(js, "group-send") == size_t(kEach));
    }

    // bob opened every message, direct and group, under the ratchet, each
    // exactly once.
    const size_t want = runs.size() * kEach * 2;
    bob.wait_until([&] { return bob.messages().size() >= want; }, 20000);
    std::set<std::string> bodies;
    for (auto& m : bob.messages()) {
        INFO(m.body << ": " << m.problem);
        CHECK(m.verified);
        CHECK(m.problem.empty());
        bodies.insert(m.body);
    }
    CHECK(bob.messages().size() == want);
    CHECK(bodies.size() == want);

    // Every message bob sent is in the account's history, once.
    std::string h4 = terminal_home(shared, "multi-after");
    auto after = parse(run_batch(s, h4, "login alice pw\nhistory bob 200\nsend bob after\nquit\n"));
    json hist;
    for (auto& j : after)
        if (j.value("cmd", "") == "history") hist = j;
    INFO(hist.dump());
    REQUIRE(hist["messages"].is_array());
    std::set<std::string> from_bob;
    size_t from_bob_n = 0;
    for (auto& m : hist["messages"])
        if (m.value("from", "") == "bob") {
            ++from_bob_n;
            from_bob.insert(m.value("body", ""));
            CHECK(m.value("verified", false));
        }
    CHECK(from_bob_n == size_t(kFromBob));
    CHECK(from_bob.size() == size_t(kFromBob));
    // And the shared sessions still work both ways afterwards.
    REQUIRE(bob.wait_until([&] { return bob.messages().size() == want + 1; }, 10000));
    CHECK(bob.messages().back().body == "after");
    CHECK(bob.messages().back().verified);
    for (auto& h : homes) remove_tree(h);
    remove_tree(h0);
    remove_tree(h4);
    remove_tree(shared);
}

// A copy of the account directory in another data directory stands for the
// account on a second host: it is refused before it logs in, the original
// goes on, and --adopt (Options::adopt) makes the copy the account's.
TEST_CASE("a copied account directory is refused, and --adopt takes it over", "[integration][multi_terminal]") {
    TestServer s(kLoose);
    std::string copy = make_temp_dir("multi-copy");
    {
        TestClient a(s, "alice-orig");
        register_login(a, "alice");
        REQUIRE(a->logout().ok);
        REQUIRE(std::system(("cp -a '" + a.home + "/tacit' '" + copy + "/tacit'").c_str()) == 0);
        auto on_copy = [&](bool adopt) {
            client::Options o;
            o.server = s.addr();
            o.server_key_file = s.pub_file();
            o.data_dir = copy + "/tacit";
            o.adopt = adopt;
            return std::make_unique<client::Client>(o);
        };
        auto c = on_copy(false);
        REQUIRE(c->connect().ok);
        auto r = c->login("alice", "pw");
        INFO(r.msg);
        CHECK_FALSE(r.ok);
        CHECK(r.msg.find("is a copy") != std::string::npos);
        CHECK(r.msg.find("--adopt") != std::string::npos);
        c.reset();

        // The original is the account's: it still logs in.
        REQUIRE(a->connect().ok);
        REQUIRE(a->login("alice", "pw").ok);
        REQUIRE(a->logout().ok);

        auto adopted = on_copy(true);
        REQUIRE(adopted->connect().ok);
        auto r2 = adopted->login("alice", "pw");
        INFO(r2.msg);
        CHECK(r2.ok);
        REQUIRE(adopted->logout().ok);
        adopted.reset();
        // Adopted once, the copy is at home: no flag needed any more.
        auto again = on_copy(false);
        REQUIRE(again->connect().ok);
        CHECK(again->login("alice", "pw").ok);
    }
    remove_tree(copy);
}
