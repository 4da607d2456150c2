#include "tui/ui/format.hpp"

#include <algorithm>
#include <ctime>

#include "tui/ui/width.hpp"

namespace tacit::ui {

int Row::width() const {
    int w = 0;
    for (const auto& s : segs) w += display_width(s.text);
    return w;
}

Row& Row::add(std::string text, Style s, int hue) {
    segs.push_back(Segment{std::move(text), s, hue});
    return *this;
}

Row& Row::fit(int w) {
    int used = 0;
    for (size_t i = 0; i < segs.size(); ++i) {
        int sw = display_width(segs[i].text);
        if (used + sw <= w) {
            used += sw;
            continue;
        }
        segs[i].text = truncate_to_width(segs[i].text, std::max(0, w - used));
        segs.resize(i + 1);
        break;
    }
    return *this;
}

Glyphs Glyphs::unicode() { return {"\u2713", "!", "\u25CF", "\u2502", "\u2713"}; }
Glyphs Glyphs::ascii() { return {"+", "!", "*", "|", "ok"}; }

int nick_hue(std::string_view nick) {
    uint32_t h = 2166136261u;  // FNV-1a: stable across runs and machines
    for (unsigned char c : nick) h = (h ^ c) * 16777619u;
    return static_cast<int>(h % kNickHues);
}


namespace {
std::string local_time(uint64_t time_ms, const char* format) {
    std::time_t t = static_cast<std::time_t>(time_ms / 1000);
    std::tm tm{};
    if (!localtime_r(&t, &tm)) return "?";
    char buf[32];
    return std::strftime(buf, sizeof buf, format, &tm) ? buf : "?";
}
}  // namespace

std::string clock_hhmm(uint64_t time_ms) {
    auto s = local_time(time_ms, "%H:%M");
    return s == "?" ? "--:--" : s;
}

std::string date_ymd(uint64_t time_ms) { return local_time(time_ms, "%Y-%m-%d"); }

Row day_row(uint64_t time_ms, int width) {
    Row r;
    r.add("-- day changed to " + local_time(time_ms, "%a %Y-%m-%d") + " --", Style::Dim);
    return std::move(r.fit(std::max(0, width)));
}

namespace {

Style nick_style(const Line& l, const LineFormat& f) {
    if (l.system) return Style::System;
    if (l.mention) return Style::Mention;
    return l.from == f.me ? Style::OwnNick : Style::Nick;
}

std::vector<Row> format_inline(const Line& l, const LineFormat& f) {
    std::string head = l.system ? "-!-" : l.from;
    std::string mark = l.system ? "" : (l.verified ? f.glyphs.verified : f.glyphs.unverified);
    std::string full = head + mark + " " + l.text;
    std::vector<Row> out;
    const Style ts = l.system ? Style::System : Style::Normal;
    size_t consumed = 0;  // bytes of `full` already placed, to know where the head ends
    for (auto& piece : wrap(full, f.width)) {
        Row r;
        // wrap() keeps byte order and only drops break spaces, so the head is
        // a prefix of the first row(s).
        size_t at = full.find(piece, consumed);
        if (at == std::string::npos) at = consumed;
        size_t head_end = head.size(), mark_end = head.size() + mark.size();
        size_t pos = at;
        auto take = [&](size_t until, Style s, int hue) {
            if (pos >= until || pos >= at + piece.size()) return;
            size_t n = std::min(until, at + piece.size()) - pos;
            r.add(piece.substr(pos - at, n), s, hue);
            pos += n;
        };
        take(head_end, nick_style(l, f), nick_hue(l.from));
        take(mark_end, l.verified ? Style::Verified : Style::Unverified, -1);
        take(at + piece.size(), ts, -1);
        consumed = at + piece.size();
        out.push_back(std::move(r));
    }
    return out;
}

}  // namespace

std::vector<Row> format_line(const Line& line, const LineFormat& f) {
    // An action reads "* alice waves": the star in the nick column.
    Line act;
    if (line.action) {
        act = line;
        act.from = std::string(1, '*');  // not = "*": GCC 12 -O2 gives a false string warning
        act.text = line.from + " " + line.text;
        act.action = false;
    }
    const Line& l = line.action ? act : line;
    const int width = std::max(1, f.width);
    const int time_w = f.show_time ? 6 : 0;                   // "14:05 "
    const int prefix_w = time_w + 2 + f.nick_width + 3;       // "✓ " nick " │ "
    if (width - prefix_w < 24) {
        LineFormat g = f;
        g.width = width;
        return format_inline(l, g);
    }
    const std::string time = f.show_time ? clock_hhmm(l.time_ms) + " " : "";
    std::string mark = l.system ? " " : (l.verified ? f.glyphs.verified : f.glyphs.unverified);
    std::string nick = l.system ? "-!-" : l.from;
    std::string shown = truncate_to_width(nick, f.nick_width, true);
    std::string pad(static_cast<size_t>(f.nick_width - display_width(shown)), ' ');
    const Style ts = l.system ? Style::System : Style::Normal;

    std::vector<Row> out;
    auto pieces = wrap(l.text, width - prefix_w);
    if (pieces.empty()) pieces.emplace_back();
    for (size_t i = 0; i < pieces.size(); ++i) {
        Row r;
        if (i == 0) {
            if (!time.empty()) r.add(time, Style::Time);
            r.add(mark, l.verified ? Style::Verified : Style::Unverified);
            r.add(" " + pad, Style::Normal);
            r.add(shown, nick_style(l, f), nick_hue(l.from));
        } else {
            r.add(std::string(static_cast<size_t>(time_w + 2 + f.nick_width), ' '), Style::Normal);
        }
        r.add(" " + f.glyphs.sep + " ", Style::Separator);
        r.add(pieces[i], ts);
        out.push_back(std::move(r));
    }
    return out;
}

int nick_column(const Conversation& c, int pane_width) {
    int w = 3;  // "-!-"
    size_t from = c.lines.size() > 300 ? c.lines.size() - 300 : 0;
    for (size_t i = from; i < c.lines.size(); ++i)
        if (!c.lines[i].system) w = std::max(w, display_width(c.lines[i].from));
    return std::clamp(w, 3, std::max(3, std::min(16, pane_width / 6)));
}

}  // namespace tacit::ui
