#include "tui/ui/line_editor.hpp"

#include <algorithm>

#include "tui/ui/ascii.hpp"
#include "tui/ui/sanitize.hpp"
#include "tui/ui/utf8.hpp"
#include "tui/ui/width.hpp"

namespace tacit::ui {

namespace {
std::string clean_input(std::string_view in) {
    std::string out;
    for (size_t i = 0; i < in.size();) {
        Decoded d = decode_next(in, i);
        i += d.len;
        if (d.cp == '\n' || d.cp == '\r' || d.cp == '\t') out += ' ';
        else if (!is_unsafe_cp(d.cp)) append_utf8(out, d.cp);
    }
    return out;
}
}  // namespace

void LineEditor::edited() { comp_active_ = false; }

bool LineEditor::insert(std::string_view raw) {
    std::string s = clean_input(raw);
    const size_t room = max_bytes_ > text_.size() ? max_bytes_ - text_.size() : 0;
    if (s.size() > room) return false;
    if (s.empty()) return true;
    edited();
    text_.insert(cursor_, s);
    cursor_ += s.size();
    return true;
}

void LineEditor::left() { edited(); cursor_ = prev_grapheme(text_, cursor_); }
void LineEditor::right() { edited(); cursor_ = next_grapheme(text_, cursor_); }
void LineEditor::home() { edited(); cursor_ = 0; }
void LineEditor::end() { edited(); cursor_ = text_.size(); }

// ' ' never occurs inside a UTF-8 sequence, so byte steps stay on characters.
void LineEditor::word_left() {
    edited();
    while (cursor_ > 0 && text_[cursor_ - 1] == ' ') --cursor_;
    while (cursor_ > 0 && text_[cursor_ - 1] != ' ') --cursor_;
}

void LineEditor::word_right() {
    edited();
    while (cursor_ < text_.size() && text_[cursor_] == ' ') ++cursor_;
    while (cursor_ < text_.size() && text_[cursor_] != ' ') ++cursor_;
}

void LineEditor::erase(size_t from, size_t to, bool to_kill) {
    if (from >= to) return;
    edited();
    if (to_kill) killed_ = text_.substr(from, to - from);
    text_.erase(from, to - from);
    cursor_ = from;
}

void LineEditor::backspace() { erase(prev_grapheme(text_, cursor_), cursor_, false); }
void LineEditor::del() { erase(cursor_, next_grapheme(text_, cursor_), false); }
void LineEditor::kill_to_end() { erase(cursor_, text_.size(), true); }
void LineEditor::kill_to_start() { erase(0, cursor_, true); }

void LineEditor::kill_prev_word() {
    size_t p = cursor_;
    while (p > 0 && text_[p - 1] == ' ') --p;
    while (p > 0 && text_[p - 1] != ' ') --p;
    erase(p, cursor_, true);
}

void LineEditor::yank() { (void)insert(killed_); }

void LineEditor::replace_all(std::string_view t) {
    edited();
    text_.assign(t);
    cursor_ = text_.size();
}

void LineEditor::history_prev() {
    if (hist_pos_ == 0) return;
    if (hist_pos_ == history_.size()) draft_ = text_;
    --hist_pos_;
    replace_all(history_[hist_pos_]);
}

void LineEditor::history_next() {
    if (hist_pos_ >= history_.size()) return;
    ++hist_pos_;
    replace_all(hist_pos_ == history_.size() ? draft_ : history_[hist_pos_]);
}

bool LineEditor::handle_key(const Key& k) {
    if (k.is_plain_char()) {
        std::string s;
        append_utf8(s, k.ch);
        (void)insert(s);  // at the limit, a key does nothing
        return true;
    }
    if (k.code == KeyCode::Char && k.ctrl && !k.alt) {
        switch (k.ch) {
            case 'a': home(); return true;
            case 'e': end(); return true;
            case 'b': left(); return true;
            case 'f': right(); return true;
            case 'h': backspace(); return true;
            case 'd': del(); return true;
            case 'k': kill_to_end(); return true;
            case 'u': kill_to_start(); return true;
            case 'w': kill_prev_word(); return true;
            case 'y': yank(); return true;
            default: return false;
        }
    }
    if (k.code == KeyCode::Char && k.alt && !k.ctrl) {
        switch (k.ch) {
            case 'b': word_left(); return true;
            case 'f': word_right(); return true;
            default: return false;
        }
    }
    if (k.ctrl && !k.alt && (k.code == KeyCode::Left || k.code == KeyCode::Right)) {
        if (k.code == KeyCode::Left) word_left();
        else word_right();
        return true;
    }
    if (k.ctrl || k.alt) return false;
    switch (k.code) {
        case KeyCode::Left: left(); return true;
        case KeyCode::Right: right(); return true;
        case KeyCode::Home: home(); return true;
        case KeyCode::End: end(); return true;
        case KeyCode::Backspace: backspace(); return true;
        case KeyCode::Delete: del(); return true;
        case KeyCode::Up: history_prev(); return true;
        case KeyCode::Down: history_next(); return true;
        default: return false;
    }
}

std::string LineEditor::submit() {
    std::string line = std::move(text_);
    if (!blank(line) && (history_.empty() || history_.back() != line)) {
        history_.push_back(line);
        if (history_.size() > kHistoryMax) history_.erase(history_.begin());
    }
    hist_pos_ = history_.size();
    draft_.clear();
    clear();
    return line;
}

void LineEditor::clear() {
    edited();
    text_.clear();
    cursor_ = 0;
    scroll_col_ = 0;
}

void LineEditor::set_text(std::string_view t) {
    clear();
    insert(t);
}

int LineEditor::cursor_column() const {
    return display_width(std::string_view(text_).substr(0, cursor_));
}

VisibleLine LineEditor::visible(int width) {
    if (width < 1) return {};
    const int cur = cursor_column();
    // Scroll in big steps so typing at the edge does not shift every key.
    if (cur < scroll_col_) scroll_col_ = std::max(0, cur - width / 2);
    if (cur >= scroll_col_ + width) scroll_col_ = cur - width + 1 + width / 4;
    scroll_col_ = std::min(scroll_col_, cur);
    // After a deletion, pull the text back so no screen is wasted past its end.
    scroll_col_ = std::min(scroll_col_, std::max(0, display_width(text_) - width + 1));
    // Start at the first grapheme at or after scroll_col_, stop before the
    // first that would cross the right edge.
    std::string_view t = text_;
    size_t i = 0;
    int col = 0;
    while (i < t.size() && col < scroll_col_) {
        size_t n = next_grapheme(t, i);
        col += display_width(t.substr(i, n - i));
        i = n;
    }
    VisibleLine v;
    v.cursor_col = cur - col;
    int used = 0;
    while (i < t.size()) {
        size_t n = next_grapheme(t, i);
        int w = display_width(t.substr(i, n - i));
        if (used + w > width) break;
        v.text.append(t.substr(i, n - i));
        used += w;
        i = n;
    }
    return v;
}

std::string_view LineEditor::word_before_cursor() const {
    size_t start = cursor_;
    while (start > 0 && text_[start - 1] != ' ') --start;
    return std::string_view(text_).substr(start, cursor_ - start);
}

bool LineEditor::completing_command() const {
    std::string_view w = word_before_cursor();
    size_t start = cursor_ - w.size();
    return start == 0 && !w.empty() && w[0] == '/';
}

bool LineEditor::complete(const std::vector<std::string>& candidates) {
    if (comp_active_ && !comp_matches_.empty()) {
        comp_index_ = (comp_index_ + 1) % comp_matches_.size();
    } else {
        std::string_view w = word_before_cursor();
        if (w.empty()) return false;
        comp_start_ = cursor_ - w.size();
        comp_matches_.clear();
        for (const auto& c : candidates)
            if (starts_with_nocase(c, w)) comp_matches_.push_back(c);
        std::sort(comp_matches_.begin(), comp_matches_.end());
        comp_matches_.erase(std::unique(comp_matches_.begin(), comp_matches_.end()), comp_matches_.end());
        if (comp_matches_.empty()) return false;
        comp_index_ = 0;
    }
    // A user name alone at the start of a line is addressing them: "alice: ".
    const std::string& m = comp_matches_[comp_index_];
    const bool addressing = comp_start_ == 0 && m[0] != '/' && m[0] != '#';
    std::string with_suffix = clean_input(m) + (addressing ? ": " : " ");
    text_.replace(comp_start_, cursor_ - comp_start_, with_suffix);
    cursor_ = comp_start_ + with_suffix.size();
    comp_active_ = true;
    return true;
}

}  // namespace tacit::ui
