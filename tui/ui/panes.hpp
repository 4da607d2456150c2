// The content of each pane as styled rows, computed from the Model (plus a
// little state the app keeps outside it). No curses: view.cpp only copies
// these rows into windows, and tests/unit/test_ui_panes.cpp checks them.
#pragma once
#include <string>
#include <vector>

#include "tui/ui/format.hpp"
#include "tui/ui/model.hpp"

namespace tacit::ui {

struct Extras {
    std::vector<std::string> key_changed;  // users whose new key awaits /accept-key
    std::string prompt;    // non-empty: the input line asks for this instead (masked)
    size_t prompt_len = 0; // characters typed at the prompt, shown as '*'
    std::string clock;     // "14:05"
    bool compact = false;  // single-pane mode: the status bar names the window
    std::string pending;   // non-empty: a request is outstanding ("| sending to bob 3s")
};

struct InputRow {
    Row row;
    int cursor_x = 0;
};

Row title_row(const Model& m, const Extras& x, int width);
Row status_row(const Model& m, const Extras& x, const Glyphs& g, int width);
InputRow input_row(Model& m, const Extras& x, int width);

std::vector<Row> conversation_rows(const Model& m, int height, int width);
std::vector<Row> online_rows(const Model& m, const Glyphs& g, int height, int width);
std::vector<Row> group_rows(const Model& m, int height, int width);
// Bottom-aligned: the newest line sits on the last row; rows above the
// first line are empty. Follows the conversation's scroll offset.
std::vector<Row> message_rows(const Model& m, const Glyphs& g, int height, int width);
// The largest scroll offset that still fills the pane: PgUp stops there,
// with the first line of the conversation on the top row.
int top_scroll(const Model& m, const Glyphs& g, int height, int width);

// The terminal's title: "tacit", or "tacit: 3 unread" counting the unread
// messages of the windows that are not muted.
std::string terminal_title(const Model& m);

// Display name of a conversation key ("(status)" for the status window).
std::string conversation_label(const std::string& key);

}  // namespace tacit::ui
