#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "tui/ui/graphemes.hpp"
#include "tui/ui/utf8.hpp"
#include "tui/ui/width.hpp"

using namespace tacit::ui;

namespace {

const std::string kFamily = "\U0001F468\u200D\U0001F469\u200D\U0001F467";   // man ZWJ woman ZWJ girl
const std::string kRainbow = "\U0001F3F3\uFE0F\u200D\U0001F308";            // white flag VS16 ZWJ rainbow
const std::string kFrance = "\U0001F1EB\U0001F1F7";                         // regional indicators F R
const std::string kThumb = "\U0001F44D\U0001F3FD";                          // thumbs up, skin tone
const std::string kAcute = "e\u0301";

// The clusters of s, as strings.
std::vector<std::string> clusters(const std::string& s) {
    std::vector<std::string> out;
    size_t start = 0;
    for (size_t end : grapheme_ends(s)) {
        out.push_back(s.substr(start, end - start));
        start = end;
    }
    return out;
}

// Sets the width rule for one test and puts Sum back after it.
struct RuleScope {
    explicit RuleScope(WidthRule r) { set_width_rule(r); }
    ~RuleScope() { set_width_rule(WidthRule::Sum); }
};

}  // namespace

TEST_CASE("extended grapheme clusters (UAX #29)", "[ui][graphemes]") {
    CHECK(clusters("abc") == std::vector<std::string>{"a", "b", "c"});
    CHECK(clusters(kFamily + "x") == std::vector<std::string>{kFamily, "x"});
    CHECK(clusters(kRainbow + kRainbow) == std::vector<std::string>{kRainbow, kRainbow});
    CHECK(clusters(kFrance + kFrance) == std::vector<std::string>{kFrance, kFrance});
    CHECK(clusters(kThumb + kAcute) == std::vector<std::string>{kThumb, kAcute});
    CHECK(clusters("a\r\nb") == std::vector<std::string>{"a", "\r\n", "b"});
    CHECK(clusters("\n\u0301") == std::vector<std::string>{"\n", "\u0301"});  // a line break carries no mark
    CHECK(grapheme_ends("").empty());
    // Odd regional indicators: pairs from the start, whatever the position asked.
    const std::string three = kFrance + "\U0001F1E9";
    CHECK(grapheme_after(three, 0) == 8);
    CHECK(grapheme_after(three, 4) == 8);
    CHECK(grapheme_before(three, 12) == 8);
    CHECK(grapheme_before(three, 8) == 0);
    CHECK(next_grapheme(kFamily + "!", 0) == kFamily.size());
    CHECK(prev_grapheme(kFamily + "!", kFamily.size()) == 0);
    // Invalid bytes are clusters of their own and never swallow a neighbour.
    auto bad = clusters("a\xff" "b\xe6\x97");
    CHECK(bad.front() == "a");
    CHECK(bad.back().find('b') == std::string::npos);
}

TEST_CASE("cluster widths follow the terminal's rule", "[ui][width]") {
    REQUIRE(ensure_utf8_locale());
    {
        RuleScope sum(WidthRule::Sum);
        CHECK(cluster_width(kFamily) == 6);
        CHECK(cluster_width(kRainbow) == 3);
        CHECK(cluster_width(kFrance) == 2);
        CHECK(cluster_width(kThumb) == 4);
        CHECK(cluster_width(kAcute) == 1);
        CHECK(display_width("A" + kFamily + "B") == 8);
    }
    {
        RuleScope tmux(WidthRule::Tmux);  // tmux 3.3a, measured in tests/tui/test_render.sh
        CHECK(cluster_width(kFamily) == 2);
        CHECK(cluster_width(kRainbow) == 1);
        CHECK(cluster_width(kFrance) == 2);
        CHECK(cluster_width(kThumb) == 4);
        CHECK(cluster_width(kAcute) == 1);
        CHECK(cluster_width("\u4E2D") == 2);
        CHECK(display_width("A" + kFamily + "B") == 4);
    }
}

TEST_CASE("the width setting", "[ui][width]") {
    CHECK(choose_width_rule("tmux", nullptr, "xterm") == WidthRule::Tmux);
    CHECK(choose_width_rule("sum", "/tmp/tmux-1/default,1,0", "tmux-256color") == WidthRule::Sum);
    CHECK(choose_width_rule("auto", "/tmp/tmux-1/default,1,0", "screen") == WidthRule::Tmux);
    CHECK(choose_width_rule("auto", nullptr, "tmux-256color") == WidthRule::Tmux);
    CHECK(choose_width_rule("auto", "", "xterm-256color") == WidthRule::Sum);
    CHECK(choose_width_rule("auto", nullptr, nullptr) == WidthRule::Sum);
    CHECK_FALSE(choose_width_rule("wide", nullptr, nullptr).has_value());
}

TEST_CASE("wrap and truncate never split a cluster", "[ui][width]") {
    for (WidthRule r : {WidthRule::Sum, WidthRule::Tmux}) {
        RuleScope scope(r);
        std::string text;
        for (int i = 0; i < 6; ++i) text += kFamily + kRainbow + " " + kFrance + kThumb + kAcute + "\u4E2D ";
        for (int w = 1; w <= 20; ++w) {
            std::string joined;
            for (const auto& line : wrap(text, w)) {
                CHECK(display_width(line) <= w);
                for (const auto& c : clusters(line)) {
                    const bool whole = c == kFamily || c == kRainbow || c == kFrance || c == kThumb ||
                                       c == kAcute || c == "\u4E2D" || c == " " || c == "?";
                    CHECK(whole);
                }
                joined += line;
            }
            if (w >= cluster_width(kFamily)) CHECK(joined.find(kFamily) != std::string::npos);
            std::string t = truncate_to_width(text, w, true);
            CHECK(display_width(t) <= w);
            CHECK(valid_utf8(t));
        }
    }
    RuleScope tmux(WidthRule::Tmux);
    // Three families in a tmux cell each, with their spaces: 3 + 3 + 2.
    CHECK(wrap(kFamily + " " + kFamily + " " + kFamily, 5) ==
          std::vector<std::string>{kFamily + " " + kFamily, kFamily});
    CHECK(wrap(kThumb + kThumb, 5) == std::vector<std::string>{kThumb, kThumb});
    CHECK(truncate_to_width("ab" + kFamily, 3) == "ab");
}
