#include <catch2/catch.hpp>

#include "tui/ui/action.hpp"
#include "tui/ui/format.hpp"

using namespace tacit::ui;

TEST_CASE("/me bodies are CTCP ACTION and nothing else is", "[ui][action]") {
    const std::string body = action_body("waves");
    CHECK(body == std::string("\x01" "ACTION waves\x01"));
    REQUIRE(action_text(body));
    CHECK(*action_text(body) == "waves");
    CHECK_FALSE(action_text("/me waves"));
    CHECK_FALSE(action_text("ACTION waves"));
    CHECK_FALSE(action_text("\x01" "ACTION waves"));  // no closing byte
    CHECK_FALSE(action_text("\x01" "ACTION"));
}

TEST_CASE("an action is drawn with a star and the sender in the text", "[ui][action]") {
    Line l;
    l.from = "alice";
    l.text = "waves";
    l.action = true;
    LineFormat f;
    f.width = 80;
    f.show_time = false;
    auto rows = format_line(l, f);
    REQUIRE(rows.size() == 1);
    std::string all;
    for (const auto& s : rows[0].segs) all += s.text;
    CHECK(all.find("* \u2502 alice waves") != std::string::npos);
}
