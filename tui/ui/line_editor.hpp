// The input line: a UTF-8 buffer with an emacs-style cursor, history and
// Tab completion. Cursor moves step over whole graphemes (a code point and
// its combining marks), so the cursor can never sit inside a character.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "tui/ui/keys.hpp"

namespace tacit::ui {

struct VisibleLine {
    std::string text;    // the slice to draw, at most width cells
    int cursor_col = 0;  // cursor column within that slice
};

class LineEditor {
public:
    // Inserts at the cursor. Pasted newlines and tabs become spaces, other
    // control characters are dropped, invalid bytes become U+FFFD; the
    // buffer never grows past max_bytes(): text that would not fit is not
    // inserted at all (returns false), so a paste is never cut short.
    bool insert(std::string_view text);
    void left();
    void right();
    void home();
    void end();
    // Alt-B, Alt-F, Ctrl-Left, Ctrl-Right. Words are runs of non-spaces, as
    // for Ctrl-W: back to the start of this or the previous word, forward
    // to the end of this or the next one.
    void word_left();
    void word_right();
    void backspace();
    void del();
    void kill_to_end();      // Ctrl-K
    void kill_to_start();    // Ctrl-U
    void kill_prev_word();   // Ctrl-W: back over spaces, then over a word
    void yank();             // Ctrl-Y: re-insert the last killed text
    void history_prev();     // Up: the line being typed is kept as a draft
    void history_next();     // Down
    // Editing keys (not Enter, Tab or focus keys). Returns true if handled.
    bool handle_key(const Key& k);

    // Returns the line, records it in history (unless blank), and clears
    // the editor.
    std::string submit();
    void clear();
    void set_text(std::string_view text);  // cursor at end

    const std::string& text() const { return text_; }
    size_t cursor_byte() const { return cursor_; }
    int cursor_column() const;
    bool empty() const { return text_.empty(); }
    // True while repeated Tabs cycle through completions.
    bool completing() const { return comp_active_; }
    // Keeps the cursor on screen, scrolling by whole graphemes; the scroll
    // position is kept between calls so the line does not jump around.
    VisibleLine visible(int width);

    // The word the cursor is at the end of ("" right after a space).
    std::string_view word_before_cursor() const;
    // True if that word is the first on the line and starts with '/'.
    bool completing_command() const;
    // Completes the word before the cursor from candidates (ASCII
    // case-insensitive prefix match); repeated calls with nothing edited in
    // between cycle through the matches. Returns false if nothing matched.
    bool complete(const std::vector<std::string>& candidates);

    const std::vector<std::string>& history() const { return history_; }
    size_t max_bytes() const { return max_bytes_; }
    void set_max_bytes(size_t n) { max_bytes_ = n; }
    static constexpr size_t kHistoryMax = 500;

private:
    void edited();  // any change but a completion ends a completion cycle
    void erase(size_t from, size_t to, bool to_kill);
    void replace_all(std::string_view text);

    std::string text_;
    size_t cursor_ = 0;
    int scroll_col_ = 0;
    std::string killed_;
    size_t max_bytes_ = 64 * 1024;

    std::vector<std::string> history_;
    size_t hist_pos_ = 0;  // == history_.size() while editing the draft
    std::string draft_;

    bool comp_active_ = false;
    size_t comp_start_ = 0;
    std::vector<std::string> comp_matches_;
    size_t comp_index_ = 0;
};

}  // namespace tacit::ui
