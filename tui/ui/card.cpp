#include "tui/ui/card.hpp"

#include <poll.h>

#include <algorithm>

#include "tui/ui/draw.hpp"
#include "tui/ui/width.hpp"

namespace tacit::ui {

void Card::begin(const Terminal& t, int max_width) {
    rows.clear();
    cursor_row = -1;
    width = std::max(10, std::min(max_width, t.cols() - 2));
}

void Card::line(std::string text, Style s) {
    Row r;
    r.add(std::move(text), s);
    rows.push_back(std::move(r.fit(width)));
}

void Card::para(const std::string& text, Style s) {
    for (auto& piece : wrap(text, width)) line(piece, s);
}

void Card::block(const std::string& text, int indent, Style s) {
    const std::string pad(static_cast<size_t>(std::clamp(indent, 0, width - 1)), ' ');
    for (auto& piece : wrap(text, width - static_cast<int>(pad.size()))) line(pad + piece, s);
}

struct CardScreen::Impl {
    Terminal& t;
    PanelWin win;
    int rows = -1, cols = -1;
    int top = 0;  // first shown row when the card is taller than the screen
};

CardScreen::CardScreen(Terminal& t) : impl_(std::make_unique<Impl>(Impl{t, {}, -1, -1, 0})) {}
CardScreen::~CardScreen() = default;

void CardScreen::show(const Card& c) {
    Impl& s = *impl_;
    if (s.rows != s.t.rows() || s.cols != s.t.cols() || !s.win) {
        s.win = PanelWin();
        s.rows = s.t.rows();
        s.cols = s.t.cols();
        s.win = PanelWin(Rect{0, 0, s.rows, s.cols});
        s.t.force_repaint();
    }
    if (!s.win) return;
    WINDOW* w = s.win.win();
    // Blank rows go first when the terminal is too short for all of them.
    std::vector<const Row*> shown;
    int cursor = -1, keep0 = -1, keep1 = -1;
    const int spare = static_cast<int>(c.rows.size()) - s.rows;
    int dropped = 0;
    for (size_t i = 0; i < c.rows.size(); ++i) {
        if (dropped < spare && c.rows[i].segs.empty() && static_cast<int>(i) != c.cursor_row) {
            ++dropped;
            continue;
        }
        const int at = static_cast<int>(shown.size());
        if (static_cast<int>(i) == c.cursor_row) cursor = at;
        if (static_cast<int>(i) >= c.keep_first && static_cast<int>(i) <= c.keep_last) {
            if (keep0 < 0) keep0 = at;
            keep1 = at;
        }
        shown.push_back(&c.rows[i]);
    }
    const int n = static_cast<int>(shown.size());
    // Taller than the screen: a window of rows, the kept ones inside it.
    int lo = 0, hi = std::max(0, n - s.rows);
    if (keep0 >= 0 && n > s.rows) {
        lo = std::clamp(keep1 - s.rows + 1, 0, hi);
        hi = std::clamp(keep0, lo, hi);
    }
    s.top = std::clamp(s.top, lo, hi);
    shown.erase(shown.begin(), shown.begin() + s.top);
    cursor -= s.top;
    const int y0 = std::max(0, (s.rows - (n - s.top)) / 2);
    const int x0 = std::max(0, (s.cols - c.width) / 2);
    const std::string indent(static_cast<size_t>(x0), ' ');
    for (int y = 0; y < s.rows; ++y) {
        Row r;
        int i = y - y0;
        if (i >= 0 && i < static_cast<int>(shown.size())) {
            r = *shown[static_cast<size_t>(i)];
            r.segs.insert(r.segs.begin(), Segment{indent, Style::Normal, -1});
        }
        put_row(s.win, y, r, s.t);
    }
    update_panels();
    if (cursor >= 0 && y0 + cursor < s.rows) {
        curs_set(1);
        leaveok(w, FALSE);
        wmove(w, y0 + cursor, std::min(s.cols - 1, x0 + c.cursor_x));
        wnoutrefresh(w);
    } else {
        curs_set(0);
    }
    doupdate();
    paint_overlays({&s.win}, s.t);
}

void CardScreen::scroll_by(int rows) { impl_->top = std::max(0, impl_->top + rows); }

std::optional<Input> wait_input(Terminal& t, int timeout_ms) {
    if (auto in = t.read()) return in;
    // At most a second per wait, so that Terminal::read notices a resize
    // whose SIGWINCH was lost; EINTR (SIGWINCH) just returns early.
    pollfd p{0, POLLIN, 0};
    ::poll(&p, 1, timeout_ms < 0 || timeout_ms > 1000 ? 1000 : timeout_ms);
    return t.read();
}

}  // namespace tacit::ui
