// Display width of UTF-8 text in terminal cells, and wrapping/truncation
// that never splits a code point, never separates a combining mark from its
// base, and never puts a double-width character across the right edge.
#pragma once
#include <cstddef>
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

int display_width(std::string_view utf8);

// A grapheme here is a code point plus the zero-width code points (combining
// marks, ZWJ, variation selectors) that follow it. Returns the byte end.
size_t next_grapheme(std::string_view s, size_t pos);
// Byte start of the grapheme that ends at pos.
size_t prev_grapheme(std::string_view s, size_t pos);

// Wraps on spaces when it can (the space at a break is dropped), splits
// words longer than width, and keeps '\n' as a hard break. Every line has
// display_width <= width (width < 1 is treated as 1; at width 1 a
// double-width grapheme is shown as "?", since it cannot fit).
std::vector<std::string> wrap(std::string_view utf8, int width);

// Longest prefix that fits in width cells; with ellipsis, a cut string ends
// in "…" (still within width).
std::string truncate_to_width(std::string_view utf8, int width, bool ellipsis = false);

// Truncates, then pads with spaces to exactly width cells.
std::string pad_to_width(std::string_view utf8, int width);

}  // namespace tacit::ui
