// Who is online: the logged-in connections of each user. It pushes
// NOTIFY mail/group to one user's connections and NOTIFY presence to
// everyone logged in when the set of online users changes, coalesced to at
// most one a second (tacit-protocol(7), NOTIFY AND PING) so a burst of logins costs
// each client one frame.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "shared/bytes.hpp"
#include "shared/event_loop.hpp"

namespace tacit::srv {

class Presence {
public:
    // Queues an unsigned frame (type | fields) on a logged-in connection.
    using Push = std::function<void(uint64_t conn_id, const Bytes& body)>;
    static constexpr uint64_t kPresenceEveryMs = 1000;

    Presence(EventLoop& loop, Push push) : loop_(loop), push_(std::move(push)) {}
    ~Presence();
    Presence(const Presence&) = delete;
    Presence& operator=(const Presence&) = delete;

    // A connection of user logged in (or resumed), or stopped being so.
    void joined(const std::string& user, uint64_t conn_id);
    void left(const std::string& user, uint64_t conn_id);

    std::vector<std::string> online_users() const;  // sorted
    // Push NOTIFY to every logged-in connection of user; group only for
    // kind 4 (group-records).
    void notify_user(const std::string& user, uint8_t what, uint32_t count, const std::string& group = {});

private:
    void changed();
    void send();

    EventLoop& loop_;
    Push push_;
    std::map<std::string, std::set<uint64_t>> online_;  // user -> logged-in connections
    bool dirty_ = false;
    uint64_t sent_ms_ = 0;
    EventLoop::TimerId timer_ = 0;
};

}  // namespace tacit::srv
