#include "tui/ui/width.hpp"

#include <clocale>
#include <cstring>
#include <cwchar>
#include <langinfo.h>

#include "tui/ui/utf8.hpp"

namespace tacit::ui {

namespace {
bool codeset_is_utf8() {
    const char* cs = nl_langinfo(CODESET);
    return cs && (std::strcmp(cs, "UTF-8") == 0 || std::strcmp(cs, "utf8") == 0);
}

struct Cluster {
    size_t end;
    int width;
};

Cluster cluster_at(std::string_view s, size_t pos) {
    Decoded d = decode_next(s, pos);
    int w = cp_width(d.cp);
    return {next_grapheme(s, pos), w};
}
}  // namespace

bool ensure_utf8_locale() {
    static const bool ok = [] {
        if (std::setlocale(LC_CTYPE, "") && codeset_is_utf8()) return true;
        for (const char* name : {"C.UTF-8", "C.utf8", "en_US.UTF-8"})
            if (std::setlocale(LC_CTYPE, name) && codeset_is_utf8()) return true;
        return false;
    }();
    return ok;
}

int cp_width(char32_t cp) {
    if (cp >= 0x20 && cp < 0x7F) return 1;
    ensure_utf8_locale();
    int w = ::wcwidth(static_cast<wchar_t>(cp));
    return w < 0 ? 1 : w;
}

int display_width(std::string_view s) {
    int w = 0;
    for (size_t i = 0; i < s.size();) {
        Decoded d = decode_next(s, i);
        w += cp_width(d.cp);
        i += d.len;
    }
    return w;
}

size_t next_grapheme(std::string_view s, size_t pos) {
    if (pos >= s.size()) return s.size();
    Decoded first = decode_next(s, pos);
    pos += first.len;
    // A control (a kept '\n') never carries marks: "\n" + U+0301 would
    // otherwise be one grapheme, and wrap() would miss the line break and
    // emit a line with a raw '\n' in it (found by tests/fuzz/fuzz_sanitize).
    if (first.valid && first.cp < 0x20) return pos;
    while (pos < s.size()) {
        Decoded d = decode_next(s, pos);
        if (!d.valid || d.cp < 0x80 || cp_width(d.cp) != 0) break;
        pos += d.len;
    }
    return pos;
}

size_t prev_grapheme(std::string_view s, size_t pos) {
    if (pos > s.size()) pos = s.size();
    const size_t end = pos;
    while (pos > 0) {
        size_t start = prev_cp_start(s, pos);
        Decoded d = decode_next(s, start);
        // As in next_grapheme: marks after a control are a grapheme of their own.
        if (d.valid && d.cp < 0x20) return start + d.len == end ? start : pos;
        pos = start;
        if (!d.valid || d.cp < 0x80 || cp_width(d.cp) != 0) break;
    }
    return pos;
}

std::vector<std::string> wrap(std::string_view s, int width) {
    if (width < 1) width = 1;
    std::vector<std::string> out;
    std::string cur;
    int cur_w = 0;
    size_t last_space = std::string::npos;  // byte index in cur
    auto emit = [&] {
        out.push_back(std::move(cur));
        cur.clear();
        cur_w = 0;
        last_space = std::string::npos;
    };
    for (size_t i = 0; i < s.size();) {
        Cluster c = cluster_at(s, i);
        std::string_view g = s.substr(i, c.end - i);
        i = c.end;
        if (g == "\n") {
            emit();
            continue;
        }
        if (g == " ") {
            if (cur_w + 1 > width) {
                emit();  // break here; the space is the break
            } else {
                last_space = cur.size();
                cur += ' ';
                cur_w += 1;
            }
            continue;
        }
        if (c.width > width) {  // only at width 1: a wide grapheme can't fit
            g = "?";
            c.width = 1;
        }
        if (cur_w + c.width > width && last_space != std::string::npos) {
            std::string rest = cur.substr(last_space + 1);
            cur.resize(last_space);
            emit();
            cur = std::move(rest);
            cur_w = display_width(cur);
        }
        if (cur_w + c.width > width && !cur.empty()) emit();
        cur += g;
        cur_w += c.width;
    }
    out.push_back(std::move(cur));
    return out;
}

std::string truncate_to_width(std::string_view s, int width, bool ellipsis) {
    if (width <= 0) return {};
    if (display_width(s) <= width) return std::string(s);
    int budget = ellipsis ? width - 1 : width;
    std::string out;
    int w = 0;
    for (size_t i = 0; i < s.size();) {
        Cluster c = cluster_at(s, i);
        if (w + c.width > budget) break;
        out.append(s.substr(i, c.end - i));
        w += c.width;
        i = c.end;
    }
    if (ellipsis) out += "\u2026";
    return out;
}

std::string pad_to_width(std::string_view s, int width) {
    std::string out = truncate_to_width(s, width);
    int w = display_width(out);
    if (w < width) out.append(static_cast<size_t>(width - w), ' ');
    return out;
}

}  // namespace tacit::ui
