// tacit(1) BATCH MODE is the contract (issue 13 item 9): reply and event
// fields as the page names them, bad arguments refused with a reason,
// login after logout, input already read run at once, and network text
// escaped as the screen does. Against a real tacitd and the tacit binary.
#include <catch2/catch.hpp>
#include <chrono>
#include <nlohmann/json.hpp>
#include <regex>
#include <thread>

#include "tests/integration/harness.hpp"

using namespace tacit;
using namespace tacit::test;
using nlohmann::json;

namespace {

const std::vector<std::string> kLoose = {"--login-rate", "1000", "--register-rate", "1000"};

std::vector<json> parse(const std::vector<std::string>& lines) {
    std::vector<json> v;
    for (auto& l : lines) v.push_back(json::parse(l));
    return v;
}

json nth(const std::vector<json>& js, const std::string& key, const std::string& value, size_t n = 0) {
    for (auto& j : js)
        if (j.value(key, "") == value && n-- == 0) return j;
    return json();
}
json cmd(const std::vector<json>& js, const std::string& name, size_t n = 0) { return nth(js, "cmd", name, n); }
json event(const std::vector<json>& js, const std::string& name, size_t n = 0) { return nth(js, "event", name, n); }

void refused(const json& j, const std::string& why) {
    INFO(j.dump());
    REQUIRE(j.is_object());
    CHECK(j["ok"] == false);
    CHECK(j["status"] == "BAD_REQUEST");
    CHECK(j["msg"].get<std::string>().find(why) != std::string::npos);
}

bool is_hex_id(const json& j) { return j.is_string() && std::regex_match(j.get<std::string>(), std::regex("[0-9a-f]{32}")); }

}  // namespace

TEST_CASE("batch replies and events carry the fields tacit(1) names", "[integration][batch]") {
    TestServer s(kLoose);
    TestClient a(s, "alice");
    register_login(a, "alice");
    std::string home = make_temp_dir("batch-contract");

    auto first = parse(run_batch(s, home,
                                 "register bob pw\n"
                                 "fingerprint\n"
                                 "login bob pw\n"
                                 "fingerprint\n"
                                 "wait abc\n"
                                 "wait 1 2\n"
                                 "wait -1\n"
                                 "ping now\n"
                                 "history alice many\n"
                                 "members\n"
                                 "send alice hi there\n"
                                 "update\n"
                                 "group-create g1\n"
                                 "group-add g1 alice\n"
                                 "group-send g1 hello group\n"
                                 "logout\n"
                                 "login bob pw\n"
                                 "ping\n"
                                 "quit\n"));
    auto fp0 = cmd(first, "fingerprint", 0), fp1 = cmd(first, "fingerprint", 1);
    INFO(fp0.dump() << fp1.dump());
    CHECK(fp0["server"].get<std::string>().rfind("SHA256:", 0) == 0);
    CHECK_FALSE(fp0.contains("fingerprint"));  // not logged in yet: no own key
    CHECK(fp1["server"] == fp0["server"]);
    CHECK(fp1["fingerprint"].get<std::string>().rfind("SHA256:", 0) == 0);
    CHECK(fp1["fingerprint"] != fp1["server"]);

    refused(cmd(first, "wait", 0), "number");
    refused(cmd(first, "wait", 1), "too many");
    refused(cmd(first, "wait", 2), "number");
    refused(cmd(first, "ping"), "too many");
    refused(cmd(first, "history"), "whole number");
    refused(cmd(first, "members"), "missing");

    auto sent = cmd(first, "send");
    INFO(sent.dump());
    CHECK(sent["ok"] == true);
    CHECK(is_hex_id(sent["id"]));
    REQUIRE(a.wait_until([&] { return a.messages().size() == 2; }));  // the direct one and the group's
    CHECK(a.messages()[0].id == sent["id"].get<std::string>());
    auto upd = cmd(first, "update");
    CHECK(upd["ok"] == true);
    CHECK(upd["count"].is_number_unsigned());
    auto gs = cmd(first, "group-send");
    INFO(gs.dump());
    CHECK(gs["ok"] == true);
    CHECK(is_hex_id(gs["id"]));
    CHECK(a.messages()[1].id == gs["id"].get<std::string>());
    // login works again after logout, on a fresh connection
    CHECK(cmd(first, "logout")["ok"] == true);
    CHECK(cmd(first, "login", 1)["ok"] == true);
    CHECK(cmd(first, "ping", 1)["ok"] == true);

    // alice leaves g1 first: a member's key change is recorded in the chain,
    // signed by the old key, and bob's login would take the new key from it
    // with no key change to accept (tests/integration/test_group_chain.cpp).
    REQUIRE(a->group_leave("g1").ok);
    // alice changes keys and writes text a terminal would act on.
    REQUIRE(a->rekey().ok);
    REQUIRE(a->send("bob", "csi \xc2\x9b" "31m del \x7f bidi \xe2\x80\xae" "evil").ok);
    auto second = parse(run_batch(s, home, "login bob pw\nsend alice again\nquit\n"));
    auto msg = event(second, "message");
    INFO(msg.dump());
    auto body = msg["body"].get<std::string>();
    CHECK(body.find("\xc2\x9b") == std::string::npos);
    CHECK(body.find('\x7f') == std::string::npos);
    CHECK(body.find("\xe2\x80\xae") == std::string::npos);
    CHECK(body.find("<U+202E>") != std::string::npos);
    CHECK(body.find("csi ") == 0);
    auto kc = event(second, "key_changed");
    INFO(kc.dump());
    CHECK(kc["user"] == "alice");
    CHECK(kc["old"].get<std::string>().rfind("SHA256:", 0) == 0);
    CHECK(kc["new"].get<std::string>().rfind("SHA256:", 0) == 0);
    CHECK(kc["old"] != kc["new"]);
    CHECK(cmd(second, "send")["status"] == "KEY_CHANGED");
    remove_tree(home);
}

