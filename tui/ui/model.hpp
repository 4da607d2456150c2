// The full-screen client's state and key handling, with no I/O and no
// curses: the view reads it, draws the panes named in dirty(), and passes
// keys back (tmux grid/screen split; tested in tests/unit/test_ui_model.cpp).
// Every string from the network is sanitized on the way in, so the view
// can draw what it finds here as is.
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "tui/ui/commands.hpp"
#include "tui/ui/keys.hpp"
#include "tui/ui/line_editor.hpp"
#include "tui/ui/notify_level.hpp"

namespace tacit::ui {

// The first conversation, always present: system notices, /help output.
inline constexpr std::string_view kStatusKey = "*status*";

struct Line {
    uint64_t time_ms = 0;
    std::string from;
    std::string text;
    bool verified = false;
    bool system = false;
    bool mention = false;
    bool action = false;  // /me: drawn "* from text"
    std::string id;       // the message's msg_id (hex); "" for notices
    int hit = -1;         // a /search result line: its index in Model::hits()
};

// What the bell last rang for in a conversation since you looked at it: a
// burst rings once (a mention after plain activity once more), and again
// only after you switch to the conversation or, when it is the active one,
// press a key.
enum class Rung { Nothing, Activity, Mention };

struct Conversation {
    std::string key;  // "alice", "#ops", or kStatusKey
    std::vector<Line> lines;
    int unread = 0;
    bool mention = false;   // a mention arrived while not active
    bool activity = false;  // anything arrived while not active
    Rung rung = Rung::Nothing;
    int scroll = 0;  // lines scrolled up from the bottom; 0 follows new lines
    bool cleared = false;  // /clear: the history is not loaded into it again
    std::string marked;    // the id of the line a /search result jumped to, drawn highlighted
    // Read state, by message id (kept in the local store, so it survives a
    // restart): seen_id is the newest line you have looked at; the read
    // marker is drawn under marker_id, where seen_id was when you last left
    // the window, so the lines below it are the ones new to you.
    std::string seen_id;
    std::string marker_id;
    bool is_group() const { return !key.empty() && key[0] == '#'; }
};

// Switching to a window looks at it (its unread marks go) unless it is
// the window opened at login, which waits for a key (Model::seen_active).
enum class Look { Now, AtFirstKey };

// Live lines may ring and count as unread; history loaded from the local
// store does neither.
enum class Arrival { Live, History };

struct GroupInfo {
    std::string name;  // without '#'
    int members = 0;
};

struct Status {
    std::string server, user, connection, key_state;
};

// Tab and Shift-Tab cycle through the first four; Results holds the focus
// after a /search that found something, until Enter, Esc, Tab or typing.
enum class Focus { Input, Conversations, Online, Groups, Results };

// A /search result: the conversation and message Enter jumps to.
struct Hit {
    std::string key;  // "bob" or "#ops"
    std::string id;   // the message's msg_id
    std::string text; // the result line: date, time, conversation, sender, text
};

// Panes the view must redraw.
enum Pane : unsigned {
    kPaneStatus = 1, kPaneConvList = 2, kPaneMessages = 4,
    kPaneOnline = 8, kPaneGroups = 16, kPaneInput = 32, kPaneAll = 63,
};

struct Action {
    enum class Kind { None, Opened, Command, Error };
    Kind kind = Kind::None;
    std::string target;  // Opened: the conversation key
    Command command;     // Command (local ones like /query are applied already)
    std::string error;   // Error: also shown as a system line
    std::string line_id; // Opened from a /search result: the message to show (show_line)
};

// Whole-word, ASCII case-insensitive match of name in text.
bool mentions(std::string_view text, std::string_view name);

class Model {
public:
    Model();

