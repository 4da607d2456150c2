#include <catch2/catch.hpp>

#include <cstdlib>
#include <ctime>
#include <optional>

#include "tui/ui/panes.hpp"
#include "tui/ui/width.hpp"

using namespace tacit::ui;

namespace {
std::string text_of(const Row& r) {
    std::string s;
    for (const auto& seg : r.segs) s += seg.text;
    return s;
}
bool any_style(const Row& r, Style st) {
    for (const auto& s : r.segs)
        if (s.style == st) return true;
    return r.fill == st;
}
Line msg(std::string from, std::string text) {
    Line l;
    l.from = std::move(from);
    l.text = std::move(text);
    l.verified = true;
    return l;
}
Model model() {
    Model m;
    m.set_status({"example.org:7700", "me", "connected", ""});
    return m;
}
}  // namespace

TEST_CASE("conversation list: numbers, unread counts, marks", "[ui][panes]") {
    Model m = model();
    m.open("alice");
    m.open("#ops");
    m.add_message("alice", msg("alice", "one"));
    m.add_message("alice", msg("alice", "hey me, look"));  // a mention
    auto rows = conversation_rows(m, 10, 20);
    REQUIRE(rows.size() == 4);  // header + 3
    CHECK(text_of(rows[0]).find("Conversations") != std::string::npos);
    CHECK(text_of(rows[1]).rfind(" 1 (status)", 0) == 0);
    CHECK(text_of(rows[2]).rfind(" 2 alice", 0) == 0);
    CHECK(text_of(rows[2]).back() == '2');  // the count, one cell from the edge
    CHECK(rows[2].width() == 19);
    CHECK(text_of(rows[2]).find(" @2") != std::string::npos);  // a mention is marked without colour too
    CHECK(any_style(rows[2], Style::Highlight));
    CHECK(any_style(rows[3], Style::Active));  // #ops is in view
    for (const auto& r : rows) CHECK(r.width() <= 20);

    m.set_level("alice", NotifyLevel::None);
    rows = conversation_rows(m, 10, 20);
    CHECK(any_style(rows[2], Style::Muted));
    CHECK(conversation_rows(m, 0, 20).empty());
    CHECK(conversation_rows(m, 2, 20).size() == 2);
}

TEST_CASE("conversation list scrolls to keep the active one visible", "[ui][panes]") {
    Model m = model();
    for (int i = 0; i < 20; ++i) m.open("user" + std::to_string(i));
    auto rows = conversation_rows(m, 5, 20);
    REQUIRE(rows.size() == 5);
    CHECK(text_of(rows.back()).find("user19") != std::string::npos);
}

TEST_CASE("side lists: online marks and group member counts", "[ui][panes]") {
    Model m = model();
    m.set_online({"me", "bob"});
    auto on = online_rows(m, Glyphs::unicode(), 5, 16);
    REQUIRE(on.size() == 3);
    CHECK(text_of(on[0]).find("Online 2") != std::string::npos);
    CHECK(text_of(on[1]) == " \u25CF bob");
    CHECK(any_style(on[1], Style::Online));
    CHECK(any_style(on[2], Style::OwnNick));
    CHECK(text_of(online_rows(m, Glyphs::ascii(), 5, 16)[1]) == " * bob");

    m.set_groups({{"ops", 3}, {"dev", 12}});
    auto gs = group_rows(m, 5, 16);
    REQUIRE(gs.size() == 3);
    CHECK(text_of(gs[1]).rfind(" #dev", 0) == 0);
    CHECK(text_of(gs[1]).substr(text_of(gs[1]).size() - 2) == "12");
    CHECK(gs[1].width() == 15);
    Model empty = model();
    CHECK(text_of(group_rows(empty, 5, 16)[1]) == " (none)");
}

TEST_CASE("focus shows a cursor in the focused list", "[ui][panes]") {
    Model m = model();
    m.set_online({"bob", "carol"});
    m.set_focus(Focus::Online);
    auto on = online_rows(m, Glyphs::unicode(), 5, 16);
    CHECK(any_style(on[0], Style::HeaderFocus));
    CHECK(on[1].fill == Style::Cursor);
    CHECK(on[2].fill == Style::Normal);
}

