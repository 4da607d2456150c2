#include "tui/ui/draw.hpp"

#include <utility>

#include "tui/ui/graphemes.hpp"
#include "tui/ui/sanitize.hpp"
#include "tui/ui/width.hpp"

namespace tacit::ui {

namespace {

// Placeholder cells carry an attribute no real cell has, so ncurses never
// takes a later real cell for one and always rewrites such cells.
constexpr attr_t kPlaceholder = A_INVIS;

// Whether ncursesw stores the cluster as the terminal draws it: cells of one
// spacing character and at most CCHARW_MAX - 1 zero-width ones, as wide as
// the sum of wcwidth, which must be the width the terminal gives it.
bool curses_holds(std::string_view cluster) {
    ClusterCells cells = cluster_cells(cluster);
    return cells.sum == cluster_width(cluster) && cells.longest_marks <= CCHARW_MAX - 1;
}

// Terminfo strings with their padding ("$<5>") taken out: the overlay is
// written with write(2), not through tputs.
std::string without_padding(const char* cap) {
    std::string out;
    for (const char* p = cap; p && *p; ++p) {
        if (p[0] == '$' && p[1] == '<') {
            while (*p && *p != '>') ++p;
            if (!*p) break;
            continue;
        }
        out += *p;
    }
    return out;
}

std::string cursor_to(int y, int x) {
    const char* cup = tigetstr("cup");
    if (!cup || cup == reinterpret_cast<char*>(-1)) return {};
    return without_padding(tiparm(cup, y, x));
}

// vid_puts() writes through a plain function pointer; this is where it goes.
std::string* g_sgr_out = nullptr;
int sgr_putc(int c) {
    if (g_sgr_out) *g_sgr_out += static_cast<char>(c);
    return c;
}

// The attribute change, in the terminal's own terms; ncurses records it as
// the terminal's current attributes.
void set_attrs(std::string& out, unsigned long attrs) {
    g_sgr_out = &out;
    vid_puts(static_cast<attr_t>(attrs) & ~A_COLOR, static_cast<short>(PAIR_NUMBER(attrs)), nullptr, sgr_putc);
    g_sgr_out = nullptr;
}

}  // namespace

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
    overlays_.clear();
}

PanelWin::PanelWin(PanelWin&& o) noexcept
    : win_(std::exchange(o.win_, nullptr)),
      panel_(std::exchange(o.panel_, nullptr)),
      overlays_(std::move(o.overlays_)) {}

PanelWin& PanelWin::operator=(PanelWin&& o) noexcept {
    if (this != &o) {
        reset();
        win_ = std::exchange(o.win_, nullptr);
        panel_ = std::exchange(o.panel_, nullptr);
        overlays_ = std::move(o.overlays_);
    }
    return *this;
}

void PanelWin::set_overlays(int y, std::vector<Overlay> row) {
    if (y < 0 || y >= height()) return;
    if (overlays_.size() < static_cast<size_t>(height())) overlays_.resize(static_cast<size_t>(height()));
    overlays_[static_cast<size_t>(y)] = std::move(row);
}

int PanelWin::height() const { return win_ ? getmaxy(win_) : 0; }
int PanelWin::width() const { return win_ ? getmaxx(win_) : 0; }

namespace {

// Writes text at (y, x) of w, clusters ncurses can't hold as placeholders
// plus overlays; returns the cells used.
int put_clusters(WINDOW* w, int y, int x, std::string_view text, unsigned long attrs, std::vector<Overlay>& over) {
    wattrset(w, static_cast<int>(attrs));
    wmove(w, y, x);
    const int x0 = x;
    size_t run = 0, start = 0;  // bytes not yet handed to ncurses, and the cluster's start
    for (size_t end : grapheme_ends(text)) {
        std::string_view c = text.substr(start, end - start);
        const int cw = cluster_width(c);
        if (!curses_holds(c)) {
            waddnstr(w, text.data() + run, static_cast<int>(start - run));
            wattrset(w, static_cast<int>(attrs | kPlaceholder));
            for (int i = 0; i < cw; ++i) waddch(w, ' ');
            wattrset(w, static_cast<int>(attrs));
            over.push_back(Overlay{x, cw, std::string(c), attrs});
            run = end;
        }
        x += cw;
        start = end;
    }
    waddnstr(w, text.data() + run, static_cast<int>(text.size() - run));
    return x - x0;
}

}  // namespace

void put_row(PanelWin& pw, int y, const Row& row, const Terminal& t) {
    WINDOW* w = pw.win();
    if (!w || y < 0 || y >= getmaxy(w)) return;
    const int width = getmaxx(w);
    // The row starts from blank cells. Writing a narrow character over the
    // left half of a wide one leaves ncursesw's right-half cell behind, and
    // whline() from such a cell blanks the cell before it, which is the last
    // character just written (issue 17: "...01234567" for "...012345678").
    wattrset(w, A_NORMAL);
    wmove(w, y, 0);
    wclrtoeol(w);
    std::vector<Overlay> over;
    int x = 0;
    for (const auto& s : row.segs) {
        if (x >= width) break;
        std::string safe = truncate_to_width(sanitize(s.text), width - x);
        if (safe.empty()) continue;
        x += put_clusters(w, y, x, safe, t.attr(s.style, s.hue), over);
    }
    if (x < width) {
        const auto a = static_cast<chtype>(t.attr(row.fill));
        wattrset(w, static_cast<int>(a));
        mvwhline(w, y, x, ' ' | a, width - x);
    }
    wattrset(w, A_NORMAL);
    pw.set_overlays(y, std::move(over));
}

void paint_overlays(std::initializer_list<const PanelWin*> wins, Terminal& t) {
    std::string out;
    for (const PanelWin* pw : wins) {
        if (!pw || !*pw) continue;
        const int by = getbegy(pw->win()), bx = getbegx(pw->win());
        const auto& rows = pw->overlays();
        for (size_t y = 0; y < rows.size(); ++y)
            for (const Overlay& o : rows[y]) {
                // Placed explicitly before and after: wherever the terminal
                // leaves the cursor after the cluster, nothing else depends on it.
                out += cursor_to(by + static_cast<int>(y), bx + o.x);
                set_attrs(out, o.attrs);
                out += o.text;
            }
    }
    if (out.empty()) return;
    set_attrs(out, A_NORMAL);
    out += cursor_to(getcury(curscr), getcurx(curscr));
    t.write_raw(out);
}

}  // namespace tacit::ui