    // Conversations. open() finds or creates, makes it active and clears its
    // unread marks. add_message() returns true if it rings the bell: a live
    // line from someone else that mentions you (your name, a highlight word,
    // or a line marked so), or any such line in a conversation at level all
    // that is not the active one; never at level none; and only once per
    // burst (see Rung).
    size_t open(std::string_view key);
    bool add_message(std::string_view key, Line line, Arrival arrival = Arrival::Live);
    void add_system(std::string_view key, std::string_view text, uint64_t time_ms = 0);  // "" = active
    void select(size_t index, Look look = Look::Now);
    void next();
    void prev();
    void close_active();  // the status window cannot be closed
    void close(std::string_view key);
    void clear_active();  // /clear: the screen's lines only, the history stays
    // Notify levels, kept per conversation key whether or not it is open, so
    // /close loses nothing; nullopt goes back to default_level(key).
    void set_level(std::string_view key, std::optional<NotifyLevel> level);
    NotifyLevel level(std::string_view key) const;
    bool muted(std::string_view key) const { return level(key) == NotifyLevel::None; }
    const std::map<std::string, NotifyLevel, std::less<>>& levels() const { return levels_; }
    // Users whose messages are dropped on the way in (/ignore): kept in the
    // history by the client core, but not shown, counted or rung.
    bool ignore(std::string_view user);    // false if already ignored
    bool unignore(std::string_view user);  // false if not ignored
    bool ignored(std::string_view user) const { return ignored_.count(std::string(user)) > 0; }
    const std::set<std::string>& ignored_users() const { return ignored_; }
    // Words that count as a mention (whole words, ASCII case-insensitive).
    void set_highlights(std::vector<std::string> words) { highlights_ = std::move(words); }
    const std::vector<std::string>& highlights() const { return highlights_; }
    // The user pressed a key: the active conversation may ring again, and
    // what it shows is read.
    void seen_active();
    // Alt-A: the next window after the active one with a mention, else with
    // activity (muted ones have none); false when there is none.
    bool next_activity();
    // At login, after the history is in: the window's read state from the
    // local store, and its unread count and marks from the lines after
    // seen_id (all of them when seen_id is "" or no longer loaded).
    void restore_read(std::string_view key, std::string seen_id);
    // A window in the list without switching to it (restoring the order).
    void add_window(std::string_view key);
    Conversation* find(std::string_view key);
    const std::vector<Conversation>& conversations() const { return convs_; }
    const Conversation& active() const { return convs_[active_]; }
    size_t active_index() const { return active_; }
    std::string active_key() const;  // "" for the status window

    // /search results, added to the active window with the focus on them
    // (when there are any): Up and Down pick one, Enter opens its
    // conversation (Action Opened with line_id). show_line() then scrolls
    // the active conversation to that message and marks it; false when it
    // is not among the lines loaded.
    void show_hits(std::vector<Hit> hits);
    const std::vector<Hit>& hits() const { return hits_; }
    bool show_line(std::string_view id);

    // Side lists.
    void set_online(std::vector<std::string> users);
    void set_user_online(std::string_view user, bool online);
    void set_groups(std::vector<GroupInfo> groups);
    const std::vector<std::string>& online() const { return online_; }
    const std::vector<GroupInfo>& groups() const { return groups_; }
    size_t selection(Focus list) const;

    Focus focus() const { return focus_; }
    void set_focus(Focus f);

    const Status& status() const { return status_; }
    void set_status(Status s);

    LineEditor& editor() { return editor_; }
    const LineEditor& editor() const { return editor_; }
    std::vector<std::string> completion_candidates() const;

    Action handle_key(const Key& k);
    Action submit_input();

    void set_page_size(int rows) { page_ = rows > 1 ? rows : 1; }
    void scroll_up();
    void scroll_down();
    // The view's answer to how far up the active conversation can scroll
    // before its first line leaves the top of the pane.
    void limit_scroll(int max);

    // Stamps system lines added without a time (the model reads no clock
    // itself; the session passes the wall clock, tests a fixed one).
    void set_clock(uint64_t (*now_ms)()) { clock_ = now_ms; }

    unsigned dirty() const { return dirty_; }
    unsigned take_dirty();
    void mark_dirty(unsigned panes) { dirty_ |= panes; }
    bool take_bell();

    static constexpr size_t kMaxLines = 5000;  // per conversation, oldest dropped

private:
    Action handle_list_key(const Key& k);
    Action handle_hit_key(const Key& k);
    void scroll_to(Conversation& c, size_t line);
    void mark_read(Conversation& c);
    bool counts_as_unread(const Line& l) const;
    Action apply_local(const Command& c);
    void append(Conversation& c, Line line);
    Conversation& find_or_add(const std::string& key);
    bool mentions_me(std::string_view text) const;
    void describe_level(std::string_view key, std::string_view what);
    void ignore_command(const Command& c);
    void remember_urls(std::string_view text);  // for /url, newest first
    void url_command(const Command& c);

    std::vector<Conversation> convs_;
    size_t active_ = 0;
    std::vector<std::string> online_;
    std::vector<GroupInfo> groups_;
    size_t sel_conv_ = 0, sel_online_ = 0, sel_group_ = 0, sel_hit_ = 0;
    std::vector<Hit> hits_;
    std::string hits_in_;  // the window the results are in
    Focus focus_ = Focus::Input;
    Status status_;
    LineEditor editor_;
    int page_ = 10;
    unsigned dirty_ = kPaneAll;
    bool bell_ = false;
    uint64_t (*clock_)() = nullptr;
    std::map<std::string, NotifyLevel, std::less<>> levels_;  // set explicitly
    std::vector<std::string> highlights_;
    std::set<std::string> ignored_;
    static constexpr size_t kMaxUrls = 20;
    std::vector<std::string> urls_;  // newest first, no repeats
};

}  // namespace tacit::ui
