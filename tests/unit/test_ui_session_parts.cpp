// The curses-free parts the session uses: OSC notifications, turning client records into lines, colour choice.
#include <catch2/catch.hpp>

#include <algorithm>

#include "tui/ui/describe.hpp"
#include "tui/ui/keepalive.hpp"
#include "tui/ui/online_refresh.hpp"
#include "tui/ui/format.hpp"
#include "tui/ui/notify.hpp"
#include "tui/ui/terminal.hpp"

using namespace tacit::ui;
using tacit::client::ChatMessage;

TEST_CASE("OSC notification text cannot end or split the sequence", "[ui][notify]") {
    std::string s = osc_notification("tacit bob", "hi\x07\x1b]0;x\x1b\\; there", false, false);
    CHECK(s.rfind("\x1b]777;notify;tacit bob;", 0) == 0);
    CHECK(s.back() == '\x07');
    // Exactly one BEL (the terminator) and one ESC (the introducer).
    CHECK(std::count(s.begin(), s.end(), '\x07') == 1);
    CHECK(std::count(s.begin(), s.end(), '\x1b') == 1);
    // Two ';' separators only: the one in the body became ','.
    CHECK(std::count(s.begin(), s.end(), ';') == 3);
    CHECK(s.find("^G^[]0,x^[\\, there") != std::string::npos);

    std::string nine = osc_notification("t", "b", true, false);
    CHECK(nine == "\x1b]9;t: b\x07");

    std::string tm = osc_notification("t", "b", false, true);
    CHECK(tm == "\x1bPtmux;\x1b\x1b]777;notify;t;b\x07\x1b\\");

    CHECK(osc_safe(std::string(500, 'a')).size() < 300);

    // The title: network text (a conversation name) cannot end it early.
    std::string title = osc_title("tacit\x07\x1b]2;evil");
    CHECK(title.rfind("\x1b]2;tacit", 0) == 0);
    CHECK(std::count(title.begin(), title.end(), '\x07') == 1);
    CHECK(std::count(title.begin(), title.end(), '\x1b') == 1);
}

TEST_CASE("client records become lines and conversation keys", "[ui][describe]") {
    ChatMessage m;
    m.id = "01";
    m.from = "bob";
    m.to = "me";
    m.body = "hi";
    m.sent_at_ms = 42;
    m.verified = true;
    CHECK(conversation_of(m, "me") == "bob");
    Line l = to_line(m);
    CHECK(l.from == "bob");
    CHECK(l.text == "hi");
    CHECK(l.verified);
    CHECK(l.time_ms == 42);
    CHECK_FALSE(l.system);

    ChatMessage out = m;
    out.from = "me";
    out.to = "bob";
    out.outgoing = true;
    out.verified = false;
    CHECK(conversation_of(out, "me") == "bob");
    CHECK(to_line(out).verified);

    ChatMessage g = m;
    g.group = "ops";
    CHECK(conversation_of(g, "me") == "#ops");

    ChatMessage sys;
    sys.group = "ops";
    sys.body = "added alice carol";
    sys.verified = true;
    Line s = to_line(sys);
    CHECK(s.system);
    CHECK(s.text == "alice added carol to #ops [signed by alice]");
    sys.verified = false;
    CHECK(to_line(sys).text == "alice added carol to #ops [no user signature]");
    CHECK_FALSE(to_line(sys).verified);

    ChatMessage broken = m;
    broken.body.clear();
    broken.verified = false;
    broken.problem = "bad tag";
    CHECK(to_line(broken).text == "[could not decrypt: bad tag]");
    CHECK_FALSE(to_line(broken).verified);

    ChatMessage outsider = g;
    outsider.verified = false;
    outsider.problem = "bob was not a member of ops at epoch 1 (signed records)";
    CHECK(to_line(outsider).text == "[unverified: bob was not a member of ops at epoch 1 (signed records)] hi");
    CHECK_FALSE(to_line(outsider).verified);
}

