#include "tui/batch/batch.hpp"

#include <errno.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <iostream>
#include <random>
#include <nlohmann/json.hpp>
#include <sstream>

#include "shared/clock.hpp"
#include "shared/protocol.hpp"
#include "tui/batch/stop_signals.hpp"
#include "tui/ui/action.hpp"
#include "tui/client/backoff.hpp"
#include "tui/client/overload.hpp"
#include "tui/ui/commands.hpp"
#include "tui/ui/sanitize.hpp"

namespace tacit::batch {

using nlohmann::json;
using client::Client;
using client::Event;
using client::Result;

namespace {

// Overwrites s before it is freed or reused (it may have held a password).
void scrub(std::string& s) {
    wipe(s.data(), s.size());
    s.clear();
}

// Invalid UTF-8 from a peer must not make the JSON writer throw.
std::string dumps(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

void emit(const json& j) {
    std::cout << dumps(j) << "\n";
    std::cout.flush();
}

// Text from the network, made safe for a terminal by the screen's rules
// (tacit(1): C1 controls, DEL, bidi overrides and the like are shown as
// their code), since batch output is often just printed.
std::string clean(const std::string& untrusted) { return ui::sanitize(untrusted); }
json clean_all(const std::vector<std::string>& v) {
    json a = json::array();
    for (auto& s : v) a.push_back(clean(s));
    return a;
}

json message_json(const client::ChatMessage& m) {
    json j = {{"event", "message"}, {"from", clean(m.from)}, {"to", clean(m.to)},
              {"group", m.group.empty() ? json(nullptr) : json(clean(m.group))},
              {"id", clean(m.id)}, {"sent_at", m.sent_at_ms}, {"body", ui::sanitize(m.body, true)},
              {"verified", m.verified}};
    // /me (tacit-protocol(7), END-TO-END PAYLOAD): the text without its marker.
    if (auto act = ui::action_text(m.body)) {
        j["body"] = ui::sanitize(*act, true);
        j["action"] = true;
    }
    if (m.received_at_ms) j["received_at"] = m.received_at_ms;
    if (client::clock_skewed(m)) j["skewed"] = true;
    if (!m.problem.empty()) j["problem"] = clean(m.problem);
    return j;
}

json history_json(const client::ChatMessage& m) {
    json j = message_json(m);
    j.erase("event");
    j["outgoing"] = m.outgoing;
    return j;
}

// A group record as its JSON line; signed_by: whose verified record this
// is, null when only the server says so (tacit(1), BATCH MODE).
json group_json(const client::ev::Group& g) {
    const std::string text = clean(g.text);
    std::istringstream ss(text);
    std::string what, actor, subject;
    ss >> what >> actor >> subject;
    json j = {{"event", "group"}, {"group", clean(g.group)}, {"what", what}, {"actor", actor},
              {"subject", subject}, {"text", text}, {"verified", g.msg.verified},
              {"signed_by", g.msg.verified ? json(actor) : json(nullptr)}};
    if (!g.msg.problem.empty()) j["problem"] = clean(g.msg.problem);
    return j;
}

void emit_events(Client& c) {
    namespace ev = client::ev;
    for (auto& e : c.take_events())
        std::visit(client::Overload{
                       [](const ev::Message& m) { emit(message_json(m.msg)); },
                       [](const ev::Group& g) { emit(group_json(g)); },
                       [&c](const ev::Presence&) {
                           // The NOTIFY carries only a count; the page promises the names.
                           std::vector<std::string> users;
                           if (c.who(&users).ok) emit({{"event", "presence"}, {"users", clean_all(users)}});
                       },
                       [](const ev::KeyChanged& k) {
                           emit({{"event", "key_changed"}, {"user", clean(k.user)}, {"old", k.old_fingerprint},
                                 {"new", k.fingerprint}});
                       },
                       [](const ev::Disconnected& d) { emit({{"event", "disconnected"}, {"reason", clean(d.text)}}); },
                       [](const ev::Reconnected& r) { emit({{"event", "reconnected"}, {"msg", clean(r.text)}}); },
                       [](const ev::Info& i) { emit({{"event", "info"}, {"msg", clean(i.text)}}); },
                       [](const ev::GroupWarning& w) {
                           emit({{"event", "group_warning"}, {"group", clean(w.group)}, {"msg", clean(w.text)}});
                       },
                   },
                   e);
}

json reply(const std::string& cmd, const Result& r) {
    return {{"cmd", clean(cmd)}, {"ok", r.ok}, {"status", std::string(proto::status_name(r.status))},
            {"msg", clean(r.msg)}};
}

// Standard input as lines, without stdio's buffer: a line already read is
// handed out at once, never left waiting behind poll() for more input.
// Lines may carry a password (login, register, passwd), so every byte read
// is wiped once handed out: nothing of a line outlives its handling.
class LineReader {
public:
    ~LineReader() { scrub(buf_); }
    // A complete line, or the last unterminated one at end of input.
    std::optional<std::string> next() {
        auto nl = buf_.find('\n', pos_);
        if (nl == std::string::npos && !(eof_ && pos_ < buf_.size())) return std::nullopt;
        const size_t end = nl == std::string::npos ? buf_.size() : nl;
        std::string line = buf_.substr(pos_, end - pos_);
        pos_ = nl == std::string::npos ? buf_.size() : nl + 1;
        compact();
        if (!line.empty() && line.back() == '\r') line.pop_back();
        return line;
    }
    // Reads what is there; call when fd 0 polls readable.
    void fill() {
        char chunk[4096];
        ssize_t n = ::read(0, chunk, sizeof chunk);
        if (n > 0) {
            // Appending may reallocate: copy into a fresh buffer and wipe the old one.
            std::string grown;
            grown.reserve(buf_.size() - pos_ + size_t(n));
            grown.append(buf_, pos_).append(chunk, size_t(n));
            scrub(buf_);
            buf_ = std::move(grown);
            pos_ = 0;
            wipe(chunk, size_t(n));
        } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
            eof_ = true;
        }
    }
    bool done() const { return eof_ && pos_ >= buf_.size(); }

private:
    // Drops the handed-out front, wiping it (erase() would leave copies
    // behind the new end).
    void compact() {
        if (pos_ == 0) return;
        std::string rest = buf_.substr(pos_);
        scrub(buf_);
        buf_ = std::move(rest);
        pos_ = 0;
    }
    std::string buf_;
    size_t pos_ = 0;
    bool eof_ = false;
};

// A line, wiped when it goes (see LineReader).
struct ScrubbedLine {
    std::string text;
    ~ScrubbedLine() { scrub(text); }
};

// SIGTERM, SIGINT, SIGHUP (stop_signals.hpp); set while run() runs.
StopSignals* stop = nullptr;
bool stopping() { return stop && stop->caught(); }

// When to reconnect: the screen's policy (client/backoff.hpp), one for both.
client::ReconnectSchedule& reconnect_schedule() {
    static std::mt19937 rng(std::random_device{}());
    static client::ReconnectSchedule s([] { return std::uniform_real_distribution<double>(0.0, 1.0)(rng); });
    return s;
}

// Reads events for `ms` milliseconds, reconnecting if the link drops.
void wait_events(Client& c, uint64_t ms) {
    auto& again = reconnect_schedule();
    const uint64_t end = mono_ms() + ms;
    for (uint64_t now = mono_ms(); now < end && !stopping(); now = mono_ms()) {
        if (c.connected()) {
            again.connected();
            pollfd p{c.fd(), POLLIN, 0};
            int n = ::poll(&p, 1, int(std::min<uint64_t>(100, end - now)));
            if (n > 0) c.pump();
            emit_events(c);
            continue;
        }
        if ((c.logged_in() || c.token()) && again.due(now)) {
            auto r = c.reconnect();
            emit_events(c);
            if (r.ok && c.connected()) {
                again.connected();
            } else {
                c.disconnect();  // a refused attempt can leave a half-made connection
                again.failed(mono_ms());
            }
            continue;
        }
        const uint64_t nap = again.state() == client::ReconnectSchedule::State::Waiting ? again.wait_ms(now) : 100;
        ::poll(nullptr, 0, int(std::min<uint64_t>({std::max<uint64_t>(nap, 1), 100, end - now})));
    }
}

// Runs one parsed command (ui/commands.hpp's table) and writes its reply,
// tacit(1) BATCH MODE. False after quit.
bool run_command(Client& c, const std::string& cmd, const ui::Command& p) {
    using K = ui::CommandKind;
    const auto& a = p.args;
    switch (p.kind) {
        case K::Quit: emit({{"cmd", cmd}, {"ok", true}, {"status", "OK"}, {"msg", "bye"}}); return false;
        case K::Ping: {
            uint64_t rtt = 0;
            auto res = c.ping(&rtt);
            auto j = reply(cmd, res);
            if (res.ok) j["rtt_us"] = rtt;
            emit(j);
            break;
        }
        case K::Fingerprint:
            if (!a.empty()) {
                std::string fp;
                auto res = c.contact_fingerprint(a[0], &fp);
                auto j = reply(cmd, res);
                j["user"] = clean(a[0]);
                if (res.ok) j["fingerprint"] = fp;
                emit(j);
            } else {
                auto j = reply(cmd, Result::good(c.server_fingerprint()));
                j["server"] = c.server_fingerprint();
                if (auto own = c.own_fingerprint(); !own.empty()) j["fingerprint"] = own;
                emit(j);
            }
            break;
        case K::Register: emit(reply(cmd, c.register_user(a[0], a[1]))); break;
        case K::Login: {
            auto res = c.login(a[0], a[1]);
            emit_events(c);
            emit(reply(cmd, res));
            break;
        }
        case K::Logout: emit(reply(cmd, c.logout())); break;
        case K::Who: {
            std::vector<std::string> users;
            auto res = c.who(&users);
            auto j = reply(cmd, res);
            j["users"] = clean_all(users);
            emit(j);
            break;
        }
        case K::Rekey: {
            auto res = c.rekey();
            auto j = reply(cmd, res);
            if (res.ok) j["fingerprint"] = c.own_fingerprint();
            emit(j);
            break;
        }
        // The new password takes the rest of the line, as login's does.
        case K::Passwd: emit(reply(cmd, c.passwd(a[0], a[1]))); break;
        case K::Msg:
        case K::GroupSend: {
            auto res = p.kind == K::Msg ? c.send(a[0], a[1]) : c.group_send(a[0], a[1]);
            emit_events(c);
            auto j = reply(cmd, res);
            if (res.ok) j["id"] = res.id;
            emit(j);
            break;
        }
        case K::Update: {
            auto res = c.update();
            emit_events(c);
            auto j = reply(cmd, res);
            if (res.ok) j["count"] = res.count;
            emit(j);
            break;
        }
        case K::History:
        case K::Search: {
            json arr = json::array();
            auto found = p.kind == K::History ? c.history(a[0], size_t(p.number.value_or(20))) : c.search(a[0]);
            for (auto& m : found) arr.push_back(history_json(m));
            auto msg = p.kind == K::Search ? std::to_string(arr.size()) + " found"
                                           : std::to_string(arr.size()) + (arr.size() == 1 ? " message" : " messages");
            auto j = reply(cmd, Result::good(msg));
            j["messages"] = arr;
            emit(j);
            break;
        }
        case K::AcceptKey: {
            auto res = c.accept_key(a[0]);
            auto j = reply(cmd, res);
            std::string fp;
            if (res.ok && c.contact_fingerprint(a[0], &fp).ok) j["fingerprint"] = fp;
            emit(j);
            break;
        }
        case K::Wait:
            wait_events(c, uint64_t(p.number.value_or(1.0) * 1000));
            emit(reply(cmd, Result::good("waited")));
            break;
        case K::GroupCreate: emit(reply(cmd, c.group_create(a[0]))); break;
        case K::GroupAdd: emit(reply(cmd, c.group_add(a[0], a[1]))); break;
        case K::GroupRemove: emit(reply(cmd, c.group_remove(a[0], a[1]))); break;
        case K::GroupLeave: emit(reply(cmd, c.group_leave(a[0]))); break;
        case K::Groups: {
            auto j = reply(cmd, Result::good("groups"));
            j["groups"] = clean_all(c.groups());
            emit(j);
            break;
        }
        case K::GroupMembers: {
            std::vector<std::string> m;
            std::string owner;
            auto res = c.group_members(a[0], &m, &owner);
            auto j = reply(cmd, res);
            j["members"] = clean_all(m);
            if (res.ok) j["owner"] = clean(owner);
            emit(j);
            break;
        }
        case K::Reconnect: emit(reply(cmd, c.reconnect())); break;
        // The screen's own rows: batch mode's table offers none of them.
        case K::Send:
        case K::Query:
        case K::Close:
        case K::Me:
        case K::Clear:
        case K::Ignore:
        case K::Unignore:
        case K::Help:
        case K::Url:
        case K::Mute:
        case K::Unmute:
        case K::Notify: break;
    }
    return true;
}

}  // namespace

int run(client::Options opt) {
    std::unique_ptr<Client> cp;
    std::optional<StopSignals> signals;
    try {
        signals.emplace();  // before the client core's worker thread starts
        stop = &*signals;
        cp = std::make_unique<Client>(opt);
    } catch (const std::exception& e) {
        emit({{"event", "error"}, {"msg", e.what()}});
        return 2;
    }
    Client& c = *cp;
    auto r = c.connect();
    emit_events(c);
    emit({{"event", "connected"}, {"ok", r.ok}, {"status", std::string(proto::status_name(r.status))},
          {"msg", r.msg}, {"fingerprint", c.server_fingerprint()}});
    if (!r.ok) return 1;

    LineReader in;
    for (;;) {
        // Wait for stdin while still delivering pushed events.
        std::optional<std::string> next;
        while (!stopping() && !(next = in.next()) && !in.done()) {
            pollfd p[3] = {{0, POLLIN, 0}, {signals->fd(), POLLIN, 0}, {c.fd(), POLLIN, 0}};
            int n = ::poll(p, c.fd() >= 0 ? 3 : 2, 1000);
            if (n > 0 && c.fd() >= 0 && (p[2].revents & (POLLIN | POLLHUP | POLLERR))) c.pump();
            emit_events(c);
            if (n > 0 && (p[0].revents & (POLLIN | POLLHUP | POLLERR))) in.fill();
        }
        if (!next || stopping()) break;
        ScrubbedLine held{std::move(*next)};
        scrub(*next);  // a short line moves by copy
        const std::string& line = held.text;
        const auto first = line.find_first_not_of(" \t");
        if (first == std::string::npos || line[first] == '#') continue;
        const std::string cmd(line.substr(first, line.find_first_of(" \t", first) - first));
        auto parsed = ui::parse_batch_command(line);
        if (!parsed.ok) {
            emit({{"cmd", clean(cmd)}, {"ok", false}, {"status", "BAD_REQUEST"}, {"msg", clean(parsed.error)}});
            continue;
        }
        if (!run_command(c, cmd, parsed.command)) break;
        c.pump();
        emit_events(c);
    }
    if (stopping()) {
        // Stopped by a signal: the session ends at the server, not by timeout.
        const bool was_in = c.logged_in();
        auto out = was_in ? c.logout() : client::Result::good("not logged in");
        emit_events(c);
        emit({{"event", "stopped"}, {"signal", signals->name()}, {"ok", out.ok}, {"msg", clean(out.msg)}});
    }
    stop = nullptr;
    return 0;
}

}  // namespace tacit::batch
