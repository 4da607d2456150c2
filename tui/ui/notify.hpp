// Desktop notifications through the terminal (config notify = osc): OSC 777
// (urxvt, foot, VTE, WezTerm) or OSC 9 (iTerm2, Windows Terminal, kitty).
// The text comes from the network, so it is sanitized and stripped of the
// characters that end or split the sequence before it goes inside.
#pragma once
#include <string>
#include <string_view>

namespace tacit::ui {

// tmux: wraps the sequence in tmux's passthrough (ESC P tmux; ... ESC \,
// inner ESCs doubled) so it reaches the outer terminal (needs tmux's
// allow-passthrough option).
std::string osc_notification(std::string_view title, std::string_view body, bool osc9, bool tmux);

// OSC 2, the terminal's title, with text made safe as below. Not wrapped
// for tmux: tmux takes it as the pane's title (and passes it on to the
// outer terminal with its set-titles option).
std::string osc_title(std::string_view title);
// XTWINOPS: save the title before the first osc_title, put it back at exit.
inline constexpr std::string_view kSaveTitle = "\x1b[22;2t", kRestoreTitle = "\x1b[23;2t";

// The text as it may appear inside an OSC string: sanitized, ';' replaced
// (OSC 777 separates fields with it), at most max_cells wide.
std::string osc_safe(std::string_view text, int max_cells = 200);

}  // namespace tacit::ui