TEST_CASE("group events read as sentences", "[ui][describe]") {
    CHECK(describe_group_event("created alice ops", "ops") == "alice created #ops");
    CHECK(describe_group_event("removed alice bob", "ops") == "alice removed bob from #ops");
    CHECK(describe_group_event("left carol carol", "ops") == "carol left #ops");
    CHECK(describe_group_event("dissolved alice ops", "ops") == "alice dissolved #ops");
    CHECK(describe_group_event("rekeyed bob bob", "ops") == "bob renewed their key in #ops");
    CHECK(group_line("rekeyed bob bob", "ops", true) == "bob renewed their key in #ops [signed by bob]");
    CHECK(describe_group_event("renamed x y", "ops") == "#ops: renamed x y");
}

TEST_CASE("colour mode: config, NO_COLOR and what the terminal has", "[ui][terminal]") {
    CHECK(choose_color_mode("auto", false, 256) == ColorMode::Full);
    CHECK(choose_color_mode("auto", false, 8) == ColorMode::Basic);
    CHECK(choose_color_mode("auto", false, 0) == ColorMode::None);
    CHECK(choose_color_mode("auto", true, 256) == ColorMode::None);
    CHECK(choose_color_mode("no", false, 256) == ColorMode::None);
    CHECK(choose_color_mode("yes", true, 256) == ColorMode::Full);  // the config wins over NO_COLOR
    CHECK(choose_color_mode("yes", false, 2) == ColorMode::None);
}

TEST_CASE("keepalive pings after 25 s of send-idleness; TACIT_PING_INTERVAL overrides for tests", "[ui][keepalive]") {
    CHECK(keepalive_interval_ms(nullptr) == 25000);
    CHECK(keepalive_interval_ms("") == 25000);
    CHECK(keepalive_interval_ms("1") == 1000);
    CHECK(keepalive_interval_ms("90") == 90000);
    for (const char* bad : {"0", "-1", "1.5", "abc", "3s", " 3", "86401", "99999999999999999999"})
        CHECK(keepalive_interval_ms(bad) == kKeepaliveMs);
    // Well inside the lowest idle timeout admins are told they may use.
    CHECK(kKeepaliveMs + 1000 < 60000 / 2);
    CHECK_FALSE(ping_due(24999, kKeepaliveMs));
    CHECK(ping_due(25000, kKeepaliveMs));
}

TEST_CASE("a message whose sent_at is far from its arrival says when it arrived", "[ui]") {
    ChatMessage m;
    m.id = "1";
    m.from = "bob";
    m.to = "alice";
    m.body = "hello";
    m.verified = true;
    m.received_at_ms = 1'800'000'000'000;
    m.sent_at_ms = m.received_at_ms + 60'000;  // a minute: no mark
    CHECK(to_line(m).text == "hello");
    m.sent_at_ms = m.received_at_ms + 3'600'000;
    Line l = to_line(m);
    CHECK(l.time_ms == m.sent_at_ms);  // the sender's time stays the one shown
    CHECK(l.text == "[arrived " + clock_hhmm(m.received_at_ms) + "] hello");
}

TEST_CASE("the online list is fetched at most every 10 s after presence notices, and only while shown", "[ui][online]") {
    OnlineRefresh o;
    CHECK(o.due(0, true));        // never fetched: at once
    CHECK_FALSE(o.due(0, false)); // but not while hidden
    o.asked(1000);
    CHECK_FALSE(o.due(2000, true));  // fresh: no notice since
    o.stale();
    CHECK_FALSE(o.due(2000, true));    // a notice 1 s after the fetch waits
    CHECK_FALSE(o.due(10999, true));
    CHECK(o.due(11000, true));         // 10 s after the last fetch
    CHECK_FALSE(o.due(11000, false));  // hidden (compact mode): not at all
    CHECK_FALSE(o.due(99000, false));
    o.asked(11000);
    for (int i = 0; i < 100; ++i) o.stale();  // a burst of logins costs one fetch
    CHECK_FALSE(o.due(20000, true));
    CHECK(o.due(21000, true));
}
