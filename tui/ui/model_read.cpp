// The Model's read state (tacit(1), THE SCREEN): what you have looked at in
// each window, the read marker, unread counts rebuilt at login, and Alt-A.
#include "tui/ui/model.hpp"
#include "tui/ui/sanitize.hpp"

namespace tacit::ui {

namespace {
std::string newest_id(const Conversation& c) {
    for (size_t i = c.lines.size(); i-- > 0;)
        if (!c.lines[i].id.empty()) return c.lines[i].id;
    return {};
}
}  // namespace

bool Model::counts_as_unread(const Line& l) const { return !l.system && l.from != status_.user; }

void Model::mark_read(Conversation& c) {
    c.unread = 0;
    c.mention = c.activity = false;
    c.rung = Rung::Nothing;
    if (auto id = newest_id(c); !id.empty()) c.seen_id = id;
}

void Model::seen_active() {
    Conversation& c = convs_[active_];
    if (c.unread || c.mention || c.activity) dirty_ |= kPaneConvList | kPaneStatus;
    mark_read(c);
}

void Model::add_window(std::string_view key) { find_or_add(sanitize(key)); }

void Model::restore_read(std::string_view key, std::string seen_id) {
    Conversation* c = find(key);
    if (!c) return;
    size_t from = 0;
    for (size_t i = c->lines.size(); i-- > 0 && !seen_id.empty();)
        if (c->lines[i].id == seen_id) {
            from = i + 1;
            break;
        }
    c->unread = 0;
    c->mention = c->activity = false;
    for (size_t i = from; i < c->lines.size(); ++i) {
        if (!counts_as_unread(c->lines[i])) continue;
        ++c->unread;
        c->activity = true;
        if (c->lines[i].mention) c->mention = true;
    }
    c->seen_id = c->marker_id = std::move(seen_id);
    dirty_ |= kPaneConvList | kPaneStatus;
}

bool Model::next_activity() {
    const size_t n = convs_.size();
    for (bool mentions_only : {true, false})
        for (size_t step = 1; step < n; ++step) {
            const size_t i = (active_ + step) % n;
            const Conversation& c = convs_[i];
            if (muted(c.key) || !(mentions_only ? c.mention : c.activity || c.unread > 0)) continue;
            select(i);
            return true;
        }
    return false;
}

}  // namespace tacit::ui
