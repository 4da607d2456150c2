// srv/presence: who is online, NOTIFY to one user's connections, and the
// NOTIFY presence that a burst of logins and logouts coalesces into.
#include <catch2/catch.hpp>

#include <map>
#include <string>
#include <vector>

#include "shared/event_loop.hpp"
#include "shared/messages.hpp"
#include "shared/protocol.hpp"
#include "srv/presence.hpp"

using namespace tacit;
using namespace tacit::srv;
using namespace std::chrono_literals;

namespace {

struct Pushed {
    uint64_t conn;
    msg::Notify n;
};

// A presence over a real loop that records what it pushes.
struct Fixture {
    EventLoop loop;  // first: it outlives the presence's timer
    std::vector<Pushed> got;
    Presence p{loop, [this](uint64_t id, const Bytes& body) {
                   got.push_back({id, msg::decode<msg::Notify>(body).m});
                   if (got.size() >= want) loop.stop();
               }};
    size_t want = 0;

    // Runs the loop until `more` further frames were pushed (a guard fails
    // the test if they never come).
    void run_until(size_t more) {
        want = got.size() + more;
        auto guard = loop.add_timer(10s, [this] {
            loop.stop();
            FAIL("presence pushed " << got.size() << " frames, expected " << want);
        });
        loop.run();
        loop.cancel_timer(guard);
    }
    // Presence frames per connection among those pushed from index `from`.
    std::map<uint64_t, std::vector<uint32_t>> presence_counts(size_t from = 0) const {
        std::map<uint64_t, std::vector<uint32_t>> out;
        for (size_t i = from; i < got.size(); ++i)
            if (got[i].n.what == proto::NOTIFY_PRESENCE) out[got[i].conn].push_back(got[i].n.count);
        return out;
    }
};

}  // namespace

TEST_CASE("presence: a burst of changes is one NOTIFY per logged-in connection with the final count",
          "[presence]") {
    Fixture f;
    f.p.joined("ann", 1);
    f.p.joined("ann", 2);  // a second terminal of ann: no change in who is online
    f.p.joined("bob", 3);
    CHECK(f.got.empty());  // nothing goes out inside the pass that changed it
    f.run_until(3);
    using Counts = std::map<uint64_t, std::vector<uint32_t>>;
    CHECK(f.presence_counts() == Counts{{1, {2}}, {2, {2}}, {3, {2}}});

    // Within the second after that NOTIFY: three changes, one frame each.
    const size_t mark = f.got.size();
    f.p.joined("cat", 4);
    f.p.left("bob", 3);
    f.p.left("ann", 1);  // ann is still online on connection 2
    f.run_until(2);
    CHECK(f.presence_counts(mark) == Counts{{2, {2}}, {4, {2}}});
    CHECK(f.loop.timer_count() == 0);  // nothing more is due
    CHECK(f.p.online_users() == std::vector<std::string>{"ann", "cat"});
}

TEST_CASE("presence: a login and logout that cancel out still tell everyone once", "[presence]") {
    Fixture f;
    f.p.joined("ann", 1);
    f.run_until(1);
    const size_t mark = f.got.size();
    f.p.joined("bob", 2);
    f.p.left("bob", 2);
    f.p.left("bob", 2);   // a second detach of the same connection changes nothing
    f.p.left("zed", 9);   // nor does one never attached
    f.run_until(1);
    CHECK(f.presence_counts(mark) == std::map<uint64_t, std::vector<uint32_t>>{{1, {1}}});
    CHECK(f.loop.timer_count() == 0);
}

TEST_CASE("presence: NOTIFY to a user reaches that user's connections only, at once", "[presence]") {
    Fixture f;
    f.p.joined("ann", 1);
    f.p.joined("ann", 2);
    f.p.joined("bob", 3);
    f.p.notify_user("ann", proto::NOTIFY_MAIL, 7);
    REQUIRE(f.got.size() == 2);
    for (auto& g : f.got) {
        CHECK((g.conn == 1 || g.conn == 2));
        CHECK(g.n.what == proto::NOTIFY_MAIL);
        CHECK(g.n.count == 7);
    }
    CHECK(f.got[0].conn != f.got[1].conn);
    f.got.clear();
    f.p.notify_user("zed", proto::NOTIFY_MAIL, 1);  // not online
    CHECK(f.got.empty());
    f.p.left("ann", 1);
    f.p.notify_user("ann", proto::NOTIFY_GROUP_RECORDS, 4, "ops");
    REQUIRE(f.got.size() == 1);
    CHECK(f.got[0].conn == 2);
    CHECK(f.got[0].n.what == proto::NOTIFY_GROUP_RECORDS);
    CHECK(f.got[0].n.count == 4);
    CHECK(f.got[0].n.group == "ops");
    CHECK(f.p.online_users() == std::vector<std::string>{"ann", "bob"});
}
