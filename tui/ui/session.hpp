// The logged-in client: wires the Model (state, keys) to the client core
// (network, history) and the View (drawing), on one EventLoop. One pass of
// the loop: wait for the keyboard, the server, a signal or the timer; handle
// keys; then, before sleeping again, pump the connection, turn events into
// model changes, reconnect if needed, and draw what is dirty, once.
//
// Failed sends: a message that could not be sent (no connection, or the
// connection broke while sending) is put back in the input line, so nothing
// typed is lost and nothing is sent twice behind the user's back; Enter
// sends it again. One blocked by a contact's key change is set aside
// instead, so the line is free for /accept-key, which puts it back.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <optional>
#include <random>
#include <string>

#include "shared/clock.hpp"
#include "shared/event_loop.hpp"
#include "tui/client/backoff.hpp"
#include "tui/client/client.hpp"
#include "tui/client/config.hpp"
#include "tui/ui/model.hpp"
#include "tui/ui/online_refresh.hpp"
#include "tui/ui/panes.hpp"
#include "tui/ui/prompt.hpp"
#include "tui/ui/terminal.hpp"
#include "tui/ui/view.hpp"

namespace tacit::ui {

class Session {
public:
    Session(Terminal& t, client::Client& c, const client::Options& opt, const client::Config& cfg);
    ~Session();  // puts the terminal's title back
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;
    int run();

    static constexpr size_t kHistoryLines = 300;

private:
    // session.cpp
    void restore();
    void read_keys();
    void end_of_pass(EventLoop& loop);
    void watch_server(EventLoop& loop);
    void draw();
    void handle_input(const Input& in);
    void handle_key(const Key& k);
    void handle_action(const Action& a, size_t was_active);
    void maybe_reconnect();
    void reconnected(const client::Result& r);
    void keep_alive();
    void set_connection(const std::string& state);
    void notify_desktop(const std::string& conv, const Line& l);
    void load_levels();
    void save_level(const std::string& key);
    void load_ignored();
    void save_ignored(const std::string& user);
    void restore_windows(const std::map<std::string, std::string>& saved);
    void save_read_state();
    void keep_setting(const std::string& name, const std::string& value);
    int poll_timeout() const;

    // session_events.cpp
    void drain_events();
    void on_event(const client::Event& e);
    void on_message(const client::ChatMessage& m);
    void on_group(const client::ev::Group& e);
    void refresh_online();
    void refresh_groups(const std::string& changed = "");
    void count_active_group();
    void count_group(const std::string& g);
    void publish_groups();
    void load_history(const std::string& key);
    void open_query(const std::string& key, size_t was_active);

    // session_commands.cpp
    void run_command(const Command& c);
    void send_text(const std::string& target, const std::string& text, const std::string& typed, bool action = false);
    void report(const client::Result& r, const std::string& what);
    void ask(client::Request r, const std::string& what, std::function<void(const client::Outcome&)> then_do = {});
    void keep_draft(const std::string& typed, const std::string& why);
    void add_members(const std::string& g, const std::vector<std::string>& users);
    void show_pending();
    void finish_passwd();
    void key_blocked(const std::string& target, const std::string& text, const std::string& typed);
    void accepted_key(const std::string& user);
    void warn_key_change(const client::ev::KeyChanged& e);
    void show_fingerprint(const std::string& user);
    void show_search(const std::string& text);

    Terminal& t_;
    client::Client& c_;
    const client::Options& opt_;
    const client::Config& cfg_;
    Model model_;
    View view_;
    Extras extras_;
    uint64_t ping_every_ms_;     // keepalive.hpp
    OnlineRefresh online_;       // online_refresh.hpp
    std::mt19937 rng_;
    client::ReconnectSchedule reconnect_{[this] { return std::uniform_real_distribution<double>(0.0, 1.0)(rng_); }};
    // Settings as the local store has them (keep_setting); none until
    // restore() has read them, so nothing is written over them before.
    std::optional<std::map<std::string, std::string>> saved_;
    std::map<std::string, int> members_;  // group -> member count (cache; -1: not counted)
    std::string counted_for_;             // the window count_active_group last saw
    std::set<std::string> counting_;      // groups whose count is being asked for
    bool online_asking_ = false;          // an ONLINE of refresh_online() is out
    std::optional<PasswordChange> passwd_;
    bool quit_ = false;        // /quit, or SIGTERM, SIGHUP, SIGINT: the loop stops at the pass's end
    int watched_fd_ = -1;      // the server socket the loop watches (watch_server)
    EventLoop::TimerId wake_ = 0;
    std::string title_;        // the terminal title last written ("": none yet)
    std::string osc_pending_;  // desktop notifications to write after drawing
    // A message a key change kept from being sent, until /accept-key.
    struct HeldDraft {
        std::string target, text, typed;
    };
    std::optional<HeldDraft> held_;
    std::map<std::string, std::string> key_warned_;  // user -> new fingerprint warned about
};

}  // namespace tacit::ui
