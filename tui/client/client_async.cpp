// The client core's asynchronous face (client.hpp, requests.hpp): typed
// requests queued and run one after another on the core's loop, their
// replies handed to the front end by deliver(). One at a time, in order, so
// that a /rekey (which ends with a fresh connection) never has a send of
// the user's cut off behind it, and the status bar can say what waits.
// Each also waits its turn in the core's lane (lane.hpp) behind whatever
// a NOTIFY started, so none interleaves with a mailbox fetch.
#include <deque>

#include "shared/names.hpp"
#include "shared/protocol.hpp"
#include "tui/client/client.hpp"
#include "tui/client/client_impl.hpp"
#include "tui/client/overload.hpp"

namespace tacit::client {

std::string describe(const Request& r) {
    return std::visit(Overload{
                          [](const req::Send& q) { return "sending to " + q.to; },
                          [](const req::GroupSend& q) { return "sending to #" + q.group; },
                          [](const req::Who&) { return std::string("/who"); },
                          [](const req::GroupCreate& q) { return "creating #" + q.group; },
                          [](const req::GroupAdd& q) { return "adding " + q.user + " to #" + q.group; },
                          [](const req::GroupRemove& q) { return "removing " + q.user + " from #" + q.group; },
                          [](const req::GroupMembers& q) { return "members of #" + q.group; },
                          [](const req::AcceptKey& q) { return "accepting the key of " + q.user; },
                          [](const req::LookUp& q) { return "looking up " + q.user; },
                          [](const req::Ping&) { return std::string("ping"); },
                          // The slow parts run on the worker: say what they are.
                          [](const req::Rekey&) { return std::string("/rekey: new keys"); },
                          [](const req::Passwd&) { return std::string("/passwd: deriving keys"); },
                          [](const req::Connect&) { return std::string("connecting"); },
                          [](const req::Register& q) { return "registering " + q.user; },
                          [](const req::Login& q) { return "logging in as " + q.user; },
                          [](const req::Reconnect&) { return std::string("reconnecting"); },
                      },
                      r);
}

struct Client::Requests {
    struct Item {
        Request r;
        ReplyFn done;
        std::string what;
        uint64_t since_ms;
    };
    Client& c;
    std::deque<Item> queue;  // the front one runs while running is true
    bool running = false;
    std::deque<std::pair<ReplyFn, Outcome>> finished;

    explicit Requests(Client& cl) : c(cl) {}

