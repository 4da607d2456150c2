// Where each pane goes for a terminal size. Pure arithmetic, no curses, so
// the reflow rules are unit-tested (tests/unit/test_ui_layout.cpp).
#pragma once

namespace tacit::ui {

struct Rect {
    int y = 0, x = 0, h = 0, w = 0;
    bool empty() const { return h <= 0 || w <= 0; }
};

// Full layout (rows >= kMinRows and cols >= kMinCols):
//   title bar                          (row 0)
//   conversations | messages
//   online        |
//   groups        |
//   status bar                         (row rows-2)
//   input line                         (row rows-1)
// Below that size, compact mode: messages, status bar and input only,
// dropping the status bar too when there is no room for it.
struct Layout {
    bool compact = false;
    int rows = 0, cols = 0;
    Rect title, convs, online, groups, separator, messages, status, input;
};

inline constexpr int kMinRows = 12;
inline constexpr int kMinCols = 40;

Layout compute_layout(int rows, int cols);

}  // namespace tacit::ui
