// What waits for the end of the loop pass: frames queued on connections and
// hooks that must run once the pass's commit is done. Replies and
// notifications go out only after that commit (tacit-protocol(7)), so
// nothing is written while a pass is still handling frames.
#pragma once
#include <functional>
#include <set>
#include <vector>

#include "srv/connection.hpp"

namespace tacit::srv {

class Outbox {
public:
    using Hook = std::function<void(bool committed)>;

    // Queues o on c, to be built after the commit; nothing on a dead one.
    void queue(Connection& c, Outgoing o) {
        if (c.dead) return;
        c.pending.push_back(std::move(o));
        wake(c.id);
    }
    // Flush c at the end of the pass even if nothing new is queued on it.
    void wake(uint64_t conn_id) { to_flush_.insert(conn_id); }
    // Runs once this pass's commit is done, before any reply goes out,
    // whatever became of the connection that asked for it.
    void after_commit(Hook fn) { hooks_.push_back(std::move(fn)); }

    // For the pass's end (Server::before_sleep).
    std::vector<Hook> take_hooks() { return std::exchange(hooks_, {}); }
    std::set<uint64_t> take_flush() { return std::exchange(to_flush_, {}); }
    bool idle() const { return to_flush_.empty(); }

private:
    std::set<uint64_t> to_flush_;
    std::vector<Hook> hooks_;
};

}  // namespace tacit::srv
