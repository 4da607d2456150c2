#include "tui/ui/utf8.hpp"

namespace tacit::ui {

namespace {
bool cont(unsigned char c) { return (c & 0xC0) == 0x80; }
}  // namespace

Decoded decode_next(std::string_view s, size_t pos) {
    if (pos >= s.size()) return {0, 0, false};
    const Decoded bad{kReplacement, 1, false};
    unsigned char c0 = static_cast<unsigned char>(s[pos]);
    if (c0 < 0x80) return {c0, 1, true};
    size_t n;
    char32_t cp, min;
    if (c0 >= 0xC2 && c0 <= 0xDF) { n = 2; cp = c0 & 0x1F; min = 0x80; }
    else if (c0 >= 0xE0 && c0 <= 0xEF) { n = 3; cp = c0 & 0x0F; min = 0x800; }
    else if (c0 >= 0xF0 && c0 <= 0xF4) { n = 4; cp = c0 & 0x07; min = 0x10000; }
    else return bad;
    if (pos + n > s.size()) return bad;
    for (size_t i = 1; i < n; ++i) {
        unsigned char c = static_cast<unsigned char>(s[pos + i]);
        if (!cont(c)) return bad;
        cp = (cp << 6) | (c & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return bad;
    return {cp, n, true};
}

size_t cp_length(std::string_view s, size_t pos) { return decode_next(s, pos).len; }

size_t prev_cp_start(std::string_view s, size_t pos) {
    if (pos == 0) return 0;
    if (pos > s.size()) pos = s.size();
    // Step back over at most 3 continuation bytes, then confirm the lead
    // byte really decodes to a sequence ending at pos; otherwise the
    // previous "code point" is the single stray byte.
    size_t start = pos - 1;
    for (int i = 0; i < 3 && start > 0 && cont(static_cast<unsigned char>(s[start])); ++i) --start;
    Decoded d = decode_next(s, start);
    if (d.valid && start + d.len == pos) return start;
    return pos - 1;
}

void append_utf8(std::string& out, char32_t cp) {
    if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) cp = kReplacement;
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

bool valid_utf8(std::string_view s) {
    for (size_t i = 0; i < s.size();) {
        Decoded d = decode_next(s, i);
        if (!d.valid) return false;
        i += d.len;
    }
    return true;
}

bool blank(std::string_view s) {
    for (size_t i = 0; i < s.size();) {
        const Decoded d = decode_next(s, i);
        i += d.len;
        const char32_t c = d.cp;
        const bool space = c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == 0xA0 || c == 0x1680 ||
                           (c >= 0x2000 && c <= 0x200A) || c == 0x202F || c == 0x205F || c == 0x3000;
        if (!space || !d.valid) return false;
    }
    return true;
}

}  // namespace tacit::ui
