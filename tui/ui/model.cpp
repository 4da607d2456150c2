#include "tui/ui/model.hpp"

#include <algorithm>

#include "tui/ui/links.hpp"
#include "tui/ui/sanitize.hpp"
#include "tui/ui/utf8.hpp"

namespace tacit::ui {

namespace {
char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

// Bytes >= 0x80 count as word characters so a name never matches inside a
// longer non-ASCII word.
bool word_char(char c) {
    unsigned char u = static_cast<unsigned char>(c);
    return u >= 0x80 || (u >= '0' && u <= '9') || (lower(c) >= 'a' && lower(c) <= 'z') || c == '_' || c == '-';
}

template <class T>
void step(size_t& sel, int delta, const std::vector<T>& v) {
    if (v.empty()) { sel = 0; return; }
    if (delta < 0 && sel > 0) --sel;
    if (delta > 0 && sel + 1 < v.size()) ++sel;
}
}  // namespace

bool mentions(std::string_view text, std::string_view name) {
    if (name.empty() || text.size() < name.size()) return false;
    for (size_t i = 0; i + name.size() <= text.size(); ++i) {
        if (i > 0 && word_char(text[i - 1])) continue;
        size_t end = i + name.size();
        if (end < text.size() && word_char(text[end])) continue;
        bool eq = true;
        for (size_t j = 0; j < name.size() && eq; ++j) eq = lower(text[i + j]) == lower(name[j]);
        if (eq) return true;
    }
    return false;
}

Model::Model() { find_or_add(std::string(kStatusKey)); }

Conversation& Model::find_or_add(const std::string& key) {
    if (Conversation* c = find(key)) return *c;
    convs_.emplace_back();
    convs_.back().key = key;
    return convs_.back();
}

Conversation* Model::find(std::string_view key) {
    for (auto& c : convs_)
        if (c.key == key) return &c;
    return nullptr;
}

std::string Model::active_key() const { return active_ == 0 ? std::string() : convs_[active_].key; }

size_t Model::open(std::string_view raw_key) {
    std::string key = raw_key.empty() ? std::string(kStatusKey) : sanitize(raw_key);
    Conversation* c = &find_or_add(key);
    select(static_cast<size_t>(c - convs_.data()));
    return active_;
}

void Model::select(size_t i, Look look) {
    if (i >= convs_.size()) return;
    if (i != active_) {
        Conversation& left = convs_[active_];
        left.marked.clear();  // a jump's mark lasts while you stay
        if (look == Look::Now) {
            mark_read(left);
            left.marker_id = left.seen_id;  // what comes next is new to you
        }
        if (focus_ == Focus::Results) set_focus(Focus::Input);  // the results stay behind
    }
    active_ = sel_conv_ = i;
    dirty_ |= kPaneConvList | kPaneMessages | kPaneStatus;
    if (look == Look::Now) mark_read(convs_[i]);
}

void Model::next() { select((active_ + 1) % convs_.size()); }
void Model::prev() { select((active_ + convs_.size() - 1) % convs_.size()); }

void Model::close_active() {
    if (active_ == 0) return;
    convs_.erase(convs_.begin() + static_cast<std::ptrdiff_t>(active_));
    select(active_ - 1);
}

void Model::close(std::string_view key) {
    Conversation* c = find(key);
    if (!c || c == &convs_[0]) return;
    const size_t i = static_cast<size_t>(c - convs_.data());
    if (i == active_) return close_active();
    convs_.erase(convs_.begin() + static_cast<std::ptrdiff_t>(i));
    if (i < active_) --active_;
    sel_conv_ = std::min(sel_conv_, convs_.size() - 1);
    dirty_ |= kPaneConvList | kPaneStatus;
}

void Model::clear_active() {
    Conversation& c = convs_[active_];
    c.lines.clear();
    c.scroll = 0;
    c.cleared = true;
    if (focus_ == Focus::Results) set_focus(Focus::Input);
    dirty_ |= kPaneMessages | kPaneStatus;
}

bool Model::ignore(std::string_view raw) {
    const std::string user = sanitize(raw);
    if (!ignored_.insert(user).second) return false;
    // What is on screen from them goes too.
    for (auto& c : convs_) std::erase_if(c.lines, [&](const Line& l) { return !l.system && l.from == user; });
    dirty_ |= kPaneMessages;
    return true;
}

bool Model::unignore(std::string_view raw) { return ignored_.erase(sanitize(raw)) > 0; }

void Model::set_level(std::string_view raw_key, std::optional<NotifyLevel> level) {
    std::string key = sanitize(raw_key);
    if (level && *level != default_level(key)) levels_[key] = *level;
    else if (auto it = levels_.find(key); it != levels_.end()) levels_.erase(it);
    dirty_ |= kPaneConvList | kPaneStatus;
}

NotifyLevel Model::level(std::string_view key) const {
    auto it = levels_.find(key);
    return it != levels_.end() ? it->second : default_level(key);
}

bool Model::mentions_me(std::string_view text) const {
    if (mentions(text, status_.user)) return true;
    return std::any_of(highlights_.begin(), highlights_.end(),
                       [&](const std::string& w) { return mentions(text, w); });
}

void Model::describe_level(std::string_view key, std::string_view what) {
    const NotifyLevel l = level(key);
    std::string text = std::string(key) + ": " + std::string(what) + "notify " + std::string(level_name(l));
    if (l == NotifyLevel::All) text += " (every message rings the bell while you are elsewhere";
    if (l == NotifyLevel::Mentions) text += " (the bell rings for mentions of you and highlight words";
    if (l == NotifyLevel::None) text += " (muted: no bell, no highlight; /unmute undoes it";
    text += l == default_level(key) ? "; the default here)" : ")";
    add_system({}, text);
}

void Model::append(Conversation& c, Line line) {
    c.lines.push_back(std::move(line));
    // Keep a scrolled-back view still while lines arrive below it.
    if (c.scroll > 0) ++c.scroll;
    if (c.lines.size() > kMaxLines) c.lines.erase(c.lines.begin());
    c.scroll = std::min(c.scroll, static_cast<int>(c.lines.size()) - 1);
}

bool Model::add_message(std::string_view raw_key, Line line, Arrival arrival) {
    std::string key = sanitize(raw_key);
    line.from = sanitize(line.from);
    if (!line.system && ignored(line.from)) return false;
    line.text = sanitize(line.text, true);
    Conversation* c = &find_or_add(key);
    const bool is_active = c == &convs_[active_];
    const bool mine = !status_.user.empty() && line.from == status_.user;
    if (!line.system && !mine && mentions_me(line.text)) line.mention = true;
    const bool mention = line.mention && !mine;
    const bool plain = !line.system && !mine;
    if (!line.system) remember_urls(line.text);
    append(*c, std::move(line));
    dirty_ |= kPaneConvList | (is_active ? kPaneMessages : 0u);
    if (arrival == Arrival::History) return false;
    if (!is_active && !mine) {
        ++c->unread;
        c->activity = true;
        if (mention) c->mention = true;
    }
    const NotifyLevel lv = level(key);
    Rung want = Rung::Nothing;
    if (mention) want = Rung::Mention;
    else if (plain && lv == NotifyLevel::All && !is_active) want = Rung::Activity;
    if (lv == NotifyLevel::None || want == Rung::Nothing || c->rung >= want) return false;
    c->rung = want;
    bell_ = true;
    return true;
}

void Model::remember_urls(std::string_view text) {
    for (auto span : find_urls(text)) {
        std::string url(text.substr(span.begin, span.len));
        std::erase(urls_, url);  // seen again: it moves to the front
        urls_.insert(urls_.begin(), std::move(url));
    }
    if (urls_.size() > kMaxUrls) urls_.resize(kMaxUrls);
}

void Model::url_command(const Command& c) {
    if (urls_.empty()) return add_system({}, "no URLs seen yet");
    if (!c.number) {
        add_system({}, "recent URLs, newest first (/url N shows one alone):");
        for (size_t i = 0; i < urls_.size(); ++i) add_system({}, "  " + std::to_string(i + 1) + " " + urls_[i]);
        return;
    }
    const auto i = static_cast<size_t>(*c.number);  // a Count: whole, 0 to 1000000
    if (i == 0 || i > urls_.size())
        return add_system({}, "no URL " + std::to_string(i) + ": there are " + std::to_string(urls_.size()) +
                                  " (/url lists them)");
    add_system({}, urls_[i - 1]);
}

void Model::add_system(std::string_view key, std::string_view text, uint64_t time_ms) {
    Conversation* c = key.empty() ? &convs_[active_] : find(key);
    if (!c) c = &convs_[0];
    Line l;
    l.time_ms = time_ms || !clock_ ? time_ms : clock_();
    l.text = sanitize(text, true);
    l.system = true;
    append(*c, std::move(l));
    dirty_ |= c == &convs_[active_] ? kPaneMessages : kPaneConvList;
}

void Model::set_online(std::vector<std::string> users) {
    for (auto& u : users) u = sanitize(u);
    std::sort(users.begin(), users.end());
    users.erase(std::unique(users.begin(), users.end()), users.end());
    online_ = std::move(users);
    sel_online_ = std::min(sel_online_, online_.empty() ? 0 : online_.size() - 1);
    dirty_ |= kPaneOnline;
}

void Model::set_user_online(std::string_view raw, bool on) {
    std::string u = sanitize(raw);
    auto it = std::lower_bound(online_.begin(), online_.end(), u);
    bool present = it != online_.end() && *it == u;
    if (on && !present) online_.insert(it, u);
    if (!on && present) online_.erase(it);
    sel_online_ = std::min(sel_online_, online_.empty() ? 0 : online_.size() - 1);
    dirty_ |= kPaneOnline;
}

void Model::set_groups(std::vector<GroupInfo> gs) {
    for (auto& g : gs) g.name = sanitize(g.name);
    std::sort(gs.begin(), gs.end(), [](const GroupInfo& a, const GroupInfo& b) { return a.name < b.name; });
    groups_ = std::move(gs);
    sel_group_ = std::min(sel_group_, groups_.empty() ? 0 : groups_.size() - 1);
    dirty_ |= kPaneGroups;
}

size_t Model::selection(Focus list) const {
    switch (list) {
        case Focus::Conversations: return sel_conv_;
        case Focus::Online: return sel_online_;
        case Focus::Groups: return sel_group_;
        case Focus::Results: return sel_hit_;
        default: return 0;
    }
}

void Model::set_focus(Focus f) {
    if (f == Focus::Conversations && focus_ != f) sel_conv_ = active_;
    focus_ = f;
    dirty_ |= kPaneConvList | kPaneOnline | kPaneGroups | kPaneInput;
}

void Model::set_status(Status s) {
    s.server = sanitize(s.server);
    s.user = sanitize(s.user);
    s.connection = sanitize(s.connection);
    s.key_state = sanitize(s.key_state);
    status_ = std::move(s);
    dirty_ |= kPaneStatus;
}

std::vector<std::string> Model::completion_candidates() const {
    std::vector<std::string> out;
    if (editor_.completing_command()) {
        for (const auto& c : command_table())
            if (offers(c, Front::Screen)) out.push_back("/" + std::string(c.name));
        return out;
    }
    out = online_;
    for (const auto& g : groups_) out.push_back("#" + g.name);
    for (size_t i = 1; i < convs_.size(); ++i) out.push_back(convs_[i].key);
    return out;
}

void Model::scroll_up() {
    Conversation& c = convs_[active_];
    int max = std::max(0, static_cast<int>(c.lines.size()) - 1);
    c.scroll = std::min(max, c.scroll + page_);
    dirty_ |= kPaneMessages;
}

void Model::limit_scroll(int max) {
    Conversation& c = convs_[active_];
    if (c.scroll <= std::max(0, max)) return;
    c.scroll = std::max(0, max);
    dirty_ |= kPaneMessages | kPaneStatus;
}

void Model::scroll_down() {
    Conversation& c = convs_[active_];
    c.scroll = std::max(0, c.scroll - page_);
    dirty_ |= kPaneMessages;
}

unsigned Model::take_dirty() {
    unsigned d = dirty_;
    dirty_ = 0;
    return d;
}

bool Model::take_bell() {
    bool b = bell_;
    bell_ = false;
    return b;
}

Action Model::handle_key(const Key& k) {
    // Keys that work whatever has focus.
    if (k.code == KeyCode::Resize || k.is_ctrl('l')) {
        dirty_ = kPaneAll;
        return {};
    }
    if (k.code == KeyCode::Char && k.alt && !k.ctrl && k.ch >= '0' && k.ch <= '9') {
        select(k.ch == '0' ? 9 : k.ch - '1');  // Alt-0 is the tenth, as in irssi
        return {};
    }
    if (k.is_alt('a')) { next_activity(); return {}; }
    if (k.is_ctrl('n')) { next(); return {}; }
    if (k.is_ctrl('p')) { prev(); return {}; }
    if (k.code == KeyCode::PageUp) { scroll_up(); return {}; }
    if (k.code == KeyCode::PageDown) { scroll_down(); return {}; }
    if (k.code == KeyCode::Escape) { set_focus(Focus::Input); return {}; }
    if (focus_ == Focus::Results) return handle_hit_key(k);
    if (k.code == KeyCode::BackTab) {
        set_focus(static_cast<Focus>((static_cast<int>(focus_) + 3) % 4));
        return {};
    }
    if (focus_ != Focus::Input) return handle_list_key(k);

    if (k.code == KeyCode::Enter) return submit_input();
    if (k.code == KeyCode::Tab) {
        // Tab completes the word before the cursor, and again cycles through
        // the matches; only on an empty line does it move the focus, so a
        // Tab while typing never takes the keyboard away from the line.
        if (editor_.empty()) set_focus(Focus::Conversations);
        else if (editor_.complete(completion_candidates())) dirty_ |= kPaneInput;
        return {};
    }
    if (editor_.handle_key(k)) dirty_ |= kPaneInput;
    return {};
}

Action Model::handle_list_key(const Key& k) {
    if (k.code == KeyCode::Tab) {
        set_focus(static_cast<Focus>((static_cast<int>(focus_) + 1) % 4));
        return {};
    }
    if (k.code == KeyCode::Up || k.code == KeyCode::Down) {
        int d = k.code == KeyCode::Up ? -1 : 1;
        if (focus_ == Focus::Conversations) step(sel_conv_, d, convs_);
        if (focus_ == Focus::Online) step(sel_online_, d, online_);
        if (focus_ == Focus::Groups) step(sel_group_, d, groups_);
        dirty_ |= kPaneConvList | kPaneOnline | kPaneGroups;
        return {};
    }
    if (k.code == KeyCode::Enter) {
        std::string key;
        if (focus_ == Focus::Conversations && sel_conv_ < convs_.size()) key = convs_[sel_conv_].key;
        if (focus_ == Focus::Online && sel_online_ < online_.size()) key = online_[sel_online_];
        if (focus_ == Focus::Groups && sel_group_ < groups_.size()) key = "#" + groups_[sel_group_].name;
        if (key.empty()) return {};
        open(key);
        set_focus(Focus::Input);
        return {Action::Kind::Opened, convs_[active_].key, {}, {}, {}};
    }
    // Typing in a list goes back to the input line, so no keystroke is lost.
    if (k.is_plain_char()) {
        set_focus(Focus::Input);
        return handle_key(k);
    }
    return {};
}

Action Model::submit_input() {
    std::string line = editor_.submit();
    dirty_ |= kPaneInput;
    if (line.empty()) return {};
    if (blank(line)) {
        const std::string why = "not sent: the line is blank";
        add_system({}, why);
        return {Action::Kind::Error, {}, {}, why, {}};
    }
    ParseResult r = parse_command(line, active_key());
    if (!r.ok) {
        add_system({}, r.error);
        return {Action::Kind::Error, {}, {}, r.error, {}};
    }
    return apply_local(r.command);
}

void Model::ignore_command(const Command& c) {
    if (c.args.empty()) {
        std::string who;
        for (const auto& u : ignored_) who += (who.empty() ? "" : ", ") + u;
        add_system({}, who.empty() ? "nobody is ignored (/ignore USER hides a user's messages)" : "ignored: " + who);
    } else if (c.args[0] == status_.user) {
        add_system({}, "you cannot ignore yourself");
    } else {
        add_system({}, ignore(c.args[0]) ? "ignoring " + c.args[0] + ": their messages are kept in the history but "
                                                                     "not shown or rung; /unignore " + c.args[0] +
                                               " undoes it"
                                         : c.args[0] + " is already ignored");
    }
}

Action Model::apply_local(const Command& c) {
    switch (c.kind) {
        case CommandKind::Query: open(c.args[0]); break;
        case CommandKind::Close: close_active(); break;
        case CommandKind::Clear: clear_active(); break;
        case CommandKind::Mute:
            set_level(c.args[0], NotifyLevel::None);
            describe_level(c.args[0], "");
            break;
        case CommandKind::Unmute:
            set_level(c.args[0], std::nullopt);
            describe_level(c.args[0], "");
            break;
        case CommandKind::Notify:
            if (c.args[0].empty()) {  // the status window: list what was set
                add_system({}, levels_.empty() ? "no notify levels set: direct conversations ring for every "
                                                 "message, groups for mentions"
                                               : "notify levels set:");
                for (const auto& [k, l] : levels_) add_system({}, "  " + k + " " + std::string(level_name(l)));
                break;
            }
            if (c.args[1] == "default") set_level(c.args[0], std::nullopt);
            else if (auto l = parse_level(c.args[1])) set_level(c.args[0], *l);
            describe_level(c.args[0], c.args[1].empty() ? "" : "now ");
            break;
        case CommandKind::Ignore: ignore_command(c); break;
        case CommandKind::Unignore:
            add_system({}, unignore(c.args[0]) ? "no longer ignoring " + c.args[0] +
                                                     ": their new messages show (those kept meanwhile: /search, "
                                                     "or the next start)"
                                               : c.args[0] + " is not ignored");
            break;
        case CommandKind::Url: url_command(c); break;
        case CommandKind::Help:
            for (const auto& l : help_lines(c.args.empty() ? std::string_view{} : c.args[0])) add_system({}, l);
            break;
        default: break;
    }
    return {Action::Kind::Command, {}, c, {}, {}};
}

}  // namespace tacit::ui
