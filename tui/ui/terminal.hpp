// The terminal under ncurses: start-up and restore, the colour scheme for
// 256, 8 or no colours (NO_COLOR and colors=no respected), the glyph set,
// and key input (wget_wch -> Key, bracketed paste -> one Input).
// The curses types stay in terminal.cpp and the other view files.
#pragma once
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "tui/ui/format.hpp"
#include "tui/ui/keys.hpp"

namespace tacit::ui {

struct Input {
    Key key;           // when !is_paste
    bool is_paste = false;
    std::string text;  // the pasted text (newlines kept); empty when too long
    size_t paste_size = 0;  // bytes pasted: over the message limit, text is empty
};

enum class ColorMode { None, Basic, Full };

// colors: the config value auto|yes|no. auto: colours unless NO_COLOR is
// set (to anything non-empty) or the terminal has none.
ColorMode choose_color_mode(std::string_view colors, bool no_color_env, int terminal_colors);

class Terminal {
public:
    // Throws std::runtime_error if the terminal can't be set up (no TERM,
    // unknown terminal, not a tty).
    explicit Terminal(const std::string& colors);
    ~Terminal();
    Terminal(const Terminal&) = delete;
    Terminal& operator=(const Terminal&) = delete;

    // Next key or paste, without waiting; nullopt when nothing is pending.
    std::optional<Input> read();
    int rows() const;
    int cols() const;

    // Attributes (curses attr_t with the colour pair) for a style.
    unsigned long attr(Style s, int hue = -1) const;
    const Glyphs& glyphs() const { return glyphs_; }
    ColorMode color_mode() const { return mode_; }

    void bell();
    // Bytes straight to the tty (OSC notifications), between screen updates.
    void write_raw(std::string_view bytes);
    // Next update repaints every cell (Ctrl-L, resize).
    void force_repaint();

private:
    std::optional<Key> read_escape();
    void add_to_paste(char32_t c);

    struct Impl;
    std::unique_ptr<Impl> impl_;
    Glyphs glyphs_;
    ColorMode mode_ = ColorMode::None;
};

}  // namespace tacit::ui