    void next();
    void finish(Outcome rep);
    static Task<Outcome> run(Client& c, Request r);
    static Task<Outcome> get_in(Client& c, Request r);
    static Outcome failure(std::exception_ptr e);
};

// What the synchronous face's guarded() makes of an exception, for a reply.
Outcome Client::Requests::failure(std::exception_ptr e) {
    try {
        std::rethrow_exception(e);
    } catch (const ConnError& x) {
        return {Result::fail(proto::INTERNAL, std::string("connection: ") + x.what()), {}, {}};
    } catch (const WireError& x) {
        return {Result::fail(proto::BAD_REQUEST, std::string("malformed reply: ") + x.what()), {}, {}};
    } catch (const std::exception& x) {
        return {Result::fail(proto::INTERNAL, x.what()), {}, {}};
    }
}

void Client::Requests::next() {
    if (running || queue.empty()) return;
    running = true;
    queue.front().since_ms = c.now_ms();
    // In the lane (lane.hpp), behind any fetch or upload a NOTIFY started.
    auto t = c.impl_->in_lane(run(c, std::move(queue.front().r)));
    c.impl_->tasks.spawn(std::move(t), [this](std::variant<std::exception_ptr, Outcome> v) {
        finish(v.index() == 0 ? failure(std::get<0>(v)) : std::move(std::get<1>(v)));
    });
}

void Client::Requests::finish(Outcome rep) {
    finished.emplace_back(std::move(queue.front().done), std::move(rep));
    queue.pop_front();
    running = false;
    next();
}

// Each exchange is made into a named Task first (task.hpp: GCC 12).
Task<Outcome> Client::Requests::run(Client& c, Request r) {
    auto& im = *c.impl_;
    if (std::holds_alternative<req::Connect>(r) || std::holds_alternative<req::Register>(r) ||
        std::holds_alternative<req::Login>(r) || std::holds_alternative<req::Reconnect>(r)) {
        auto t = get_in(c, std::move(r));
        co_return co_await std::move(t);
    }
    if (!im.conn) co_return Outcome{Result::fail(proto::INTERNAL, "not connected"), {}, {}};
    if (!c.token_) co_return Outcome{Result::fail(proto::AUTH_FAILED, "log in first"), {}, {}};
    Outcome out;
    if (auto* q = std::get_if<req::Send>(&r)) {
        auto t = im.send(q->to, q->body);
        out.result = co_await std::move(t);
    } else if (auto* q = std::get_if<req::GroupSend>(&r)) {
        auto t = im.group_send(q->group, q->body);
        out.result = co_await std::move(t);
    } else if (std::holds_alternative<req::Who>(r)) {
        auto t = im.who(&out.names);
        out.result = co_await std::move(t);
    } else if (auto* q = std::get_if<req::GroupCreate>(&r)) {
        auto t = im.group_simple(proto::GROUP_CREATE, q->group, "");
        out.result = co_await std::move(t);
    } else if (auto* q = std::get_if<req::GroupAdd>(&r)) {
        auto t = im.group_simple(proto::GROUP_ADD, q->group, q->user);
        out.result = co_await std::move(t);
    } else if (auto* q = std::get_if<req::GroupRemove>(&r)) {
        auto t = im.group_simple(proto::GROUP_REMOVE, q->group, q->user);
        out.result = co_await std::move(t);
    } else if (auto* q = std::get_if<req::GroupMembers>(&r)) {
        auto t = im.group_members(q->group, &out.names, &out.owner);
        out.result = co_await std::move(t);
    } else if (auto* q = std::get_if<req::AcceptKey>(&r)) {
        auto t = im.accept_key(q->user);
        out.result = co_await std::move(t);
    } else if (auto* q = std::get_if<req::LookUp>(&r)) {
        if (auto why = name_problem(q->user); !why.empty())
            co_return Outcome{Result::fail(proto::BAD_REQUEST, "invalid user name: " + why), {}, {}};
        Result err;
        auto t = im.fetch_key(q->user, &err);
        auto key = co_await std::move(t);
        out.result = key ? Result::good(q->user + " exists") : err;
    } else if (std::holds_alternative<req::Ping>(r)) {
        uint64_t rtt_us = 0;
        auto t = im.ping(&rtt_us);
        out.result = co_await std::move(t);
    } else if (std::holds_alternative<req::Rekey>(r)) {
        auto t = im.rekey();
        out.result = co_await std::move(t);
    } else if (auto* q = std::get_if<req::Passwd>(&r)) {
        auto t = im.passwd(std::move(q->old_password), std::move(q->new_password));
        out.result = co_await std::move(t);
    }
    co_return out;
}

// The requests that need no login: they open the connection themselves.
Task<Outcome> Client::Requests::get_in(Client& c, Request r) {
    auto& im = *c.impl_;
    Outcome out;
    if (std::holds_alternative<req::Connect>(r)) {
        auto t = im.connect();
        out.result = co_await std::move(t);
    } else if (auto* q = std::get_if<req::Register>(&r)) {
        auto t = im.register_user(q->user, std::move(q->password));
        out.result = co_await std::move(t);
    } else if (auto* q = std::get_if<req::Login>(&r)) {
        auto t = im.login(q->user, std::move(q->password));
        out.result = co_await std::move(t);
    } else {
        auto t = im.reconnect();
        out.result = co_await std::move(t);
    }
    co_return out;
}

void Client::start(Request r, ReplyFn done) {
    if (!requests_) requests_ = std::make_shared<Requests>(*this);
    auto what = describe(r);
    requests_->queue.push_back(Requests::Item{std::move(r), std::move(done), std::move(what), now_ms()});
    requests_->next();
}

void Client::deliver() {
    if (!requests_) return;
    auto f = std::move(requests_->finished);
    requests_->finished.clear();
    for (auto& [done, rep] : f)
        if (done) done(std::move(rep));
}

std::vector<PendingRequest> Client::pending() const {
    std::vector<PendingRequest> out;
    if (!requests_) return out;
    for (size_t i = 0; i < requests_->queue.size(); ++i) {
        const auto& it = requests_->queue[i];
        out.push_back({it.what, it.since_ms, i == 0 && requests_->running});
    }
    return out;
}

}  // namespace tacit::client
