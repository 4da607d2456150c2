#include "srv/presence.hpp"

#include "shared/clock.hpp"
#include "shared/messages.hpp"
#include "shared/protocol.hpp"

namespace tacit::srv {

Presence::~Presence() {
    if (timer_) loop_.cancel_timer(timer_);
}

void Presence::joined(const std::string& user, uint64_t conn_id) {
    auto& conns = online_[user];
    conns.insert(conn_id);
    if (conns.size() == 1) changed();
}

void Presence::left(const std::string& user, uint64_t conn_id) {
    auto it = online_.find(user);
    if (it == online_.end() || it->second.erase(conn_id) == 0 || !it->second.empty()) return;
    online_.erase(it);
    changed();
}

std::vector<std::string> Presence::online_users() const {
    std::vector<std::string> v;
    v.reserve(online_.size());
    for (auto& entry : online_) v.push_back(entry.first);
    return v;
}

void Presence::notify_user(const std::string& user, uint8_t what, uint32_t count, const std::string& group) {
    auto it = online_.find(user);
    if (it == online_.end()) return;
    msg::Notify n;
    n.what = what;
    n.count = count;
    n.group = group;
    auto body = msg::encode_body(n);
    for (auto id : it->second) push_(id, body);
}

// The first change after a quiet second goes out at once (a zero timer: the
// next pass); later ones wait for the second to end and go out as one.
void Presence::changed() {
    dirty_ = true;
    if (timer_) return;
    uint64_t now = mono_ms();
    uint64_t due = sent_ms_ + kPresenceEveryMs;
    uint64_t wait = due > now ? due - now : 0;
    timer_ = loop_.add_timer(std::chrono::milliseconds(wait), [this] {
        timer_ = 0;
        send();
    });
}

void Presence::send() {
    if (!dirty_) return;
    dirty_ = false;
    sent_ms_ = mono_ms();
    msg::Notify n;
    n.what = proto::NOTIFY_PRESENCE;
    n.count = uint32_t(online_.size());
    auto body = msg::encode_body(n);
    for (auto& entry : online_)
        for (auto id : entry.second) push_(id, body);
}

}  // namespace tacit::srv
