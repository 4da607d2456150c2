#include "tui/ui/sanitize.hpp"

#include <cstdio>

#include "tui/ui/utf8.hpp"

namespace tacit::ui {

namespace {
bool is_bidi_control(char32_t cp) {
    return (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069);
}

void append_escaped(std::string& out, char32_t cp) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "<U+%04X>", static_cast<unsigned>(cp));
    out += buf;
}
}  // namespace

bool is_unsafe_cp(char32_t cp) {
    return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || is_bidi_control(cp);
}

std::string sanitize(std::string_view in, bool keep_newlines) {
    std::string out;
    out.reserve(in.size());
    for (size_t i = 0; i < in.size();) {
        Decoded d = decode_next(in, i);
        i += d.len;
        char32_t cp = d.cp;
        if (!is_unsafe_cp(cp)) {
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
