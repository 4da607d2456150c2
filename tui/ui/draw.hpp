// Shared curses helpers for the view files: a window in a panel (RAII) and
// drawing a styled Row. Includes curses.h, so only tui/ui .cpp files use it.
#pragma once
#include <curses.h>
#include <panel.h>

#include <string_view>

#include "tui/ui/format.hpp"
#include "tui/ui/layout.hpp"
#include "tui/ui/terminal.hpp"

namespace tacit::ui {

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

private:
    void reset();
    WINDOW* win_ = nullptr;
    PANEL* panel_ = nullptr;
};

// Draws row at line y of w, padded to the window's width with the row's
// fill style. Every segment passes through sanitize() once more on the way
// out, so nothing can reach the terminal raw even if a caller forgot.
void put_row(WINDOW* w, int y, const Row& row, const Terminal& t);
void put_text(WINDOW* w, int y, int x, std::string_view text, unsigned long attrs);

}  // namespace tacit::ui
