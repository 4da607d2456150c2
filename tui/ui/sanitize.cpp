#include "tui/ui/sanitize.hpp"

#include <cstdio>

#include "tui/ui/graphemes.hpp"
#include "tui/ui/utf8.hpp"
#include "tui/ui/width.hpp"

namespace tacit::ui {

namespace {
constexpr char32_t kZwj = 0x200D;

// Unicode's Bidi_Control set: embeddings, overrides, isolates and the
// invisible marks (ALM, LRM, RLM), which reorder or hide what is read.
bool is_bidi_control(char32_t cp) {
    return cp == 0x061C || cp == 0x200E || cp == 0x200F || (cp >= 0x202A && cp <= 0x202E) ||
           (cp >= 0x2066 && cp <= 0x2069);
}

// Invisible characters that split or hide words: ZERO WIDTH SPACE and the
// BOM used as ZERO WIDTH NO-BREAK SPACE.
bool is_invisible_space(char32_t cp) { return cp == 0x200B || cp == 0xFEFF; }

// A ZWJ is kept only where it joins an emoji sequence (UAX #29 GB11: an
// Extended_Pictographic, its Extend marks, ZWJ, Extended_Pictographic).
// Anywhere else it only hides a character boundary, or makes tmux draw the
// next wide character on top of the previous one.
bool joins_pictographs(char32_t before, std::string_view in, size_t next) {
    if (!is_extended_pictographic(before) || next >= in.size()) return false;
    Decoded d = decode_next(in, next);
    return d.valid && is_extended_pictographic(d.cp);
}

void append_escaped(std::string& out, char32_t cp) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "<U+%04X>", static_cast<unsigned>(cp));
    out += buf;
}
}  // namespace

bool is_unsafe_cp(char32_t cp) {
    return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || is_bidi_control(cp) || is_invisible_space(cp);
}

std::string sanitize(std::string_view in, bool keep_newlines) {
    std::string out;
    out.reserve(in.size());
    char32_t base = 0;  // the last code point that was not a grapheme Extend
    for (size_t i = 0; i < in.size();) {
        Decoded d = decode_next(in, i);
        i += d.len;
        char32_t cp = d.cp;
        const char32_t before = base;
        if (!is_grapheme_extend(cp)) base = cp;
        if (cp == kZwj && !joins_pictographs(before, in, i)) {
            append_escaped(out, cp);
        } else if (!is_unsafe_cp(cp)) {
            // A mark with nothing before it would land on whatever the
            // terminal drew last; it gets the dotted circle Unicode shows
            // lone marks on.
            if ((out.empty() || out.back() == '\n') && cp_width(cp) == 0) append_utf8(out, U'\u25CC');
            append_utf8(out, cp);
        } else if (cp == '\n' && keep_newlines) {
            out += '\n';
        } else if (cp == '\r' && keep_newlines && i < in.size() && in[i] == '\n') {
            // CRLF from pasted Windows text is one line break, not "^M".
        } else if (cp < 0x20) {
            out += '^';
            out += static_cast<char>(cp + 0x40);
        } else if (cp == 0x7F) {
            out += "^?";
        } else {
            append_escaped(out, cp);
        }
    }
    return out;
}

}  // namespace tacit::ui
