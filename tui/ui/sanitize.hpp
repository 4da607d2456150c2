// Makes untrusted text (message bodies, user and group names, server
// messages) safe to hand to the terminal. A peer must not be able to move
// the cursor, retitle the window, switch character sets, make the terminal
// answer back, or reorder what the user reads with bidi overrides.
#pragma once
#include <string>
#include <string_view>

namespace tacit::ui {

// Output is valid UTF-8 with no C0, DEL or C1 control, no bidi control
// (embeddings, overrides, isolates, LRM/RLM/ALM), no U+200B or U+FEFF, and
// no U+200D except between two Extended_Pictographic characters (an emoji
// ZWJ sequence). Invalid bytes become U+FFFD; C0 controls become caret
// notation (ESC -> "^["), DEL "^?", the others "<U+XXXX>". A zero-width
// code point that would start the text or a line is put on U+25CC. With
// keep_newlines, '\n' (and "\r\n") stays a line break. Idempotent.
std::string sanitize(std::string_view untrusted, bool keep_newlines = false);

// True if cp is rendered visibly by sanitize() rather than passed through.
bool is_unsafe_cp(char32_t cp);

}  // namespace tacit::ui
