#include <catch2/catch.hpp>

#include "tui/ui/format.hpp"
#include "tui/ui/width.hpp"

using namespace tacit::ui;

namespace {
std::string text_of(const Row& r) {
    std::string s;
    for (const auto& seg : r.segs) s += seg.text;
    return s;
}
Line line(std::string from, std::string text, bool verified = true) {
    Line l;
    l.time_ms = 0;
    l.from = std::move(from);
    l.text = std::move(text);
    l.verified = verified;
    return l;
}
}  // namespace

TEST_CASE("Row::fit cuts without splitting characters", "[ui][format]") {
    Row r;
    r.add("ab", Style::Normal).add("你好", Style::Nick).add("cd", Style::Normal);
    CHECK(r.width() == 8);
    r.fit(5);
    CHECK(r.width() <= 5);
    CHECK(text_of(r) == "ab你");
    Row e;
    CHECK(e.fit(3).width() == 0);
}

TEST_CASE("aligned message lines wrap under the text column", "[ui][format]") {
    LineFormat f;
    f.width = 40;
    f.nick_width = 5;
    f.show_time = false;
    f.me = "me";
    auto rows = format_line(line("bob", "one two three four five six seven eight nine ten"), f);
    REQUIRE(rows.size() >= 2);
    for (const auto& r : rows) CHECK(r.width() <= 40);
    CHECK(text_of(rows[0]).rfind("\u2713   bob \u2502 one two", 0) == 0);
    // Continuation rows start with blanks and the separator at the same column.
    std::string second = text_of(rows[1]);
    CHECK(second.rfind(std::string(7, ' ') + " \u2502 ", 0) == 0);
    CHECK(display_width(text_of(rows[0]).substr(0, text_of(rows[0]).find("\u2502"))) ==
          display_width(second.substr(0, second.find("\u2502"))));
}

TEST_CASE("unverified, system and own lines are marked", "[ui][format]") {
    LineFormat f;
    f.width = 60;
    f.nick_width = 6;
    f.show_time = true;
    f.me = "me";
    auto bad = format_line(line("mallory", "hi", false), f);
    REQUIRE(bad.size() == 1);
    bool has_unverified = false;
    for (const auto& s : bad[0].segs) has_unverified |= s.style == Style::Unverified && s.text == "!";
    CHECK(has_unverified);
    // The nick is cut to the column with an ellipsis.
    CHECK(text_of(bad[0]).find("mallo\u2026") != std::string::npos);

    Line sys = line("", "alice added bob to #ops");
    sys.system = true;
    auto s = format_line(sys, f);
    REQUIRE(s.size() == 1);
    CHECK(text_of(s[0]).find("-!-") != std::string::npos);
    CHECK(s[0].segs.back().style == Style::System);

    auto own = format_line(line("me", "mine"), f);
    bool own_style = false;
    for (const auto& seg : own[0].segs) own_style |= seg.style == Style::OwnNick;
    CHECK(own_style);
}

TEST_CASE("narrow panes use the inline format", "[ui][format]") {
    LineFormat f;
    f.width = 20;
    f.nick_width = 8;
    f.show_time = false;
    auto rows = format_line(line("bob", "hello there my friend how are you"), f);
    REQUIRE(rows.size() >= 2);
    CHECK(text_of(rows[0]).rfind("bob\u2713 hello", 0) == 0);
    CHECK(rows[0].segs[0].style == Style::Nick);
    CHECK(rows[0].segs[1].style == Style::Verified);
    for (const auto& r : rows) CHECK(r.width() <= 20);
}

TEST_CASE("wide characters never cross the pane edge", "[ui][format]") {
    ensure_utf8_locale();
    LineFormat f;
    f.width = 31;
    f.nick_width = 3;
    f.show_time = false;
    std::string text;
    for (int i = 0; i < 30; ++i) text += "\xE4\xBD\xA0\xF0\x9F\x98\x80";  // 你😀
    for (int w : {31, 30, 12, 5, 1}) {
        f.width = w;
        for (const auto& r : format_line(line("bob", text), f)) CHECK(r.width() <= w);
    }
}

TEST_CASE("nick hues are stable and in range", "[ui][format]") {
    CHECK(nick_hue("alice") == nick_hue("alice"));
    for (const char* n : {"a", "bob", "carol", "dave", ""}) {
        CHECK(nick_hue(n) >= 0);
        CHECK(nick_hue(n) < kNickHues);
    }
    CHECK(clock_hhmm(0).size() == 5);
}

TEST_CASE("nick column follows the longest sender, within bounds", "[ui][format]") {
    Conversation c;
    c.key = "#ops";
    c.lines.push_back(line("al", "x"));
    CHECK(nick_column(c, 100) == 3);
    c.lines.push_back(line("bartholomew", "x"));
    CHECK(nick_column(c, 100) == 11);
    CHECK(nick_column(c, 30) == 5);
    c.lines.push_back(line(std::string(40, 'z'), "x"));
    CHECK(nick_column(c, 200) == 16);
}
