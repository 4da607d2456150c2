// The Model's /search results (tacit(1), Commands): lines in the window the
// search was typed in, picked with Up and Down, and Enter's jump to the
// message in its own conversation.
#include <algorithm>

#include "tui/ui/model.hpp"

namespace tacit::ui {

void Model::show_hits(std::vector<Hit> hits) {
    // Lines of an earlier search stay, but no longer pick anything.
    for (auto& c : convs_)
        for (auto& l : c.lines) l.hit = -1;
    hits_ = std::move(hits);
    Conversation& c = convs_[active_];
    hits_in_ = c.key;
    for (size_t i = 0; i < hits_.size(); ++i) {
        add_system({}, hits_[i].text);
        c.lines.back().hit = static_cast<int>(i);
    }
    if (hits_.empty()) return;
    sel_hit_ = hits_.size() - 1;
    set_focus(Focus::Results);
    dirty_ |= kPaneMessages | kPaneInput;
}

// The line a little above the bottom of the pane, a third of a page of
// later lines under it, so the lines around it show too.
void Model::scroll_to(Conversation& c, size_t line) {
    const int below = static_cast<int>(c.lines.size() - 1 - line);
    c.scroll = std::max(0, below - page_ / 3);
    dirty_ |= kPaneMessages | kPaneStatus;
}

Action Model::handle_hit_key(const Key& k) {
    Conversation& c = convs_[active_];
    if (k.code == KeyCode::Up || k.code == KeyCode::Down) {
        if (k.code == KeyCode::Up && sel_hit_ > 0) --sel_hit_;
        if (k.code == KeyCode::Down && sel_hit_ + 1 < hits_.size()) ++sel_hit_;
        for (size_t i = 0; i < c.lines.size(); ++i)
            if (c.lines[i].hit == static_cast<int>(sel_hit_)) scroll_to(c, i);
        return {};
    }
    if (k.code == KeyCode::Enter && sel_hit_ < hits_.size() && c.key == hits_in_) {
        const Hit h = hits_[sel_hit_];
        set_focus(Focus::Input);
        open(h.key);
        return {Action::Kind::Opened, convs_[active_].key, {}, {}, h.id};
    }
    set_focus(Focus::Input);
    // Typing goes to the input line, so no keystroke is lost.
    return k.is_plain_char() ? handle_key(k) : Action{};
}

bool Model::show_line(std::string_view id) {
    Conversation& c = convs_[active_];
    for (size_t i = c.lines.size(); i-- > 0;)
        if (c.lines[i].id == id) {
            c.marked = std::string(id);
            scroll_to(c, i);
            return true;
        }
    return false;
}

}  // namespace tacit::ui