TEST_CASE("status bar: connection, keys, activity; drops the least useful first", "[ui][panes]") {
    Model m = model();
    m.open("alice");
    m.open("bob");
    m.add_message("alice", msg("alice", "hi"));
    Extras x;
    x.clock = "12:34";
    Row r = status_row(m, x, Glyphs::unicode(), 100);
    std::string s = text_of(r);
    CHECK(s.find("[12:34]") != std::string::npos);
    CHECK(s.find("[me]") != std::string::npos);
    CHECK(s.find("[example.org:7700]") != std::string::npos);
    CHECK(s.find("[connected]") != std::string::npos);
    CHECK(s.find("[e2e \u2713]") != std::string::npos);
    CHECK(s.find("[Act: 2]") != std::string::npos);
    CHECK(r.fill == Style::Bar);

    std::string narrow = text_of(status_row(m, x, Glyphs::unicode(), 30));
    CHECK(narrow.find("[connected]") != std::string::npos);
    CHECK(narrow.find("[Act: 2]") != std::string::npos);
    CHECK(narrow.find("example.org") == std::string::npos);
    CHECK(display_width(narrow) <= 30);

    x.key_changed = {"alice"};
    Row k = status_row(m, x, Glyphs::unicode(), 100);
    CHECK(text_of(k).find("key changed: alice") != std::string::npos);
    CHECK(any_style(k, Style::BarAlert));

    Status st = m.status();
    st.connection = "offline, retry in 3s";
    m.set_status(st);
    Row off = status_row(m, x, Glyphs::unicode(), 100);
    CHECK(text_of(off).find("[offline, retry in 3s]") != std::string::npos);
}

TEST_CASE("title names the conversation and its kind", "[ui][panes]") {
    Model m = model();
    Extras x;
    CHECK(text_of(title_row(m, x, 80)).find("status window") != std::string::npos);
    m.set_groups({{"ops", 3}});
    m.open("#ops");
    CHECK(text_of(title_row(m, x, 80)).find("#ops  group \u00B7 3 members") != std::string::npos);
    m.open("bob");
    CHECK(text_of(title_row(m, x, 80)).find("bob  direct \u00B7 offline") != std::string::npos);
    m.set_online({"bob", "me"});
    CHECK(text_of(title_row(m, x, 80)).find("bob  direct \u00B7 online") != std::string::npos);
    x.key_changed = {"bob"};
    CHECK(text_of(title_row(m, x, 200)).find("KEY CHANGED") != std::string::npos);
    CHECK(title_row(m, x, 10).width() <= 10);
}

TEST_CASE("input row: prompt, cursor, masked prompt", "[ui][panes]") {
    Model m = model();
    m.open("bob");
    m.editor().insert("hello");
    Extras x;
    InputRow in = input_row(m, x, 40);
    CHECK(text_of(in.row) == "[bob] hello");
    CHECK(in.cursor_x == 11);
    x.prompt = "new password";
    x.prompt_len = 4;
    in = input_row(m, x, 40);
    CHECK(text_of(in.row) == "new password: ****");
    CHECK(text_of(in.row).find("hello") == std::string::npos);
    CHECK(in.cursor_x == 18);
}

TEST_CASE("message pane is bottom-aligned and follows the scroll offset", "[ui][panes]") {
    Model m = model();
    m.open("bob");
    for (int i = 0; i < 30; ++i) m.add_message("bob", msg("bob", "line " + std::to_string(i)));
    auto rows = message_rows(m, Glyphs::unicode(), 5, 60);
    REQUIRE(rows.size() == 5);
    CHECK(text_of(rows.back()).find("line 29") != std::string::npos);
    CHECK(text_of(rows.front()).find("line 25") != std::string::npos);
    m.set_page_size(10);
    m.scroll_up();
    rows = message_rows(m, Glyphs::unicode(), 5, 60);
    CHECK(text_of(rows.back()).find("line 19") != std::string::npos);

    Model few = model();
    few.open("carol");
    few.add_message("carol", msg("carol", "only"));
    rows = message_rows(few, Glyphs::unicode(), 4, 60);
    REQUIRE(rows.size() == 4);
    CHECK(rows[0].segs.empty());
    CHECK(text_of(rows[3]).find("only") != std::string::npos);
}

TEST_CASE("panes show sanitized network text", "[ui][panes]") {
    Model m = model();
    m.add_message("bob", msg("bob", "evil \x1b[31mred\x07"));
    m.open("bob");
    auto rows = message_rows(m, Glyphs::unicode(), 3, 60);
    std::string s = text_of(rows.back());
    CHECK(s.find('\x1b') == std::string::npos);
    CHECK(s.find("^[[31mred^G") != std::string::npos);
}

