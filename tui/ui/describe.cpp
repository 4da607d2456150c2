#include "tui/ui/describe.hpp"

#include <sstream>

#include "tui/ui/action.hpp"
#include "tui/ui/format.hpp"

namespace tacit::ui {

std::string conversation_of(const client::ChatMessage& m, const std::string& me) {
    if (!m.group.empty()) return "#" + m.group;
    if (m.outgoing || (m.from == me && !m.to.empty())) return m.to;
    return m.from;
}

Line to_line(const client::ChatMessage& m) {
    Line l;
    l.time_ms = m.sent_at_ms;
    l.id = m.id;
    l.from = m.from;
    l.verified = m.verified || m.outgoing;
    if (m.from.empty()) {
        l.system = true;
        l.verified = m.verified;
        l.text = group_line(m.body, m.group, m.verified);
    } else if (m.body.empty() && !m.problem.empty()) {
        l.text = "[could not decrypt: " + m.problem + "]";
    } else {
        // /me (action.hpp): drawn "* from text", marked like any other line.
        const auto act = action_text(m.body);
        l.action = act.has_value();
        l.text = act ? std::string(*act) : m.body;
        // Marked, and why: a bad signature, or a group stamp the chain
        // does not back (tacit(1), THE SCREEN).
        if (!l.verified && !m.problem.empty()) l.text = "[unverified: " + m.problem + "] " + l.text;
    }
    // The time shown is the sender's; when it is far from the arrival,
    // say when it really came (tacit(1), THE SCREEN).
    if (client::clock_skewed(m)) l.text = "[arrived " + clock_hhmm(m.received_at_ms) + "] " + l.text;
    return l;
}

std::string describe_group_event(const std::string& text, const std::string& group) {
    std::istringstream ss(text);
    std::string ev, actor, subject;
    ss >> ev >> actor >> subject;
    const std::string g = "#" + group;
    if (ev == "created") return actor + " created " + g;
    if (ev == "added") return actor + " added " + subject + " to " + g;
    if (ev == "removed") return actor + " removed " + subject + " from " + g;
    if (ev == "left") return subject + " left " + g;
    if (ev == "dissolved") return actor + " dissolved " + g;
    if (ev == "rekeyed") return actor + " renewed their key in " + g;
    if (ev == "gone") return subject + " is no longer a member of " + g + " (the server no longer lists it)";
    return g + ": " + text;
}

std::string group_line(const std::string& text, const std::string& group, bool user_signed) {
    std::istringstream ss(text);
    std::string ev, actor;
    ss >> ev >> actor;
    return describe_group_event(text, group) + (user_signed ? " [signed by " + actor + "]" : " [no user signature]");
}

}  // namespace tacit::ui
