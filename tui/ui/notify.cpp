#include "tui/ui/notify.hpp"

#include "tui/ui/sanitize.hpp"
#include "tui/ui/width.hpp"

namespace tacit::ui {

std::string osc_safe(std::string_view text, int max_cells) {
    std::string s = sanitize(text);
    for (char& c : s)
        if (c == ';') c = ',';
    return truncate_to_width(s, max_cells, true);
}

std::string osc_title(std::string_view title) { return "\x1b]2;" + osc_safe(title) + "\x07"; }

std::string osc_notification(std::string_view title, std::string_view body, bool osc9, bool tmux) {
    std::string seq = osc9 ? "\x1b]9;" + osc_safe(title) + ": " + osc_safe(body) + "\x07"
                           : "\x1b]777;notify;" + osc_safe(title) + ";" + osc_safe(body) + "\x07";
    if (!tmux) return seq;
    std::string wrapped = "\x1bPtmux;";
    for (char c : seq) {
        if (c == '\x1b') wrapped += '\x1b';
        wrapped += c;
    }
    return wrapped + "\x1b\\";
}

}  // namespace tacit::ui