TEST_CASE("PgUp stops with the first line on the top row", "[ui][panes]") {
    Model m = model();
    m.open("bob");
    for (int i = 0; i < 30; ++i) m.add_message("bob", msg("bob", "line " + std::to_string(i)));
    m.set_page_size(10);
    for (int i = 0; i < 5; ++i) {
        m.scroll_up();
        m.limit_scroll(top_scroll(m, Glyphs::unicode(), 5, 60));
    }
    CHECK(m.active().scroll == 25);
    auto rows = message_rows(m, Glyphs::unicode(), 5, 60);
    CHECK(text_of(rows.front()).find("line 0") != std::string::npos);
    CHECK(text_of(rows.back()).find("line 4") != std::string::npos);
    // A line that wraps takes more rows: fewer lines fill the pane.
    Model w = model();
    w.open("bob");
    w.add_message("bob", msg("bob", std::string(200, 'x')));
    for (int i = 0; i < 3; ++i) w.add_message("bob", msg("bob", "short " + std::to_string(i)));
    CHECK(top_scroll(w, Glyphs::unicode(), 3, 40) == 3);
    CHECK(top_scroll(w, Glyphs::unicode(), 50, 40) == 0);  // all of it fits
}

TEST_CASE("title: member count in the singular", "[ui][panes]") {
    Model m = model();
    m.set_groups({{"solo", 1}});
    m.open("#solo");
    CHECK(text_of(title_row(m, Extras{}, 80)).find("group \u00B7 1 member \u00B7") != std::string::npos);
}

