#include "tui/ui/session.hpp"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <set>

#include "tui/ui/describe.hpp"
#include "tui/ui/keepalive.hpp"
#include "tui/ui/notify.hpp"
#include "tui/ui/plural.hpp"

namespace tacit::ui {

Session::Session(Terminal& t, client::Client& c, const client::Options& opt, const client::Config& cfg)
    : t_(t), c_(c), opt_(opt), cfg_(cfg), view_(t),
      ping_every_ms_(keepalive_interval_ms(std::getenv("TACIT_PING_INTERVAL"))), rng_(std::random_device{}()) {
    model_.set_status({opt_.server, c_.user(), "connected", ""});
    model_.set_page_size(std::max(1, view_.layout().messages.h - 1));
    model_.set_clock(wall_ms);
    model_.set_highlights(cfg_.highlight);
}

// Levels persist in the local store as "notify:KEY" = level name, so they
// survive /close and a restart and stay as private as the history.
void Session::load_levels() {
    for (const auto& [name, value] : c_.settings()) {
        if (name.rfind("notify:", 0) != 0) continue;
        if (auto l = parse_level(value)) model_.set_level(name.substr(7), *l);
    }
}

void Session::save_level(const std::string& key) {
    auto it = model_.levels().find(key);
    auto r = c_.set_setting("notify:" + key, it == model_.levels().end() ? "" : std::string(level_name(it->second)));
    if (!r.ok) model_.add_system({}, "the notify level of " + key + " is not saved: " + r.msg, wall_ms());
}

// Ignored users persist as "ignore:USER" = "yes", like the levels.
void Session::load_ignored() {
    for (const auto& [name, value] : c_.settings())
        if (name.rfind("ignore:", 0) == 0 && value == "yes") model_.ignore(name.substr(7));
}

void Session::save_ignored(const std::string& user) {
    auto r = c_.set_setting("ignore:" + user, model_.ignored(user) ? "yes" : "");
    if (!r.ok) model_.add_system({}, "the ignore list is not saved: " + r.msg, wall_ms());
}

// Window numbers stay as they were: "windows" lists the keys in order
// (tacit(1), FILES), and windows whose history was kept come back there;
// a group you are no longer in does not.
void Session::restore_windows(const std::map<std::string, std::string>& saved) {
    saved_ = saved;
    const auto groups = c_.groups();
    std::string_view list = (*saved_)["windows"];
    while (!list.empty()) {
        const size_t comma = std::min(list.find(','), list.size());
        const std::string key(list.substr(0, comma));
        list.remove_prefix(std::min(comma + 1, list.size()));
        const bool group = !key.empty() && key[0] == '#';
        const std::string name = group ? key.substr(1) : key;
        if (valid_name(name) && (!group || std::find(groups.begin(), groups.end(), name) != groups.end()))
            model_.add_window(key);
    }
}

// What to keep for the next start: the read state of each window, the
// window order and the window in use, written when they change.
void Session::save_read_state() {
    if (!c_.logged_in() || !saved_) return;
    std::string windows;
    for (const auto& c : model_.conversations()) {
        if (c.key == kStatusKey) continue;
        windows += (windows.empty() ? "" : ",") + c.key;
        if (!c.seen_id.empty()) keep_setting("read:" + c.key, c.seen_id);
    }
    keep_setting("windows", windows);
    keep_setting("active", model_.active().key);
}

void Session::keep_setting(const std::string& name, const std::string& value) {
    auto& was = (*saved_)[name];
    if (was == value) return;
    was = value;  // a failure is told once, not every pass
    auto r = c_.set_setting(name, value);
    if (!r.ok) model_.add_system(kStatusKey, "the window state is not saved: " + r.msg, wall_ms());
}

void Session::restore() {
    // Mail fetched during login is in the history already and also queued
    // as events; keep it out of the restored part so it arrives as new.
    auto pending = c_.take_events();
    load_ignored();  // before any line: theirs are not shown
    const auto saved = c_.settings();
    restore_windows(saved);
    std::set<std::string> fresh;
    for (const auto& e : pending)
        if (auto* m = std::get_if<client::ev::Message>(&e)) fresh.insert(m->msg.id);
        else if (auto* g = std::get_if<client::ev::Group>(&e)) fresh.insert(g->msg.id);
    auto convs = c_.conversations();
    // Groups left or removed from stay in the history (/search) but not in the lists.
    const auto groups = c_.groups();
    std::erase_if(convs, [&](const std::string& k) {
        return !k.empty() && k[0] == '#' && std::find(groups.begin(), groups.end(), k.substr(1)) == groups.end();
    });
    for (const auto& key : convs) {
        for (const auto& m : c_.history(key, kHistoryLines))
            if (!fresh.count(m.id)) model_.add_message(key, to_line(m), Arrival::History);
    }
    // Unread as you left them, and the window you last used, with nothing
    // marked read until you press a key.
    const auto last = saved.find("active");
    size_t at = model_.conversations().size() > 1 && !(last != saved.end() && last->second == kStatusKey) ? 1 : 0;
    for (size_t i = 1; i < model_.conversations().size(); ++i) {
        const std::string key = model_.conversations()[i].key;
        auto it = saved.find("read:" + key);
        model_.restore_read(key, it == saved.end() ? "" : it->second);
        if (last != saved.end() && last->second == key) at = i;
    }
    model_.select(at, Look::AtFirstKey);
    model_.take_bell();
    load_levels();
    model_.add_system(kStatusKey, "logged in as " + c_.user() + " on " + opt_.server, wall_ms());
    model_.add_system(kStatusKey, counted(convs.size(), "conversation") + " restored from local history. "
                                  "/help lists the commands; Alt-1 is this window.", wall_ms());
    refresh_online();
    refresh_groups();
    for (const auto& e : pending) {
        // A pre-login connection the server closed (at its login deadline,
        // while the form was open) was replaced before this login; its
        // Disconnected is stale once we are connected.
        if (std::holds_alternative<client::ev::Disconnected>(e) && c_.connected()) continue;
        on_event(e);
    }
}

void Session::set_connection(const std::string& state) {
    Status s = model_.status();
    if (s.connection == state) return;
    s.connection = state;
    model_.set_status(s);
}

int Session::poll_timeout() const {
    // While a request is out, wake often: the worker's results (key
    // generation, PBKDF2) come back through the core's own loop, and the
    // status bar's count of seconds moves.
    if (!c_.pending().empty()) return 100;
    if (reconnect_.state() != client::ReconnectSchedule::State::Waiting) return 1000;
    return static_cast<int>(std::min<uint64_t>(1000, reconnect_.wait_ms(c_.now_ms())));
}

void Session::draw() {
    std::string clock = clock_hhmm(wall_ms());
    if (clock != extras_.clock) {
        extras_.clock = clock;
        model_.mark_dirty(kPaneStatus);
    }
    show_pending();
    if (passwd_) {
        extras_.prompt = passwd_->label();
        extras_.prompt_len = passwd_->length();
    } else {
        extras_.prompt.clear();
    }
    view_.render(model_, extras_, model_.take_dirty());
    // One bell per pass at most; the model rings each burst once.
    if (model_.take_bell() && cfg_.notify != "none") t_.bell();
    if (!osc_pending_.empty()) t_.write_raw(osc_pending_);
    osc_pending_.clear();
    if (auto title = terminal_title(model_); title != title_) {
        t_.write_raw((title_.empty() ? std::string(kSaveTitle) : std::string()) + osc_title(title));
        title_ = std::move(title);
    }
}

Session::~Session() {
    if (!title_.empty()) t_.write_raw(kRestoreTitle);
}

// For a line the model rang the bell for.
void Session::notify_desktop(const std::string& conv, const Line& l) {
    if (cfg_.notify == "osc") {
        const char* prog = std::getenv("TERM_PROGRAM");
        const bool osc9 = prog && std::string(prog) == "iTerm.app";
        const char* tmux = std::getenv("TMUX");
        osc_pending_ += osc_notification("tacit " + conv, l.from + ": " + l.text, osc9, tmux && *tmux);
    }
}

// The attempt is a request (req::Reconnect) like any other, so the screen
// goes on while it connects, resumes or logs in again; the schedule's
// Attempting state keeps a second one from starting beside it.
void Session::maybe_reconnect() {
    using State = client::ReconnectSchedule::State;
    if (reconnect_.state() == State::Attempting) {
        const auto step = c_.phase();
        set_connection(step == client::Phase::Idle ? "reconnecting..." : std::string(client::phase_name(step)) + "...");
        return;
    }
    if (c_.connected()) {
        reconnect_.connected();
        set_connection("connected");
        return;
    }
    if (!reconnect_.due(c_.now_ms())) {
        uint64_t secs = (reconnect_.wait_ms(c_.now_ms()) + 999) / 1000;
        set_connection("offline, retry in " + std::to_string(secs) + "s");
        return;
    }
    set_connection("reconnecting...");
    reconnect_.attempting();
    c_.start(client::req::Reconnect{}, [this](client::Outcome o) { reconnected(o.result); });
}

void Session::reconnected(const client::Result& r) {
    if (r.ok && c_.connected()) {
        reconnect_.connected();
        set_connection("connected");
        drain_events();
        refresh_online();
        refresh_groups();
        return;
    }
    // A failed attempt can leave a half-made connection object behind
    // (connect_tcp's refusal is not a ConnError); drop it so connected()
    // stays false and sends keep going to the input line.
    c_.disconnect();
    reconnect_.failed(c_.now_ms());
    if (reconnect_.attempts() <= 3 || reconnect_.attempts() % 10 == 0)
        model_.add_system(kStatusKey, "reconnect failed (attempt " + std::to_string(reconnect_.attempts()) +
                                          "): " + r.msg, wall_ms());
}

// A PING once the connection has sent nothing for ping_every_ms_, so the
// server's idle timeout never cuts a quiet but logged-in client. A ping
// that fails leaves the connection to maybe_reconnect(), which says so.
void Session::keep_alive() {
    if (!c_.connected() || !c_.pending().empty() || !ping_due(c_.send_idle_ms(), ping_every_ms_)) return;
    c_.start(client::req::Ping{}, nullptr);
}

// The status bar's "waiting": what the oldest outstanding request is, for
// how long, and how many more are queued behind it (tacit(1), THE SCREEN).
void Session::show_pending() {
    const auto p = c_.pending();
    std::string text;
    if (!p.empty()) {
        const uint64_t secs = (c_.now_ms() - p.front().since_ms) / 1000;
        static constexpr const char* kSpin[] = {"|", "/", "-", "\\"};
        text = std::string(kSpin[(mono_ms() / 250) % 4]) + " " + p.front().what + " " + std::to_string(secs) + "s";
        if (p.size() > 1) text += " +" + std::to_string(p.size() - 1);
    }
    if (text == extras_.pending) return;
    extras_.pending = text;
    model_.mark_dirty(kPaneStatus);
}

void Session::handle_input(const Input& in) {
    model_.seen_active();  // someone is at the keyboard
    if (in.is_paste) {
        if (passwd_) {
            passwd_->paste(in.text);
        } else {
            if (model_.focus() != Focus::Input) model_.set_focus(Focus::Input);
            if (in.paste_size > in.text.size() || !model_.editor().insert(in.text))
                model_.add_system({}, "paste refused: " + std::to_string(in.paste_size) +
                                          " bytes do not fit in the input line (a message holds at most " +
                                          std::to_string(model_.editor().max_bytes()) + " bytes); nothing inserted",
                                  wall_ms());
        }
        model_.mark_dirty(kPaneInput);
        return;
    }
    handle_key(in.key);
}

void Session::handle_key(const Key& k) {
    if (k.code == KeyCode::Resize) {
        view_.relayout();
        t_.force_repaint();
        model_.set_page_size(std::max(1, view_.layout().messages.h - 1));
        model_.handle_key(k);
        // The side lists are hidden in single-pane mode: keep typing possible.
        if (view_.layout().compact && model_.focus() != Focus::Input) model_.set_focus(Focus::Input);
        return;
    }
    if (k.is_ctrl('l')) {
        t_.force_repaint();
        model_.handle_key(k);
        return;
    }
    if (passwd_) {
        model_.mark_dirty(kPaneInput);
        switch (passwd_->handle_key(k)) {
            case PasswordChange::Outcome::Done: finish_passwd(); break;
            case PasswordChange::Outcome::Cancelled:
                passwd_.reset();
                model_.add_system({}, "/passwd cancelled", wall_ms());
                break;
            case PasswordChange::Outcome::Mismatch:
                model_.add_system({}, "the passwords differ; type the new password again (Esc cancels)", wall_ms());
                break;
            case PasswordChange::Outcome::None: break;
        }
        return;
    }
    // In single-pane mode Tab only completes; there is no list to move to.
    if (view_.layout().compact && k.code == KeyCode::Tab && model_.focus() == Focus::Input &&
        model_.editor().empty())
        return;
    if (k.is_ctrl('c')) {
        if (!model_.editor().empty()) model_.editor().clear();
        else model_.add_system({}, "type /quit to leave", wall_ms());
        model_.mark_dirty(kPaneInput);
        return;
    }
    const size_t was_active = model_.active_index();
    handle_action(model_.handle_key(k), was_active);
    if (k.code == KeyCode::PageUp) {
        const Rect& r = view_.layout().messages;
        model_.limit_scroll(top_scroll(model_, t_.glyphs(), r.h, r.w));
    }
}

void Session::handle_action(const Action& a, size_t was_active) {
    switch (a.kind) {
        case Action::Kind::Opened:
            load_history(a.target);
            if (!a.line_id.empty() && !model_.show_line(a.line_id))
                model_.add_system({}, "that message is not among the lines shown here (/clear, or older than the "
                                      "last " + std::to_string(kHistoryLines) + "); /search still finds it",
                                  wall_ms());
            break;
        case Action::Kind::Command:
            if (a.command.kind == CommandKind::Query) open_query(a.command.args[0], was_active);
            else run_command(a.command);
            break;
        default: break;
    }
}

// One EventLoop (shared/event_loop.hpp) drives the screen. The terminal and
// the server's socket are its fds; SIGTERM, SIGHUP and SIGINT end the
// session as /quit does, and SIGWINCH lays the screen out again, all through
// its signalfd (tacit(1), THE SCREEN); a timer wakes it at least once a second
// for the clock, keepalive, reconnecting and the client core's own timers.
// Each pass ends in the before-sleep hook, which handles what the pass
// brought and draws the screen once.
int Session::run() {
    EventLoop loop;
    for (int sig : {SIGTERM, SIGHUP, SIGINT}) loop.on_signal(sig, [this] { quit_ = true; });
    // ncurses's own SIGWINCH handler no longer runs: Terminal::read compares
    // the terminal's size with the screen's itself.
    loop.on_signal(SIGWINCH, [this] { read_keys(); });
    loop.add_fd(STDIN_FILENO, EventLoop::Readable, [this](uint32_t ev) {
        if (ev & EventLoop::Closed) quit_ = true;  // the terminal hung up
        else read_keys();
    });
    loop.set_before_sleep([this, &loop] { end_of_pass(loop); });
    restore();
    loop.run();
    c_.logout_at_exit(1000);
    return 0;
}

void Session::read_keys() {
    while (!quit_) {
        auto in = t_.read();
        if (!in) break;
        handle_input(*in);
    }
}

void Session::end_of_pass(EventLoop& loop) {
    if (!quit_) {
        // Always pump: replies to our own requests may have carried notices
        // (new mail, group changes) that were queued while we waited.
        if (c_.connected() || !c_.pending().empty()) c_.pump();
        c_.deliver();
        keep_alive();
        drain_events();
        if (online_.due(mono_ms(), !view_.layout().compact)) refresh_online();
        maybe_reconnect();
        if (!quit_ && c_.logged_in()) count_active_group();
    }
    save_read_state();
    if (quit_) {
        loop.stop();
        return;
    }
    watch_server(loop);
    draw();
    loop.cancel_timer(wake_);
    wake_ = loop.add_timer(std::chrono::milliseconds(poll_timeout()), [] {});
}

// The server's socket changes with every reconnect, and a new one can get
// the number of an old one the kernel has already dropped from epoll, so it
// is registered afresh each pass. Its readiness only wakes the loop: the
// pass's end pumps it.
void Session::watch_server(EventLoop& loop) {
    loop.remove_fd(watched_fd_);
    watched_fd_ = c_.fd();
    if (watched_fd_ >= 0) loop.add_fd(watched_fd_, EventLoop::Readable, [](uint32_t) {});
}

}  // namespace tacit::ui
