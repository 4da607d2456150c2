// Escape sequences that terminfo (and so ncurses' keypad mode) does not
// know. ncurses hands such a sequence over as ESC followed by its bytes;
// EscapeParser takes what follows the ESC and recognises the whole
// sequence, so an unknown key is dropped in one piece instead of being
// typed into the line ("4~"). Grammar: ECMA-48 CSI (ESC [ parameters
// intermediates final), SS3 (ESC O final), else ESC + key is Alt + key.
// Modifiers follow xterm's "CSI 1 ; m X": m - 1 has bit 1 shift, 2 alt,
// 4 ctrl. No curses here, so the parser is unit-tested on its own.
#pragma once
#include <string>
#include <string_view>

#include "tui/ui/keys.hpp"

namespace tacit::ui {

class EscapeParser {
public:
    enum class Step { More, Done };
    // The next code point after the ESC. On Done, key() is the key (None:
    // a sequence to drop) and unused() says whether c was not part of the
    // sequence and must be read again as a key of its own.
    Step feed(char32_t c);
    // Nothing more arrived in time: what was read so far, as a key.
    Key finish() const;
    // True before anything after the ESC was fed.
    bool at_start() const { return state_ == State::Start; }
    Key key() const { return key_; }
    bool unused() const { return unused_; }

    static constexpr size_t kMaxLength = 64;  // longer sequences are dropped

private:
    enum class State { Start, Csi, CsiLinux, Ss3 };
    Step done(Key k, bool unused = false);

    State state_ = State::Start;
    std::string params_;  // CSI/SS3 parameter and intermediate bytes
    size_t length_ = 0;
    Key key_;
    bool unused_ = false;
};

// The key for "ESC [ params final" (params: parameter and intermediate
// bytes); None when the sequence is not one we act on.
Key csi_key(std::string_view params, char32_t final);

// The key for a terminfo extended key name such as "kLFT5" (ncurses'
// keyname() for codes past KEY_MAX); None when it is not one we act on.
Key terminfo_key(std::string_view name);

}  // namespace tacit::ui
