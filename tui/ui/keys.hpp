// Keys as the model sees them. The ncurses view translates wget_wch()
// results into these, so the model and its tests never include curses.h.
#pragma once

namespace tacit::ui {

enum class KeyCode {
    None, Char, Enter, Tab, BackTab, Backspace, Delete,
    Left, Right, Up, Down, Home, End, PageUp, PageDown, Escape, Resize,
};

struct Key {
    KeyCode code = KeyCode::None;
    char32_t ch = 0;    // for Char: the code point (lower case for ctrl)
    bool ctrl = false;  // Ctrl-A is {Char, 'a', ctrl}
    bool alt = false;   // Alt-1 is {Char, '1', alt}

    static Key special(KeyCode c) { return Key{c, 0, false, false}; }
    static Key chr(char32_t c) { return Key{KeyCode::Char, c, false, false}; }
    static Key ctrl_key(char c) { return Key{KeyCode::Char, static_cast<char32_t>(c), true, false}; }
    static Key alt_key(char c) { return Key{KeyCode::Char, static_cast<char32_t>(c), false, true}; }
    bool is_ctrl(char c) const { return code == KeyCode::Char && ctrl && !alt && ch == static_cast<char32_t>(c); }
    bool is_alt(char c) const { return code == KeyCode::Char && alt && !ctrl && ch == static_cast<char32_t>(c); }
    bool is_plain_char() const { return code == KeyCode::Char && !ctrl && !alt; }
};

}  // namespace tacit::ui
