#include "tui/ui/panes.hpp"

#include <algorithm>

#include "tui/ui/plural.hpp"
#include "tui/ui/width.hpp"

namespace tacit::ui {

namespace {

std::string num(size_t n) { return std::to_string(n); }

// First entry to show so that `keep` stays visible in `rows` rows.
size_t first_visible(size_t keep, size_t count, int rows) {
    if (rows <= 0 || count <= static_cast<size_t>(rows)) return 0;
    size_t r = static_cast<size_t>(rows);
    size_t first = keep >= r ? keep - r + 1 : 0;
    return std::min(first, count - r);
}

Row header(std::string_view title, size_t count, bool focused, int width) {
    Style s = focused ? Style::HeaderFocus : Style::Header;
    Row r;
    r.fill = s;
    r.add(" " + std::string(title), s);
    if (count) r.add(" " + num(count), s);
    r.fit(width);
    return r;
}

// "name ... right", right ending one cell before the edge.
Row entry(std::string_view left, Style ls, std::string_view right, Style rs, Style fill, int width) {
    Row r;
    r.fill = fill;
    const int rw = display_width(right);
    const int room = std::max(0, width - 1 - rw - (rw ? 1 : 0));
    std::string l = truncate_to_width(left, room, true);
    r.add(l, ls);
    if (rw && width - 1 > rw) {
        r.add(std::string(static_cast<size_t>(width - 1 - display_width(l) - rw), ' '), fill);
        r.add(std::string(right), rs);
    }
    r.fit(width);
    return r;
}

}  // namespace

std::string conversation_label(const std::string& key) {
    return key == kStatusKey ? "(status)" : key;
}

Row title_row(const Model& m, const Extras& x, int width) {
    Row r;
    r.fill = Style::Bar;
    const Conversation& c = m.active();
    if (c.key == kStatusKey) {
        r.add(" tacit", Style::Bar).add("  status window · /help lists commands", Style::BarDim);
    } else if (c.is_group()) {
        int members = 0;
        for (const auto& g : m.groups())
            if ("#" + g.name == c.key) members = g.members;
        r.add(" " + c.key, Style::Bar);
        r.add("  group", Style::BarDim);
        if (members) r.add(" · " + counted(static_cast<size_t>(members), "member"), Style::BarDim);
        r.add(" · end-to-end encrypted", Style::BarDim);
    } else {
        r.add(" " + c.key, Style::Bar).add("  direct", Style::BarDim);
        const bool on = std::binary_search(m.online().begin(), m.online().end(), c.key);
        r.add(on ? " · online" : " · offline", on ? Style::BarGood : Style::BarDim);
        if (std::find(x.key_changed.begin(), x.key_changed.end(), c.key) != x.key_changed.end())
            r.add(" · KEY CHANGED: check it, then /accept-key " + c.key, Style::BarAlert);
        else
            r.add(" · end-to-end encrypted", Style::BarDim);
    }
    if (m.muted(c.key)) r.add(" · muted", Style::BarDim);
    return r.fit(width);
}

Row status_row(const Model& m, const Extras& x, const Glyphs& g, int width) {
    const Status& s = m.status();
    // Items in display order with a priority: when the bar is too narrow,
    // the least important (highest number) go first.
    struct Item {
        Row r;
        int prio;
    };
    std::vector<Item> items;
    auto item = [&](int prio) -> Row& {
        items.push_back({Row{}, prio});
        items.back().r.add("[", Style::BarDim);
        return items.back().r;
    };
    if (!x.clock.empty()) item(5).add(x.clock, Style::Bar);
    item(2).add(s.user.empty() ? "-" : s.user, Style::Bar);
    if (!s.server.empty()) item(6).add(s.server, Style::BarDim);
    item(0).add(s.connection.empty() ? "offline" : s.connection,
                s.connection == "connected" ? Style::BarGood : Style::BarAlert);
    if (!x.key_changed.empty()) item(1).add("key changed: " + x.key_changed.front(), Style::BarAlert);
    else item(4).add(s.key_state.empty() ? "e2e " + g.ok : s.key_state, Style::BarGood);
    if (!x.pending.empty()) item(1).add("waiting " + x.pending, Style::BarActivity);
    if (x.compact) item(3).add(num(m.active_index() + 1) + ":" + conversation_label(m.active().key), Style::Bar);
    // Activity, irssi style: window numbers, mentions stand out.
    Row act;
    const auto& cs = m.conversations();
    for (size_t i = 0; i < cs.size(); ++i) {
        if (i == m.active_index() || m.muted(cs[i].key) || !(cs[i].activity || cs[i].mention)) continue;
        if (!act.segs.empty()) act.add(",", Style::BarDim);
        act.add(num(i + 1), cs[i].mention ? Style::BarMention : Style::BarActivity);
    }
    if (!act.segs.empty()) {
        Row& r = item(1).add("Act: ", Style::Bar);
        for (auto& seg : act.segs) r.segs.push_back(seg);
    }
    if (m.active().scroll > 0) item(1).add("more " + num(static_cast<size_t>(m.active().scroll)), Style::BarActivity);
    for (auto& it : items) it.r.add("] ", Style::BarDim);

    auto total = [&] {
        int w = 0;
        for (const auto& it : items) w += it.r.width();
        return w;
    };
    while (total() > width && items.size() > 1) {
        auto worst = std::max_element(items.begin(), items.end(),
                                      [](const Item& a, const Item& b) { return a.prio < b.prio; });
        if (worst->prio == 0) break;
        items.erase(worst);
    }
    Row r;
    r.fill = Style::Bar;
    for (auto& it : items)
        for (auto& seg : it.r.segs) r.segs.push_back(std::move(seg));
    return r.fit(width);
}

InputRow input_row(Model& m, const Extras& x, int width) {
    InputRow out;
    Row& r = out.row;
    if (!x.prompt.empty()) {
        r.add(x.prompt + ": ", Style::Prompt);
        r.add(std::string(std::min<size_t>(x.prompt_len, 64), '*'), Style::Normal);
        r.fit(width);
        out.cursor_x = std::min(width - 1, r.width());
        return out;
    }
    std::string p = "[" + conversation_label(m.active().key) + "] ";
    if (m.focus() == Focus::Results) p = "[Enter: go to it, Esc: back] ";
    else if (m.focus() != Focus::Input) p = "[Tab/Esc: back to input] ";
    p = truncate_to_width(p, std::max(0, width / 3));
    r.add(p, Style::Prompt);
    int room = std::max(1, width - display_width(p));
    VisibleLine v = m.editor().visible(room);
    r.add(v.text, Style::Normal);
    r.fit(width);
    out.cursor_x = std::min(width - 1, display_width(p) + v.cursor_col);
    return out;
}

std::vector<Row> conversation_rows(const Model& m, int height, int width) {
    std::vector<Row> out;
    if (height <= 0 || width <= 0) return out;
    const bool focused = m.focus() == Focus::Conversations;
    const auto& cs = m.conversations();
    out.push_back(header(width >= 16 ? "Conversations" : "Chats", 0, focused, width));
    const size_t keep = focused ? m.selection(Focus::Conversations) : m.active_index();
    for (size_t i = first_visible(keep, cs.size(), height - 1);
         i < cs.size() && static_cast<int>(out.size()) < height; ++i) {
        const Conversation& c = cs[i];
        Style st = Style::Normal;
        if (m.muted(c.key)) st = Style::Muted;
        else if (c.mention) st = Style::Highlight;
        else if (c.activity) st = Style::Unread;
        Style fill = Style::Normal;
        if (i == m.active_index()) st = fill = Style::Active;
        if (focused && i == m.selection(Focus::Conversations)) fill = st = Style::Cursor;
        std::string n = i < 99 ? num(i + 1) : "";
        std::string left = std::string(n.size() < 2 ? 2 - n.size() : 0, ' ') + n + " " +
                           conversation_label(c.key);
        // A mention is marked with '@' too, so it stands out without colour.
        std::string right = c.unread > 0 ? (c.mention ? "@" : "") + num(static_cast<size_t>(c.unread))
                                         : (m.muted(c.key) ? "~" : "");
        out.push_back(entry(left, st, right, c.mention && fill == Style::Normal ? Style::Highlight : st,
                            fill, width));
    }
    return out;
}

std::vector<Row> online_rows(const Model& m, const Glyphs& g, int height, int width) {
    std::vector<Row> out;
    if (height <= 0 || width <= 0) return out;
    const bool focused = m.focus() == Focus::Online;
    const auto& us = m.online();
    out.push_back(header("Online", us.size(), focused, width));
    if (us.empty() && height > 1) out.push_back(entry(" (nobody)", Style::Dim, "", Style::Dim, Style::Normal, width));
    const size_t sel = m.selection(Focus::Online);
    for (size_t i = first_visible(focused ? sel : 0, us.size(), height - 1);
         i < us.size() && static_cast<int>(out.size()) < height; ++i) {
        const bool cur = focused && i == sel;
        Style fill = cur ? Style::Cursor : Style::Normal;
        Row r;
        r.fill = fill;
        r.add(" " + g.online + " ", cur ? fill : Style::Online);
        r.add(us[i], cur ? fill : (us[i] == m.status().user ? Style::OwnNick : Style::Normal));
        out.push_back(std::move(r.fit(width)));
    }
    return out;
}

std::vector<Row> group_rows(const Model& m, int height, int width) {
    std::vector<Row> out;
    if (height <= 0 || width <= 0) return out;
    const bool focused = m.focus() == Focus::Groups;
    const auto& gs = m.groups();
    out.push_back(header("Groups", gs.size(), focused, width));
    if (gs.empty() && height > 1) out.push_back(entry(" (none)", Style::Dim, "", Style::Dim, Style::Normal, width));
    const size_t sel = m.selection(Focus::Groups);
    for (size_t i = first_visible(focused ? sel : 0, gs.size(), height - 1);
         i < gs.size() && static_cast<int>(out.size()) < height; ++i) {
        const bool cur = focused && i == sel;
        Style fill = cur ? Style::Cursor : Style::Normal;
        std::string right = gs[i].members > 0 ? num(static_cast<size_t>(gs[i].members)) : "";
        out.push_back(entry(" #" + gs[i].name, fill, right, cur ? fill : Style::Dim, fill, width));
    }
    return out;
}

namespace {
LineFormat message_format(const Model& m, const Glyphs& g, int width) {
    LineFormat f;
    f.width = width;
    f.show_time = width >= 50;
    f.nick_width = nick_column(m.active(), width);
    f.me = m.status().user;
    f.glyphs = g;
    return f;
}
// Line i's rows, after a day-change row when its day is not the one of the
// line before, and after the read marker when the line before is the one
// it sits under; a /search result being picked, and the line a result
// jumped to, stand out.
std::vector<Row> line_rows(const Model& m, size_t i, const LineFormat& f) {
    const Conversation& c = m.active();
    const Line& l = c.lines[i];
    auto rows = format_line(l, f);
    Style mark = Style::Normal;
    if (m.focus() == Focus::Results && l.hit >= 0 && static_cast<size_t>(l.hit) == m.selection(Focus::Results))
        mark = Style::Cursor;
    else if (!l.id.empty() && l.id == c.marked)
        mark = Style::Highlight;
    if (mark != Style::Normal)
        for (auto& r : rows) {
            r.fill = mark;
            for (auto& seg : r.segs) seg.style = mark;
        }
    if (i > 0 && l.time_ms && c.lines[i - 1].time_ms && date_ymd(l.time_ms) != date_ymd(c.lines[i - 1].time_ms))
        rows.insert(rows.begin(), day_row(l.time_ms, f.width));
    if (i > 0 && !c.marker_id.empty() && c.lines[i - 1].id == c.marker_id)
        rows.insert(rows.begin(), std::move(Row().add("-- read marker --", Style::Separator).fit(f.width)));
    return rows;
}
}  // namespace

std::string terminal_title(const Model& m) {
    size_t unread = 0;
    for (const auto& c : m.conversations())
        if (!m.muted(c.key)) unread += static_cast<size_t>(std::max(0, c.unread));
    return unread ? "tacit: " + num(unread) + " unread" : "tacit";
}

int top_scroll(const Model& m, const Glyphs& g, int height, int width) {
    if (height <= 0 || width <= 0) return 0;
    const Conversation& c = m.active();
    const LineFormat f = message_format(m, g, width);
    // The first lines, oldest first, until they fill the pane.
    size_t rows = 0, i = 0;
    while (i < c.lines.size() && rows < static_cast<size_t>(height)) rows += line_rows(m, i++, f).size();
    return static_cast<int>(c.lines.size() - i);
}

std::vector<Row> message_rows(const Model& m, const Glyphs& g, int height, int width) {
    std::vector<Row> rows;
    if (height <= 0 || width <= 0) return rows;
    const Conversation& c = m.active();
    const LineFormat f = message_format(m, g, width);
    const int total = static_cast<int>(c.lines.size());
    int last = total - 1 - std::clamp(c.scroll, 0, std::max(0, total - 1));
    std::vector<Row> acc;  // built newest first, reversed at the end
    for (int i = last; i >= 0 && static_cast<int>(acc.size()) < height; --i) {
        auto lr = line_rows(m, static_cast<size_t>(i), f);
        for (auto it = lr.rbegin(); it != lr.rend() && static_cast<int>(acc.size()) < height; ++it)
            acc.push_back(std::move(*it));
    }
    rows.resize(static_cast<size_t>(height - static_cast<int>(acc.size())));
    for (auto it = acc.rbegin(); it != acc.rend(); ++it) rows.push_back(std::move(*it));
    return rows;
}

}  // namespace tacit::ui
