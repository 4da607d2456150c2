// Slash commands that need the client core (the model applies the local
// ones itself: /query, /close, /mute, /unmute, /help; /query is then
// checked against the server by open_query()).

#include "shared/bytes.hpp"
#include "shared/keys.hpp"
#include "shared/protocol.hpp"
#include "tui/ui/action.hpp"
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

void Session::send_text(const std::string& target, const std::string& text, const std::string& typed, bool action) {
    if (!c_.connected() || !c_.logged_in()) {
        keep_draft(typed, "offline");
        return;
    }
    const bool group = !target.empty() && target[0] == '#';
    const std::string body = action ? action_body(text) : text;
    client::Request r = group ? client::Request{client::req::GroupSend{target.substr(1), body}}
                              : client::Request{client::req::Send{target, body}};
    // The line is shown once the server has it; until then the status bar
    // says "sending to ..." and the keyboard stays the user's.
    const uint64_t typed_at = wall_ms();
    c_.start(std::move(r), [this, target, text, typed, typed_at, action](client::Outcome rep) {
        const auto& res = rep.result;
        if (res.ok) {
            Line l;
            l.time_ms = typed_at;
            l.from = c_.user();
            l.text = text;
            l.verified = true;
            l.action = action;
            model_.add_message(target, l);
            return;
        }
        if (res.status == proto::KEY_CHANGED) key_blocked(target, text, typed);
        else if (!c_.connected()) keep_draft(typed, res.msg);
        else model_.add_system({}, "not sent to " + target + ": " + res.msg, wall_ms());
    });
}

// Back into the input line, unless the user already typed something new.
void Session::keep_draft(const std::string& typed, const std::string& why) {
    if (model_.editor().empty()) {
        model_.editor().set_text(typed);
        model_.add_system({}, "not sent (" + why + "): kept in the input line, Enter retries", wall_ms());
    } else {
        model_.add_system({}, "not sent (" + why + "): " + typed, wall_ms());
    }
    model_.mark_dirty(kPaneInput);
}

// Starts r; its reply is reported as "what: ..." (report()), then then_do
// runs if it succeeded.
void Session::ask(client::Request r, const std::string& what, std::function<void(const client::Outcome&)> then_do) {
    c_.start(std::move(r), [this, what, then_do = std::move(then_do)](client::Outcome rep) {
        report(rep.result, what);
        if (rep.result.ok && then_do) then_do(rep);
    });
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
    std::vector<Hit> hits;
    for (size_t i = found.size() - shown; i < found.size(); ++i) {
        const auto& m = found[i];
        Line l = to_line(m);
        const std::string key = conversation_of(m, c_.user());
        hits.push_back({key, m.id,
                        "  " + date_ymd(m.sent_at_ms) + " " + clock_hhmm(m.sent_at_ms) + " [" + key + "] " +
                            (l.system ? "" : l.action ? "* " + l.from + " " : l.from + ": ") + l.text});
    }
    model_.show_hits(std::move(hits));
}

void Session::finish_passwd() {
    client::Password old_pw = passwd_->current(), new_pw = passwd_->password();
    passwd_.reset();  // the prompt goes while the change runs (and wipes its copies)
    model_.add_system({}, "checking the current password, then changing it (your key stays) ...", wall_ms());
    ask(client::req::Passwd{std::move(old_pw), std::move(new_pw)}, "/passwd");
}

// One request per member, in order; the group's count once the last is in.
void Session::add_members(const std::string& g, const std::vector<std::string>& users) {
    for (size_t i = 0; i < users.size(); ++i) {
        const bool last = i + 1 == users.size();
        c_.start(client::req::GroupAdd{g, users[i]}, [this, g, u = users[i], last](client::Outcome rep) {
            report(rep.result, "/group add " + u);
            if (last) refresh_groups(g);
        });
    }
    if (users.empty()) refresh_groups(g);
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
        case CommandKind::Me: send_text(a[0], a[1], "/me " + a[1], true); break;
        case CommandKind::Who:
            c_.start(client::req::Who{}, [this](client::Outcome rep) {
                if (!rep.result.ok) return report(rep.result, "/who");
                model_.add_system({}, std::to_string(rep.names.size()) + " online: " + join(rep.names), wall_ms());
                model_.set_online(std::move(rep.names));
            });
            break;
        case CommandKind::GroupCreate: {
            std::vector<std::string> add(a.begin() + 1, a.end());
            const std::string g = a[0];
            c_.start(client::req::GroupCreate{g}, [this, g, add](client::Outcome rep) {
                if (!rep.result.ok) return report(rep.result, "/group create");
                // Into the new group's window, so each member's outcome (an
                // unknown user, say) is reported where the user is looking.
                model_.open("#" + g);
                // The create's own line (from its signed record) is in the
                // history already and queued as an event: show it once.
                drain_events();
                load_history("#" + g);
                report(rep.result, "/group create");
                add_members(g, add);
            });
            break;
        }
        case CommandKind::GroupAdd: add_members(a[0], std::vector<std::string>(a.begin() + 1, a.end())); break;
        case CommandKind::GroupRemove: {
            const std::string g = a[0];
            c_.start(client::req::GroupRemove{g, a[1]}, [this, g](client::Outcome rep) {
                report(rep.result, "/group remove");
                refresh_groups(g);
            });
            break;
        }
        case CommandKind::GroupLeave: {
            const std::string g = a[0];
            c_.start(client::req::GroupRemove{g, c_.user()}, [this, g](client::Outcome rep) {
                report(rep.result, "/group leave");
                refresh_groups(g);
            });
            break;
        }
        case CommandKind::GroupMembers: {
            const std::string g = a[0];
            c_.start(client::req::GroupMembers{g}, [this, g](client::Outcome rep) {
                if (!rep.result.ok) return report(rep.result, "/group members");
                // The owner is for good (no transfer; tacit(1) Commands).
                auto shown = rep.names;
                for (auto& n : shown)
                    if (n == rep.owner) n += " (owner)";
                model_.add_system({}, "#" + g + ": " + counted(rep.names.size(), "member") + ": " + join(shown),
                                  wall_ms());
                members_[g] = static_cast<int>(rep.names.size());
                publish_groups();
            });
            break;
        }
        case CommandKind::Fingerprint: show_fingerprint(a.empty() ? "" : a[0]); break;
        case CommandKind::AcceptKey: {
            const std::string u = a[0];
            ask(client::req::AcceptKey{u}, "/accept-key", [this, u](const client::Outcome&) { accepted_key(u); });
            break;
        }
        case CommandKind::Rekey:
            model_.add_system({}, "making a new key pair and publishing it ...", wall_ms());
            ask(client::req::Rekey{}, "/rekey");
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
        case CommandKind::Ignore:
            if (!a.empty() && a[0] != c_.user()) save_ignored(a[0]);
            break;
        case CommandKind::Unignore: save_ignored(a[0]); break;
        case CommandKind::Close:
        case CommandKind::Clear:
        case CommandKind::Help:
        case CommandKind::Url: break;
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
