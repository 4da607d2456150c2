// Slash commands that need the client core (the model applies the local
// ones itself: /query, /close, /mute, /unmute, /help; /query is then
// checked against the server by open_query()).
#include <fstream>
#include <sstream>

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
    if (!c_.connected() || r.status == proto::KEY_CHANGED) keep(r.msg);
    else model_.add_system({}, "not sent to " + target + ": " + r.msg, wall_ms());
}

void Session::show_fingerprint(const std::string& user) {
    if (!user.empty() && user != c_.user()) {
        std::string fp;
        auto r = c_.contact_fingerprint(user, &fp);
        model_.add_system({}, r.ok ? "key of " + user + ": " + fp : r.msg, wall_ms());
        return;
    }
    std::ifstream in(account_dir(opt_, c_.user()) + "/identity.pub");
    std::string magic, b64;
    in >> magic >> b64;
    auto bundle = unbase64(b64);
    model_.add_system({}, bundle ? "your key: " + fingerprint(*bundle) : "your key: (identity.pub not readable)",
                      wall_ms());
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
    std::string pw = passwd_->password();
    passwd_.reset();
    model_.add_system({}, "changing the password (new keys, history re-wrapped) ...", wall_ms());
    draw();
    auto r = c_.passwd(pw);
    std::fill(pw.begin(), pw.end(), '\0');
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
            if (r.ok) {
                auto& kc = extras_.key_changed;
                kc.erase(std::remove(kc.begin(), kc.end(), a[0]), kc.end());
                model_.mark_dirty(kPaneStatus);
            }
            break;
        }
        case CommandKind::Rekey:
            model_.add_system({}, "making a new key pair and publishing it ...", wall_ms());
            draw();
            report(c_.rekey(), "/rekey");
            break;
        case CommandKind::Passwd:
            passwd_.emplace();
            model_.add_system({}, "type the new password, then again (Esc cancels)", wall_ms());
            break;
        case CommandKind::Search: show_search(a[0]); break;
        case CommandKind::Quit: quit_ = true; break;
        case CommandKind::Query:  // handle_action: open_query()
        case CommandKind::Close:
        case CommandKind::Help:
        case CommandKind::Mute:
        case CommandKind::Unmute: break;
    }
}

}  // namespace tacit::ui
