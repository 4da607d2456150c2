// A full-screen "card": a centred column of rows, for the screens shown
// before the conversation view (server key, login form, errors).
#pragma once
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tui/ui/format.hpp"
#include "tui/ui/terminal.hpp"

namespace tacit::ui {

struct Card {
    std::vector<Row> rows;
    int cursor_row = -1;  // -1: no cursor
    int cursor_x = 0;
    int width = 0;        // the column's width, set by begin()
    // Rows that stay on screen however small the terminal: from keep_begin()
    // to keep_end(). The rest scrolls around them.
    int keep_first = -1, keep_last = -1;

    // Starts a card for the current terminal size.
    void begin(const Terminal& t, int max_width = 72);
    void blank() { rows.emplace_back(); }
    void line(std::string text, Style s = Style::Normal);
    // Wrapped to the card's width.
    void para(const std::string& text, Style s = Style::Normal);
    // Wrapped to the card's width less indent cells, each row indented.
    void block(const std::string& text, int indent, Style s = Style::Normal);
    void keep_begin() { keep_first = static_cast<int>(rows.size()); }
    void keep_end() { keep_last = static_cast<int>(rows.size()) - 1; }
};

class CardScreen {
public:
    explicit CardScreen(Terminal& t);
    ~CardScreen();
    CardScreen(const CardScreen&) = delete;
    CardScreen& operator=(const CardScreen&) = delete;
    // A card taller than the terminal loses its blank rows first, then
    // shows a window of rows that holds the kept ones; scroll_by() moves that
    // window (Up/Down), as far as the kept rows stay in it.
    void show(const Card& c);
    void scroll_by(int rows);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// The next key or paste, waiting up to timeout_ms (-1: forever).
std::optional<Input> wait_input(Terminal& t, int timeout_ms);

}  // namespace tacit::ui
