// Client-core events -> model changes (and the bell).
#include <algorithm>

#include "shared/protocol.hpp"
#include "tui/ui/describe.hpp"
#include "tui/client/overload.hpp"
#include "tui/ui/session.hpp"

namespace tacit::ui {

void Session::drain_events() {
    // Handling an event can make requests that queue more events.
    for (int round = 0; round < 8 && c_.has_events(); ++round)
        for (const auto& e : c_.take_events()) on_event(e);
}

void Session::on_message(const client::ChatMessage& m) {
    const std::string key = conversation_of(m, c_.user());
    if (key.empty()) return;
    Line l = to_line(m);
    if (model_.add_message(key, l)) notify_desktop(key, l);
}

void Session::on_event(const client::Event& e) {
    namespace ev = client::ev;
    std::visit(client::Overload{
                   [this](const ev::Message& m) { on_message(m.msg); },
                   [this](const ev::Group& g) { on_group(g); },
                   [this](const ev::Presence&) { online_.stale(); },
                   [this](const ev::KeyChanged& k) { warn_key_change(k); },
                   [this](const ev::Disconnected& d) {
                       set_connection("disconnected");
                       model_.add_system(kStatusKey, d.text + "; reconnecting", wall_ms());
                   },
                   [this](const ev::Reconnected& r) {
                       model_.add_system(kStatusKey, "reconnected: " + r.text, wall_ms());
                   },
                   [this](const ev::Info& i) { model_.add_system(kStatusKey, i.text, wall_ms()); },
                   [this](const ev::GroupWarning& w) {
                       model_.add_system("#" + w.group, "warning: " + w.text, wall_ms());
                       model_.add_system(kStatusKey, "warning: #" + w.group + ": " + w.text, wall_ms());
                   },
               },
               e);
}

void Session::on_group(const client::ev::Group& e) {
    Line l;
    l.time_ms = e.msg.sent_at_ms ? e.msg.sent_at_ms : wall_ms();
    l.system = true;
    l.verified = e.msg.verified;
    l.text = group_line(e.text, e.group, e.msg.verified);
    // Added by someone else: who it was is in the line; leaving is one command away.
    if (e.subject == c_.user() && e.text.rfind("added ", 0) == 0)
        l.text += "; /group leave #" + e.group + " to leave it";
    l.mention = e.subject == c_.user();  // about you: rings as a mention does
    const std::string key = "#" + e.group;
    if (model_.add_message(key, l)) notify_desktop(key, l);
    refresh_groups(e.group);
}

// One warning per change: the core reports a change again for every
// message and send it affects.
void Session::warn_key_change(const client::ev::KeyChanged& e) {
    auto& kc = extras_.key_changed;
    if (std::find(kc.begin(), kc.end(), e.user) == kc.end()) kc.push_back(e.user);
    model_.mark_dirty(kPaneStatus);
    auto [it, fresh] = key_warned_.try_emplace(e.user, e.fingerprint);
    if (!fresh && it->second == e.fingerprint) return;
    it->second = e.fingerprint;
    Line l;
    l.time_ms = wall_ms();
    l.system = true;
    l.mention = true;
    l.text = "KEY CHANGED: " + e.user + "'s key is now " + e.fingerprint + " (was " + e.old_fingerprint +
             "). Nothing is sent to " + e.user + " until you check it with " + e.user +
             " (in person, or another channel you trust) and type /accept-key " + e.user + ".";
    if (model_.add_message(e.user, l)) notify_desktop(e.user, l);
}

// ONLINE goes out as a request of its own; one at a time.
void Session::refresh_online() {
    if (!c_.logged_in() || online_asking_) return;
    online_.asked(mono_ms());
    online_asking_ = true;
    c_.start(client::req::Who{}, [this](client::Outcome rep) {
        online_asking_ = false;
        if (rep.result.ok) model_.set_online(std::move(rep.names));
    });
}

// Member counts are fetched lazily (issue 13 item 5): each costs the
// server a signed GROUP_FETCH, so only the group on screen is counted, once,
// and a group an event or a command changed is counted again; the others
// show no count until they are looked at (count_active_group). A count is a
// request of its own: the list shows the group at once, its count when the
// reply is in.
void Session::refresh_groups(const std::string& changed) {
    auto names = c_.groups();
    const std::string& key = model_.active().key;
    const std::string shown = key.size() > 1 && key[0] == '#' ? key.substr(1) : "";
    std::map<std::string, int> counts;
    std::vector<std::string> to_count;
    for (const auto& g : names) {
        auto it = members_.find(g);
        const bool known = it != members_.end() && it->second >= 0;
        counts[g] = known ? it->second : -1;
        if ((known && g != changed) || !c_.logged_in() || (g != changed && g != shown)) continue;
        to_count.push_back(g);
    }
    members_ = counts;
    // A group left, removed from or dissolved leaves the lists.
    std::vector<std::string> gone;
    for (const auto& cv : model_.conversations())
        if (cv.is_group() && !counts.count(cv.key.substr(1)) && c_.logged_in()) gone.push_back(cv.key);
    for (const auto& key : gone) {
        model_.close(key);
        model_.add_system(kStatusKey, "you are no longer in " + key + "; its window is closed (/search finds its history)",
                          wall_ms());
    }
    publish_groups();
    for (const auto& g : to_count) count_group(g);
}

void Session::count_group(const std::string& g) {
    if (!counting_.insert(g).second) return;  // one count of a group at a time
    c_.start(client::req::GroupMembers{g}, [this, g](client::Outcome rep) {
        counting_.erase(g);
        auto it = members_.find(g);
        if (it == members_.end()) return;  // left meanwhile
        it->second = rep.result.ok ? static_cast<int>(rep.names.size()) : -1;
        publish_groups();
    });
}

void Session::publish_groups() {
    std::vector<GroupInfo> infos;
    for (const auto& [g, n] : members_) infos.push_back(GroupInfo{g, std::max(0, n)});
    model_.set_groups(std::move(infos));
    model_.mark_dirty(kPaneStatus);  // the title shows the active group's size
}

// Once per switch to a group window whose count is not known yet.
void Session::count_active_group() {
    const std::string& key = model_.active().key;
    if (key == counted_for_) return;
    counted_for_ = key;
    if (key.size() < 2 || key[0] != '#') return;
    auto it = members_.find(key.substr(1));
    if (it != members_.end() && it->second < 0) count_group(key.substr(1));
}

// /query opened the window already (the model applies it); a name the
// server does not know is closed again, and the previous window comes back.
// /query opened the window already (the model applies it); a name the
// server does not know is closed again, and the previous window comes back
// (if the user is still there when the answer comes).
void Session::open_query(const std::string& key, size_t was_active) {
    const Conversation* cv = model_.find(key);
    const bool fresh = cv && cv->lines.empty() && c_.history(key, 1).empty() && key != c_.user();
    load_history(key);
    if (!fresh || !c_.logged_in()) return;
    client::Request r = key[0] == '#' ? client::Request{client::req::GroupMembers{key.substr(1)}}
                                      : client::Request{client::req::LookUp{key}};
    c_.start(std::move(r), [this, key, was_active](client::Outcome rep) {
        const auto& res = rep.result;
        if (res.ok || !(res.status == proto::NO_SUCH_USER || res.status == proto::NO_SUCH_GROUP ||
                        res.status == proto::NOT_MEMBER))
            return;
        const bool here = model_.active_key() == key;
        model_.close(key);
        if (here) model_.select(was_active);
        model_.add_system({}, "/query " + key + ": " + res.msg, wall_ms());
    });
}

void Session::load_history(const std::string& key) {
    const Conversation* cv = model_.find(key);
    if (!cv || !cv->lines.empty() || cv->cleared || key == kStatusKey) return;
    for (const auto& m : c_.history(key, kHistoryLines)) model_.add_message(key, to_line(m), Arrival::History);
    model_.take_bell();
}

}  // namespace tacit::ui
