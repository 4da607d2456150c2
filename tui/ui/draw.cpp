#include "tui/ui/draw.hpp"

#include <utility>

#include "tui/ui/sanitize.hpp"
#include "tui/ui/width.hpp"

namespace tacit::ui {

PanelWin::PanelWin(const Rect& r) {
    if (r.empty()) return;
    win_ = newwin(r.h, r.w, r.y, r.x);
    if (!win_) return;
    panel_ = new_panel(win_);
    leaveok(win_, TRUE);  // only the input line positions the cursor
}

PanelWin::~PanelWin() { reset(); }

void PanelWin::reset() {
    if (panel_) del_panel(panel_);
    if (win_) delwin(win_);
    panel_ = nullptr;
    win_ = nullptr;
}

PanelWin::PanelWin(PanelWin&& o) noexcept
    : win_(std::exchange(o.win_, nullptr)), panel_(std::exchange(o.panel_, nullptr)) {}

PanelWin& PanelWin::operator=(PanelWin&& o) noexcept {
    if (this != &o) {
        reset();
        win_ = std::exchange(o.win_, nullptr);
        panel_ = std::exchange(o.panel_, nullptr);
    }
    return *this;
}

int PanelWin::height() const { return win_ ? getmaxy(win_) : 0; }
int PanelWin::width() const { return win_ ? getmaxx(win_) : 0; }

void put_text(WINDOW* w, int y, int x, std::string_view text, unsigned long attrs) {
    if (!w) return;
    const int width = getmaxx(w);
    if (y < 0 || y >= getmaxy(w) || x >= width) return;
    std::string safe = truncate_to_width(sanitize(text), width - x);
    wattrset(w, static_cast<int>(attrs));
    mvwaddnstr(w, y, x, safe.c_str(), static_cast<int>(safe.size()));
}

void put_row(WINDOW* w, int y, const Row& row, const Terminal& t) {
    if (!w || y < 0 || y >= getmaxy(w)) return;
    const int width = getmaxx(w);
    // The row starts from blank cells. Writing a narrow character over the
    // left half of a wide one leaves ncursesw's right-half cell behind, and
    // whline() from such a cell blanks the cell before it, which is the last
    // character just written (issue 17: "...01234567" for "...012345678").
    wattrset(w, A_NORMAL);
    wmove(w, y, 0);
    wclrtoeol(w);
    int x = 0;
    for (const auto& s : row.segs) {
        if (x >= width) break;
        std::string safe = truncate_to_width(sanitize(s.text), width - x);
        if (safe.empty()) continue;
        wattrset(w, static_cast<int>(t.attr(s.style, s.hue)));
        mvwaddnstr(w, y, x, safe.c_str(), static_cast<int>(safe.size()));
        x += display_width(safe);
    }
    if (x < width) {
        const auto a = static_cast<chtype>(t.attr(row.fill));
        wattrset(w, static_cast<int>(a));
        mvwhline(w, y, x, ' ' | a, width - x);
    }
    wattrset(w, A_NORMAL);
}

}  // namespace tacit::ui
