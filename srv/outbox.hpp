// What waits for the end of the loop pass: frames queued on connections,
// written once the pass's commit is done. Replies and notifications go out
// only after that commit (tacit-protocol(7)), so nothing is written while a
// pass is still handling frames.
#pragma once
#include <functional>
#include <set>
#include <utility>
#include <vector>

#include "srv/connection.hpp"

namespace tacit::srv {

class Outbox {
public:
    using Find = std::function<Connection*(uint64_t conn_id)>;

    // find: the live connection of an id, or null (Server's table).
    explicit Outbox(Find find) : find_(std::move(find)) {}

    // Where a reply that comes later (Ctx::then) goes: null once the
    // connection is gone.
    Connection* live(uint64_t conn_id) const { return find_(conn_id); }

    // Queues o on c, to be built after the commit; nothing on a dead one.
    void queue(Connection& c, Outgoing o) {
        if (c.dead) return;
        c.pending.push_back(std::move(o));
        wake(c.id);
    }
    // Flush c at the end of the pass even if nothing new is queued on it.
    void wake(uint64_t conn_id) { to_flush_.insert(conn_id); }

    // For the pass's end (Server::before_sleep).
    std::set<uint64_t> take_flush() { return std::exchange(to_flush_, {}); }
    bool idle() const { return to_flush_.empty(); }

private:
    Find find_;
    std::set<uint64_t> to_flush_;
};

}  // namespace tacit::srv
