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

    // Starts a card for the current terminal size.
    void begin(const Terminal& t, int max_width = 72);
    void blank() { rows.emplace_back(); }
    void line(std::string text, Style s = Style::Normal);
    // Wrapped to the card's width.
    void para(const std::string& text, Style s = Style::Normal);
};

class CardScreen {
public:
    explicit CardScreen(Terminal& t);
    ~CardScreen();
    CardScreen(const CardScreen&) = delete;
    CardScreen& operator=(const CardScreen&) = delete;
    void show(const Card& c);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// The next key or paste, waiting up to timeout_ms (-1: forever).
std::optional<Input> wait_input(Terminal& t, int timeout_ms);

}  // namespace tacit::ui