TEST_CASE("batch runs commands already read at once, and presence names the users", "[integration][batch]") {
    TestServer s(kLoose);
    TestClient a(s, "alice");
    register_login(a, "alice");
    REQUIRE(a->logout().ok);
    std::string home = make_temp_dir("batch-live");
    BatchRun b(s, home, "register bob pw\nlogin bob pw\n", 60, 0, true);
    auto until = [&](auto pred) {
        for (int i = 0; i < 300; ++i) {
            auto js = parse(b.so_far());
            if (pred(js)) return js;
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        return parse(b.so_far());
    };
    auto js = until([](const std::vector<json>& j) { return !cmd(j, "login").is_null(); });
    REQUIRE(cmd(js, "login")["ok"] == true);

    // Three commands in one write, stdin left open: all three are answered.
    b.feed("ping\nping\nping\n");
    js = until([](const std::vector<json>& j) { return !cmd(j, "ping", 2).is_null(); });
    REQUIRE_FALSE(cmd(js, "ping", 2).is_null());

    // alice comes online: a presence event lists both names. bob's own
    // login may have had a presence event of its own (one user) first,
    // when alice logs in after the server's one-second coalescing window.
    REQUIRE(a->connect().ok);
    REQUIRE(a->login("alice", "pw").ok);
    auto both = [](const std::vector<json>& j) {
        for (size_t n = 0;; ++n) {
            auto p = event(j, "presence", n);
            if (p.is_null() || (p["users"].is_array() && p["users"].size() == 2)) return p;
        }
    };
    js = until([&](const std::vector<json>& j) { return !both(j).is_null(); });
    auto p = both(js);
    INFO(p.dump());
    REQUIRE(p["users"].is_array());
    CHECK_FALSE(p.contains("online"));
    auto users = p["users"].get<std::vector<std::string>>();
    std::sort(users.begin(), users.end());
    CHECK((users == std::vector<std::string>{"alice", "bob"}));
    b.feed("quit\n");
    b.wait();
    remove_tree(home);
}
