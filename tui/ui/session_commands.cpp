// Slash commands that need the client core (the model applies the local
// ones itself: /query, /close, /mute, /unmute, /help; /query is then
// checked against the server by open_query()).

#include "shared/bytes.hpp"
#include "shared/keys.hpp"
#include "shared/protocol.hpp"
#include "tui/ui/describe.hpp"
#include "tui/ui/login_screen.hpp"
#include "tui/ui/plural.hpp"
#include "tui/ui/session.hpp"

namespace tacit::ui {

namespace {
std::string join(const std::vector<std::string>& v) {
    std::string out;
    for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
    return out;
}
}  // namespace

void Session::report(const client::Result& r, const std::string& what) {
    model_.add_system({}, r.ok ? what + ": " + r.msg : what + " failed: " + r.msg, wall_ms());
}

void Session::send_text(const std::string& target, const std::string& text, const std::string& typed) {
    auto keep = [&](const std::string& why) {
        // Back into the input line, unless the user already typed something new.
        if (model_.editor().empty()) model_.editor().set_text(typed);
        model_.mark_dirty(kPaneInput);
        model_.add_system({}, "not sent (" + why + "): kept in the input line, Enter retries", wall_ms());
    };
    if (!c_.connected() || !c_.logged_in()) {
        keep("offline");
        return;
    }
    const bool group = !target.empty() && target[0] == '#';
    auto r = group ? c_.group_send(target.substr(1), text) : c_.send(target, text);
    if (r.ok) {
        Line l;
        l.time_ms = wall_ms();
        l.from = c_.user();
        l.text = text;
        l.verified = true;
        model_.add_message(target, l);
        return;
    }
    if (r.status == proto::KEY_CHANGED) key_blocked(target, text, typed);
    else if (!c_.connected()) keep(r.msg);
    else model_.add_system({}, "not sent to " + target + ": " + r.msg, wall_ms());
}

// The draft goes aside, not back into the line, so /accept-key can be typed
// there; accepted_key() brings it back for Enter to send.
void Session::key_blocked(const std::string& target, const std::string& text, const std::string& typed) {
    drain_events();  // the KeyChanged event names whose key it is (a group member's, say)
    std::vector<std::string> whose;
    if (target[0] != '#') whose.push_back(target);
    else whose = extras_.key_changed;
    std::string how;
    for (const auto& u : whose) how += (how.empty() ? "" : ", then ") + ("/accept-key " + u);
    if (how.empty()) how = "/accept-key USER";
    held_ = HeldDraft{target, text, typed};
    model_.add_system({}, "not sent to " + target + ": a key changed. Your message is set aside: check the key, "
                          "type " + how + ", and it comes back to the input line; Enter sends it.", wall_ms());
}

void Session::accepted_key(const std::string& user) {
    auto& kc = extras_.key_changed;
    kc.erase(std::remove(kc.begin(), kc.end(), user), kc.end());
    key_warned_.erase(user);
    model_.mark_dirty(kPaneStatus);
    if (!held_ || (held_->target != user && held_->target[0] != '#')) return;
    if (!model_.editor().empty()) {
        model_.add_system({}, "your message to " + held_->target + " stays set aside until the input line is "
                              "empty at the next /accept-key", wall_ms());
        return;
    }
    // Typed in its own window it goes back as typed; elsewhere as a /msg.
    const bool here = model_.active_key() == held_->target || held_->typed.rfind("/msg ", 0) == 0;
    model_.editor().set_text(here ? held_->typed : "/msg " + held_->target + " " + held_->text);
    model_.mark_dirty(kPaneInput);
    model_.add_system({}, "your message to " + held_->target + " is back in the input line: Enter sends it",
                      wall_ms());
    held_.reset();
}

void Session::show_fingerprint(const std::string& user) {
    if (!user.empty() && user != c_.user()) {
        std::string fp;
        auto r = c_.contact_fingerprint(user, &fp);
        model_.add_system({}, r.ok ? "key of " + user + ": " + fp : r.msg, wall_ms());
        return;
    }
    model_.add_system({}, "your key: " + c_.own_fingerprint(), wall_ms());
    model_.add_system({}, "server key: " + c_.server_fingerprint(), wall_ms());
}

void Session::show_search(const std::string& text) {
    auto found = c_.search(text);
    const size_t shown = std::min<size_t>(found.size(), 50);
    model_.add_system({}, "search \"" + text + "\": " + std::to_string(found.size()) + " found" +
                              (shown < found.size() ? ", newest " + std::to_string(shown) + " shown" : ""),
                      wall_ms());
    for (size_t i = found.size() - shown; i < found.size(); ++i) {
        const auto& m = found[i];
        Line l = to_line(m);
        model_.add_system({}, "  " + clock_hhmm(m.sent_at_ms) + " [" + conversation_of(m, c_.user()) + "] " +
                                  (l.system ? "" : l.from + ": ") + l.text, wall_ms());
    }
}

void Session::finish_passwd() {
    client::Password old_pw = passwd_->current(), new_pw = passwd_->password();
    passwd_.reset();  // the prompt goes while the change runs (and wipes its copies)
    model_.add_system({}, "checking the current password, then changing it (your key stays) ...", wall_ms());
    draw();
    auto r = c_.passwd(std::move(old_pw), std::move(new_pw));
    report(r, "/passwd");
}

void Session::run_command(const Command& c) {
    const auto& a = c.args;
    switch (c.kind) {
        case CommandKind::Send: {
            const std::string& text = a[1];
            send_text(a[0], text, !text.empty() && text[0] == '/' ? "/" + text : text);
            break;
        }
        case CommandKind::Msg: send_text(a[0], a[1], "/msg " + a[0] + " " + a[1]); break;
        case CommandKind::Who: {
            std::vector<std::string> users;
            auto r = c_.who(&users);
            if (r.ok) {
                model_.set_online(users);
                model_.add_system({}, std::to_string(users.size()) + " online: " + join(users), wall_ms());
            } else {
                report(r, "/who");
            }
            break;
        }
        case CommandKind::GroupCreate: {
            auto r = c_.group_create(a[0]);
            if (!r.ok) {
                report(r, "/group create");
                break;
            }
            // Into the new group's window, so each member's outcome (an
            // unknown user, say) is reported where the user is looking.
            model_.open("#" + a[0]);
            // The create's own line (from its signed record) is in the
            // history already and queued as an event: show it once.
            drain_events();
            load_history("#" + a[0]);
            report(r, "/group create");
            for (size_t i = 1; i < a.size(); ++i) report(c_.group_add(a[0], a[i]), "/group add " + a[i]);
            refresh_groups(a[0]);
            break;
        }
        case CommandKind::GroupAdd:
            for (size_t i = 1; i < a.size(); ++i) report(c_.group_add(a[0], a[i]), "/group add " + a[i]);
            refresh_groups(a[0]);
            break;
        case CommandKind::GroupRemove:
            report(c_.group_remove(a[0], a[1]), "/group remove");
            refresh_groups(a[0]);
            break;
        case CommandKind::GroupLeave:
            report(c_.group_leave(a[0]), "/group leave");
            refresh_groups(a[0]);
            break;
        case CommandKind::GroupMembers: {
            std::vector<std::string> m;
            auto r = c_.group_members(a[0], &m);
            if (!r.ok) {
                report(r, "/group members");
                break;
            }
            model_.add_system({}, "#" + a[0] + ": " + counted(m.size(), "member") + ": " + join(m), wall_ms());
            refresh_groups(a[0]);
            break;
        }
        case CommandKind::Fingerprint: show_fingerprint(a.empty() ? "" : a[0]); break;
        case CommandKind::AcceptKey: {
            auto r = c_.accept_key(a[0]);
            report(r, "/accept-key");
            if (r.ok) accepted_key(a[0]);
            break;
        }
        case CommandKind::Rekey:
            model_.add_system({}, "making a new key pair and publishing it ...", wall_ms());
            draw();
            report(c_.rekey(), "/rekey");
            break;
        case CommandKind::Passwd:
            passwd_.emplace();
            model_.add_system({}, "type your current password, then the new one twice (Esc cancels)", wall_ms());
            break;
        case CommandKind::Search: show_search(a[0]); break;
        case CommandKind::Quit: quit_ = true; break;
        case CommandKind::Query:  // handle_action: open_query()
        case CommandKind::Mute:
        case CommandKind::Unmute: save_level(a[0]); break;
        case CommandKind::Notify:
            if (!a[0].empty() && !a[1].empty()) save_level(a[0]);
            break;
        case CommandKind::Close:
        case CommandKind::Help: break;
        // Batch mode's rows (the screen's table offers none of them).
        case CommandKind::Ping:
        case CommandKind::Register:
        case CommandKind::Login:
        case CommandKind::Logout:
        case CommandKind::Update:
        case CommandKind::History:
        case CommandKind::Wait:
        case CommandKind::Groups:
        case CommandKind::GroupSend:
        case CommandKind::Reconnect: break;
    }
}

}  // namespace tacit::ui
