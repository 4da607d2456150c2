#include "tui/ui/view.hpp"

#include "tui/ui/draw.hpp"

namespace tacit::ui {

struct View::Impl {
    Terminal& t;
    Layout l;
    PanelWin title, convs, online, groups, sep, messages, status, input;

    explicit Impl(Terminal& term) : t(term) {}

    void rows_into(PanelWin& w, const std::vector<Row>& rows) {
        if (!w) return;
        for (int y = 0; y < w.height(); ++y)
            put_row(w, y, y < static_cast<int>(rows.size()) ? rows[static_cast<size_t>(y)] : Row{}, t);
    }
};

View::View(Terminal& t) : impl_(std::make_unique<Impl>(t)) { relayout(); }
View::~View() = default;

const Layout& View::layout() const { return impl_->l; }

void View::relayout() {
    Impl& v = *impl_;
    // Old windows go first so the panel stack never holds both sizes.
    v.title = PanelWin();
    v.convs = PanelWin();
    v.online = PanelWin();
    v.groups = PanelWin();
    v.sep = PanelWin();
    v.messages = PanelWin();
    v.status = PanelWin();
    v.input = PanelWin();
    v.l = compute_layout(v.t.rows(), v.t.cols());
    v.title = PanelWin(v.l.title);
    v.convs = PanelWin(v.l.convs);
    v.online = PanelWin(v.l.online);
    v.groups = PanelWin(v.l.groups);
    v.sep = PanelWin(v.l.separator);
    v.messages = PanelWin(v.l.messages);
    v.status = PanelWin(v.l.status);
    v.input = PanelWin(v.l.input);
    if (v.input) leaveok(v.input.win(), FALSE);
}

void View::render(Model& m, const Extras& x, unsigned dirty) {
    Impl& v = *impl_;
    if (dirty == 0) return;
    // The status bar shows activity and the title member counts, so they
    // follow the lists they summarise.
    if (dirty & (kPaneConvList | kPaneMessages)) dirty |= kPaneStatus;
    const bool title_dirty = dirty & (kPaneStatus | kPaneConvList | kPaneGroups | kPaneOnline);
    const Glyphs& g = v.t.glyphs();

    if (v.title && title_dirty) put_row(v.title, 0, title_row(m, x, v.title.width()), v.t);
    if (dirty & kPaneConvList) v.rows_into(v.convs, conversation_rows(m, v.convs.height(), v.convs.width()));
    if (dirty & kPaneOnline) v.rows_into(v.online, online_rows(m, g, v.online.height(), v.online.width()));
    if (dirty & kPaneGroups) v.rows_into(v.groups, group_rows(m, v.groups.height(), v.groups.width()));
    if (v.sep && (dirty & kPaneAll) == kPaneAll) {
        const auto a = static_cast<chtype>(v.t.attr(Style::Separator));
        wattrset(v.sep.win(), static_cast<int>(a));
        mvwvline(v.sep.win(), 0, 0, ACS_VLINE | a, v.sep.height());
    }
    if (dirty & kPaneMessages) v.rows_into(v.messages, message_rows(m, g, v.messages.height(), v.messages.width()));
    if (v.status && (dirty & kPaneStatus)) {
        Extras sx = x;
        sx.compact = v.l.compact;
        put_row(v.status, 0, status_row(m, sx, g, v.status.width()), v.t);
    }
    update_panels();
    if (v.input) {
        // Redrawn every pass: it is one line, and this also puts the cursor
        // back after the other windows.
        InputRow in = input_row(m, x, v.input.width());
        put_row(v.input, 0, in.row, v.t);
        wmove(v.input.win(), 0, in.cursor_x);
        wnoutrefresh(v.input.win());
    }
    doupdate();
    paint_overlays({&v.title, &v.convs, &v.online, &v.groups, &v.messages, &v.status, &v.input}, v.t);
}

}  // namespace tacit::ui
