#include "tui/ui/width.hpp"

#include <algorithm>
#include <clocale>
#include <cstring>
#include <cwchar>
#include <langinfo.h>

#include "tui/ui/graphemes.hpp"
#include "tui/ui/utf8.hpp"

namespace tacit::ui {

namespace {
bool codeset_is_utf8() {
    const char* cs = nl_langinfo(CODESET);
    return cs && (std::strcmp(cs, "UTF-8") == 0 || std::strcmp(cs, "utf8") == 0);
}

constexpr char32_t kZwj = 0x200D;

WidthRule g_rule = WidthRule::Sum;
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

std::optional<WidthRule> choose_width_rule(std::string_view setting, const char* tmux_env, const char* term_env) {
    if (setting == "tmux") return WidthRule::Tmux;
    if (setting == "sum") return WidthRule::Sum;
    if (setting != "auto") return std::nullopt;
    const bool in_tmux = (tmux_env && *tmux_env) || (term_env && std::strncmp(term_env, "tmux", 4) == 0);
    return in_tmux ? WidthRule::Tmux : WidthRule::Sum;
}

void set_width_rule(WidthRule r) { g_rule = r; }

ClusterCells cluster_cells(std::string_view c) {
    ClusterCells out;
    int marks = 0;
    char32_t prev = 0;
    for (size_t i = 0; i < c.size();) {
        Decoded d = decode_next(c, i);
        i += d.len;
        const int cw = cp_width(d.cp);
        out.sum += cw;
        out.tmux += prev == kZwj && cw == 2 ? 0 : cw;
        marks = cw == 0 ? marks + 1 : 0;
        out.longest_marks = std::max(out.longest_marks, marks);
        prev = d.cp;
    }
    return out;
}

int cluster_width(std::string_view c) {
    ClusterCells cells = cluster_cells(c);
    return g_rule == WidthRule::Tmux ? cells.tmux : cells.sum;
}

int display_width(std::string_view s) {
    bool ascii = true;
    for (unsigned char c : s) ascii = ascii && c < 0x80;
    if (ascii) return static_cast<int>(s.size());
    int w = 0;
    size_t start = 0;
    for (size_t end : grapheme_ends(s)) {
        w += cluster_width(s.substr(start, end - start));
        start = end;
    }
    return w;
}

size_t next_grapheme(std::string_view s, size_t pos) { return grapheme_after(s, pos); }
size_t prev_grapheme(std::string_view s, size_t pos) { return grapheme_before(s, pos); }

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
    size_t i = 0;
    for (size_t end : grapheme_ends(s)) {
        std::string_view g = s.substr(i, end - i);
        i = end;
        int gw = cluster_width(g);
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
        if (gw > width) {  // a cluster wider than the line: shown as "?"
            g = "?";
            gw = 1;
        }
        if (cur_w + gw > width && last_space != std::string::npos) {
            std::string rest = cur.substr(last_space + 1);
            cur.resize(last_space);
            emit();
            cur = std::move(rest);
            cur_w = display_width(cur);
        }
        if (cur_w + gw > width && !cur.empty()) emit();
        cur += g;
        cur_w += gw;
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
    size_t i = 0;
    for (size_t end : grapheme_ends(s)) {
        const int cw = cluster_width(s.substr(i, end - i));
        if (w + cw > budget) break;
        out.append(s.substr(i, end - i));
        w += cw;
        i = end;
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
