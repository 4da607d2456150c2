// Styled text rows: what the view draws, built without curses so the look
// of every pane is unit-tested. A Row is a list of segments whose total
// display width never exceeds the width it was built for; the view pads it
// with the row's fill style.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tui/ui/model.hpp"

namespace tacit::ui {

// Roles, not colours: the terminal maps each to colour and attributes, or
// to attributes only with NO_COLOR or on a monochrome terminal.
enum class Style : unsigned char {
    Normal, Dim, Time, Nick, OwnNick, Verified, Unverified, System, Mention, Error,
    Bar, BarDim, BarGood, BarAlert, BarActivity, BarMention,
    Header, HeaderFocus, Active, Cursor, Unread, Highlight, Muted, Online, Prompt, Separator,
    kCount
};

struct Segment {
    std::string text;
    Style style = Style::Normal;
    int hue = -1;  // for Nick: which of the nick colours
};

struct Row {
    std::vector<Segment> segs;
    Style fill = Style::Normal;  // for the cells right of the last segment
    int width() const;
    Row& add(std::string text, Style s, int hue = -1);
    // Cuts segments (never inside a character) so width() <= w.
    Row& fit(int w);
};

// Marks drawn by the client itself. ASCII on terminals whose fonts lack
// the symbols (the Linux console).
struct Glyphs {
    std::string verified, unverified, online, sep, ok;
    static Glyphs unicode();
    static Glyphs ascii();
};

inline constexpr int kNickHues = 6;
int nick_hue(std::string_view nick);

// "14:05" in local time.
std::string clock_hhmm(uint64_t time_ms);
// "2026-12-04" in local time: /search results, and the key days are told
// apart by.
std::string date_ymd(uint64_t time_ms);

struct LineFormat {
    int width = 80;
    int nick_width = 8;  // the aligned nick column
    bool show_time = true;
    std::string me;      // own nick, drawn in its own style
    Glyphs glyphs = Glyphs::unicode();
};

// Aligned (WeeChat style) when the pane is wide enough:
//   "14:05 ✓   bob │ text that wraps"
//   "              │ under itself"
// otherwise inline: "bob✓ text that wraps" / "under the nick".
std::vector<Row> format_line(const Line& line, const LineFormat& f);

// The line drawn between two lines of different local days, as WeeChat
// does: "-- day changed to Fri 2026-12-04 --".
Row day_row(uint64_t time_ms, int width);

// The nick column for a conversation: its longest sender, within bounds.
int nick_column(const Conversation& c, int pane_width);

}  // namespace tacit::ui
