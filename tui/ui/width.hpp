// Display width of UTF-8 text in terminal cells, and wrapping/truncation
// that never splits an extended grapheme cluster (tui/ui/graphemes.hpp) and
// never puts a double-width character across the right edge. A cluster is
// as wide as the terminal moves the cursor for it, which depends on the
// terminal: see WidthRule.
#pragma once
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tacit::ui {

// Makes LC_CTYPE a UTF-8 locale (the user's if it is UTF-8, else C.UTF-8),
// which wcwidth() and ncursesw both need. Idempotent; returns false if no
// UTF-8 locale exists. Only LC_CTYPE changes, so number formatting stays "C".
bool ensure_utf8_locale();

// Cells for one code point: 0 for combining marks, 2 for CJK and emoji.
// Non-printable or unassigned code points count as 1 (the sanitizer has
// already replaced real controls with visible text).
int cp_width(char32_t cp);

// How far the terminal moves the cursor for a cluster of several code points.
//   Sum:  by the sum of their wcwidth() (xterm, the Linux console, most).
//   Tmux: as tmux 3.3a: a zero-width code point adds nothing, a wide code
//         point right after U+200D joins the cell before it, and the others
//         add their wcwidth(). So a ZWJ family takes 2 cells, a rainbow flag
//         (U+1F3F3 U+FE0F U+200D U+1F308) 1, a skin-tone emoji 4.
enum class WidthRule { Sum, Tmux };

// The config setting width = auto|tmux|sum; auto is tmux inside tmux
// ($TMUX set, or TERM naming tmux), else sum. nullopt for another value.
std::optional<WidthRule> choose_width_rule(std::string_view setting, const char* tmux_env, const char* term_env);
// Process-wide, like the locale: set once at start-up (default Sum);
// cluster_width() and everything measuring text follow it.
void set_width_rule(WidthRule r);

// Cells for one cluster under the current rule.
int cluster_width(std::string_view cluster);
// A cluster's width under each rule, and its longest run of zero-width code
// points (a curses cell holds only so many: tui/ui/draw.cpp).
struct ClusterCells {
    int sum = 0, tmux = 0, longest_marks = 0;
};
ClusterCells cluster_cells(std::string_view cluster);
int display_width(std::string_view utf8);

// Byte end of the cluster at pos, and byte start of the one ending at pos.
size_t next_grapheme(std::string_view s, size_t pos);
size_t prev_grapheme(std::string_view s, size_t pos);

// Wraps on spaces when it can (the space at a break is dropped), splits
// words longer than width, and keeps '\n' as a hard break. Every line has
// display_width <= width (width < 1 is treated as 1; at width 1 a
// cluster wider than the line is shown as "?", since it cannot fit).
std::vector<std::string> wrap(std::string_view utf8, int width);

// Longest prefix that fits in width cells; with ellipsis, a cut string ends
// in "…" (still within width).
std::string truncate_to_width(std::string_view utf8, int width, bool ellipsis = false);

// Truncates, then pads with spaces to exactly width cells.
std::string pad_to_width(std::string_view utf8, int width);

}  // namespace tacit::ui
