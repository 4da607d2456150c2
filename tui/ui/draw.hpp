// Shared curses helpers for the view files: a window in a panel (RAII) and
// drawing a styled Row. Includes curses.h, so only tui/ui .cpp files use it.
#pragma once
#include <curses.h>
#include <panel.h>

#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "tui/ui/format.hpp"
#include "tui/ui/layout.hpp"
#include "tui/ui/terminal.hpp"

namespace tacit::ui {

// A grapheme cluster ncursesw cannot keep in its cells (it holds one
// spacing character and CCHARW_MAX - 1 marks per cell, and advances by the
// sum of wcwidth): the window holds placeholder cells for it, and the
// cluster itself is written straight to the terminal after each update.
struct Overlay {
    int x = 0, cells = 0;
    std::string text;
    unsigned long attrs = 0;
};

class PanelWin {
public:
    PanelWin() = default;
    explicit PanelWin(const Rect& r);
    ~PanelWin();
    PanelWin(PanelWin&& o) noexcept;
    PanelWin& operator=(PanelWin&& o) noexcept;
    PanelWin(const PanelWin&) = delete;
    PanelWin& operator=(const PanelWin&) = delete;

    WINDOW* win() const { return win_; }
    explicit operator bool() const { return win_ != nullptr; }
    int height() const;
    int width() const;

    // The overlays of row y, replaced whenever the row is drawn.
    void set_overlays(int y, std::vector<Overlay> row);
    const std::vector<std::vector<Overlay>>& overlays() const { return overlays_; }

private:
    void reset();
    WINDOW* win_ = nullptr;
    PANEL* panel_ = nullptr;
    std::vector<std::vector<Overlay>> overlays_;  // by row
};

// Draws row at line y of w, padded to the window's width with the row's
// fill style. Every segment passes through sanitize() once more on the way
// out, so nothing can reach the terminal raw even if a caller forgot.
void put_row(PanelWin& w, int y, const Row& row, const Terminal& t);

// Call right after doupdate(): writes the overlays of every window given,
// then puts the cursor and the attributes back where ncurses left them.
void paint_overlays(std::initializer_list<const PanelWin*> wins, Terminal& t);

}  // namespace tacit::ui
