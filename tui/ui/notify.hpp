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

// The text as it may appear inside an OSC string: sanitized, ';' replaced
// (OSC 777 separates fields with it), at most max_cells wide.
std::string osc_safe(std::string_view text, int max_cells = 200);

}  // namespace tacit::ui
