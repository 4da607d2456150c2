#include <catch2/catch.hpp>

#include "tui/ui/layout.hpp"

using namespace tacit::ui;

namespace {
bool inside(const Rect& r, int rows, int cols) {
    return r.empty() || (r.y >= 0 && r.x >= 0 && r.y + r.h <= rows && r.x + r.w <= cols);
}
bool overlap(const Rect& a, const Rect& b) {
    if (a.empty() || b.empty()) return false;
    return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
}
}  // namespace

TEST_CASE("full layout: panes tile the screen without overlap", "[ui][layout]") {
    for (auto [rows, cols] : {std::pair{30, 100}, {12, 40}, {24, 80}, {60, 250}, {13, 41}}) {
        INFO(rows << "x" << cols);
        Layout l = compute_layout(rows, cols);
        REQUIRE_FALSE(l.compact);
        const Rect all[] = {l.title, l.convs, l.online, l.groups, l.separator, l.messages, l.status, l.input};
        int area = 0;
        for (size_t i = 0; i < 8; ++i) {
            CHECK(inside(all[i], rows, cols));
            CHECK_FALSE(all[i].empty());
            area += all[i].h * all[i].w;
            for (size_t j = i + 1; j < 8; ++j) CHECK_FALSE(overlap(all[i], all[j]));
        }
        // Everything but the one blank column beside the separator is used.
        CHECK(area == rows * cols - l.messages.h);
        CHECK(l.input.y == rows - 1);
        CHECK(l.status.y == rows - 2);
        CHECK(l.convs.h >= 3);
        CHECK(l.online.h >= 3);
        CHECK(l.groups.h >= 3);
        CHECK(l.messages.w >= 20);
    }
}

TEST_CASE("below 40x12 the layout is one pane", "[ui][layout]") {
    Layout l = compute_layout(11, 100);
    CHECK(l.compact);
    CHECK(l.title.empty());
    CHECK(l.convs.empty());
    CHECK(l.messages.h == 9);
    CHECK(l.status.y == 9);
    CHECK(l.input.y == 10);

    l = compute_layout(30, 39);
    CHECK(l.compact);
    CHECK(l.messages.w == 39);

    l = compute_layout(2, 20);  // no room for a status bar
    CHECK(l.compact);
    CHECK(l.status.empty());
    CHECK(l.messages.h == 1);
    CHECK(l.input.y == 1);

    l = compute_layout(0, 0);
    CHECK(l.input.empty());
    CHECK(l.messages.empty());
    l = compute_layout(-5, 10);
    CHECK(l.rows == 0);
}