TEST_CASE("a day-change row between lines of different local days", "[ui][panes]") {
    // UTC for this test only: the days are the local ones.
    struct Zone {
        std::optional<std::string> was;
        Zone() {
            if (const char* z = std::getenv("TZ")) was = z;
            setenv("TZ", "UTC", 1);
            tzset();
        }
        ~Zone() {
            if (was) setenv("TZ", was->c_str(), 1);
            else unsetenv("TZ");
            tzset();
        }
    } utc;
    Model m = model();
    m.open("alice");
    const uint64_t evening = 1764888000000ull;  // 2025-12-04 22:40 UTC, a Thursday
    auto at = [&](uint64_t t, std::string text) {
        Line l = msg("alice", std::move(text));
        l.time_ms = t;
        m.add_message("alice", l, Arrival::History);
    };
    at(evening, "late");
    at(evening + 60'000, "still the same day");
    at(evening + 2 * 3600'000, "after midnight");
    auto rows = message_rows(m, Glyphs::unicode(), 6, 60);
    REQUIRE(rows.size() == 6);
    CHECK(text_of(rows[2]).find("late") != std::string::npos);
    CHECK(text_of(rows[3]).find("still the same day") != std::string::npos);
    CHECK(text_of(rows[4]) == "-- day changed to Fri 2025-12-05 --");
    CHECK(any_style(rows[4], Style::Dim));
    CHECK(text_of(rows[5]).find("after midnight") != std::string::npos);
    // The extra row counts when PgUp works out how far it can go: "late",
    // the day row and "after midnight" fill 3 rows, and scrolling up one
    // line would leave "still the same day" and "late" a row short.
    m.add_message("alice", msg("alice", "newest"), Arrival::History);
    m.find("alice")->lines.back().time_ms = evening + 2 * 3600'000;
    m.find("alice")->lines.erase(m.find("alice")->lines.begin() + 1);
    CHECK(top_scroll(m, Glyphs::unicode(), 3, 60) == 1);
    CHECK(date_ymd(evening) == "2025-12-04");
}

TEST_CASE("/search results: picked with Up/Down, Enter shows the message in its conversation", "[ui][panes]") {
    Model m = model();
    m.set_page_size(6);
    m.open("bob");
    for (int i = 0; i < 30; ++i) {
        Line l = msg("bob", "line " + std::to_string(i));
        l.id = "id" + std::to_string(i);
        m.add_message("bob", l, Arrival::History);
    }
    m.open("");  // the status window
    m.show_hits({{"bob", "id3", "  2025-12-04 10:00 [bob] bob: line 3"},
                 {"bob", "id20", "  2025-12-04 10:01 [bob] bob: line 20"}});
    REQUIRE(m.focus() == Focus::Results);
    CHECK(m.selection(Focus::Results) == 1);  // the newest
    auto cursor_on = [&](std::string_view text) {
        for (const auto& r : message_rows(m, Glyphs::unicode(), 6, 70))
            if (text_of(r).find(text) != std::string::npos) return any_style(r, Style::Cursor);
        return false;
    };
    CHECK(cursor_on("line 20"));
    m.handle_key(Key::special(KeyCode::Up));
    CHECK(m.selection(Focus::Results) == 0);
    CHECK(cursor_on("line 3"));
    CHECK_FALSE(cursor_on("line 20"));
    Action a = m.handle_key(Key::special(KeyCode::Enter));
    CHECK(a.kind == Action::Kind::Opened);
    CHECK(a.target == "bob");
    CHECK(a.line_id == "id3");
    CHECK(m.focus() == Focus::Input);
    REQUIRE(m.show_line(a.line_id));
    CHECK(m.active().marked == "id3");
    bool shown = false;
    for (const auto& r : message_rows(m, Glyphs::unicode(), 6, 70))
        if (text_of(r).find("line 3") != std::string::npos) shown = any_style(r, Style::Highlight);
    CHECK(shown);
    CHECK_FALSE(m.show_line("nosuch"));
    // Leaving the window drops the mark; switching windows drops the results' focus.
    m.select(0);
    m.show_hits({{"bob", "id4", "  x"}});
    REQUIRE(m.focus() == Focus::Results);
    m.select(1);
    CHECK(m.focus() == Focus::Input);
    CHECK(m.active().marked.empty());
    // Typing while the results have the focus goes to the input line.
    m.select(0);
    m.show_hits({{"bob", "id5", "  y"}});
    m.handle_key(Key::chr(U'h'));
    CHECK(m.focus() == Focus::Input);
    CHECK(m.editor().text() == "h");
}

TEST_CASE("read state: the marker, counts rebuilt from the last line read, Alt-A", "[ui][panes]") {
    Model m = model();
    auto say = [&](std::string key, std::string from, std::string text, std::string id, Arrival a) {
        Line l = msg(std::move(from), std::move(text));
        l.id = std::move(id);
        m.add_message(key, l, a);
    };
    for (auto* k : {"bob", "carol", "dave"}) m.add_window(k);
    say("bob", "bob", "b1", "b1", Arrival::History);
    say("bob", "me", "mine", "m1", Arrival::History);
    say("bob", "bob", "b2", "b2", Arrival::History);
    say("bob", "bob", "b3 me?", "b3", Arrival::History);  // mentions me
    say("carol", "carol", "c1", "c1", Arrival::History);
    m.restore_read("bob", "b1");
    m.restore_read("carol", "c1");
    m.restore_read("dave", "");
    const auto& cs = m.conversations();
    REQUIRE(cs.size() == 4);
    CHECK(cs[1].key == "bob");  // the order the windows were added in
    CHECK(cs[1].unread == 2);   // b2 and b3; my own line does not count
    CHECK(cs[1].mention);
    CHECK(cs[2].unread == 0);
    // Opened at login: nothing is read until a key.
    m.select(1, Look::AtFirstKey);
    CHECK(m.active().unread == 2);
    auto rows = message_rows(m, Glyphs::unicode(), 6, 60);
    CHECK(text_of(rows[1]).find("b1") != std::string::npos);
    CHECK(text_of(rows[2]) == "-- read marker --");
    m.seen_active();
    CHECK(m.active().unread == 0);
    CHECK(m.active().seen_id == "b3");
    CHECK(m.active().marker_id == "b1");  // it moves when you leave
    m.select(2);
    CHECK(cs[1].marker_id == "b3");
    // Alt-A: a mention first, wherever it is, then activity; none left: stay.
    say("dave", "dave", "d1", "d1", Arrival::Live);
    say("bob", "bob", "hey me", "b4", Arrival::Live);
    m.handle_key(Key::alt_key('a'));
    CHECK(m.active().key == "bob");
    m.handle_key(Key::alt_key('a'));
    CHECK(m.active().key == "dave");
    CHECK_FALSE(m.next_activity());
    CHECK(m.active().key == "dave");
}

TEST_CASE("terminal title: the unread count of the windows not muted", "[ui][panes]") {
    Model m = model();
    CHECK(terminal_title(m) == "tacit");
    m.add_message("bob", msg("bob", "one"));
    m.add_message("bob", msg("bob", "two"));
    m.add_message("#ops", msg("carol", "three"));
    CHECK(terminal_title(m) == "tacit: 3 unread");
    m.set_level("#ops", NotifyLevel::None);
    CHECK(terminal_title(m) == "tacit: 2 unread");
}
