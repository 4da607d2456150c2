#include "tui/batch/batch.hpp"

#include <errno.h>
#include <poll.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "shared/clock.hpp"
#include "shared/protocol.hpp"
#include "tui/ui/sanitize.hpp"

namespace tacit::batch {

using nlohmann::json;
using client::Client;
using client::Event;
using client::Result;

namespace {

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

void emit_events(Client& c) {
    for (auto& e : c.take_events()) {
        e.text = clean(e.text);
        switch (e.kind) {
        case Event::Kind::Message: emit(message_json(e.msg)); break;
        case Event::Kind::Group: {
            std::istringstream ss(e.text);
            std::string ev, actor, subject;
            ss >> ev >> actor >> subject;
            emit({{"event", "group"}, {"group", clean(e.group)}, {"what", ev}, {"actor", actor},
                  {"subject", subject}, {"text", e.text}, {"verified", e.msg.verified}});
            break;
        }
        case Event::Kind::Presence: {
            // The NOTIFY carries only a count; the page promises the names.
            std::vector<std::string> users;
            if (c.who(&users).ok) emit({{"event", "presence"}, {"users", clean_all(users)}});
            break;
        }
        case Event::Kind::KeyChanged:
            emit({{"event", "key_changed"}, {"user", clean(e.user)}, {"old", e.old_fingerprint},
                  {"new", e.fingerprint}});
            break;
        case Event::Kind::Disconnected: emit({{"event", "disconnected"}, {"reason", e.text}}); break;
        case Event::Kind::Reconnected: emit({{"event", "reconnected"}, {"msg", e.text}}); break;
        case Event::Kind::Info: emit({{"event", "info"}, {"msg", e.text}}); break;
        }
    }
}

json reply(const std::string& cmd, const Result& r) {
    return {{"cmd", clean(cmd)}, {"ok", r.ok}, {"status", std::string(proto::status_name(r.status))},
            {"msg", clean(r.msg)}};
}

// A whole word as a non-negative number no larger than max, or nullopt.
std::optional<double> number(const std::string& w, double max) {
    char* end = nullptr;
    double v = std::strtod(w.c_str(), &end);
    if (w.empty() || *end != '\0' || !std::isfinite(v) || v < 0 || v > max) return std::nullopt;
    return v;
}

// Standard input as lines, without stdio's buffer: a line already read is
// handed out at once, never left waiting behind poll() for more input.
class LineReader {
public:
    // A complete line, or the last unterminated one at end of input.
    std::optional<std::string> next() {
        auto nl = buf_.find('\n');
        if (nl == std::string::npos && !(eof_ && !buf_.empty())) return std::nullopt;
        std::string line = buf_.substr(0, nl);
        buf_.erase(0, nl == std::string::npos ? buf_.size() : nl + 1);
        if (!line.empty() && line.back() == '\r') line.pop_back();
        return line;
    }
    // Reads what is there; call when fd 0 polls readable.
    void fill() {
        char chunk[4096];
        ssize_t n = ::read(0, chunk, sizeof chunk);
        if (n > 0) buf_.append(chunk, size_t(n));
        else if (n == 0 || (errno != EINTR && errno != EAGAIN)) eof_ = true;
    }
    bool done() const { return eof_ && buf_.empty(); }

private:
    std::string buf_;
    bool eof_ = false;
};

std::vector<std::string> split(const std::string& line) {
    std::istringstream ss(line);
    std::vector<std::string> v;
    std::string w;
    while (ss >> w) v.push_back(w);
    return v;
}

// Everything after the first n words, as typed (message text keeps its spaces).
std::string rest_after(const std::string& line, size_t n) {
    size_t p = 0;
    for (size_t i = 0; i < n; ++i) {
        p = line.find_first_not_of(" \t", p);
        if (p == std::string::npos) return "";
        p = line.find_first_of(" \t", p);
        if (p == std::string::npos) return "";
    }
    p = line.find_first_not_of(" \t", p);
    return p == std::string::npos ? "" : line.substr(p);
}

// Reads events for `ms` milliseconds, reconnecting if the link drops.
void wait_events(Client& c, uint64_t ms) {
    uint64_t end = mono_ms() + ms;
    uint64_t backoff = 200;
    while (mono_ms() < end) {
        if (!c.connected()) {
            if (c.logged_in() || c.token()) {
                auto r = c.reconnect();
                emit_events(c);
                if (!r.ok) {
                    ::poll(nullptr, 0, int(std::min<uint64_t>(backoff, end - mono_ms())));
                    backoff = std::min<uint64_t>(backoff * 2, 5000);
                }
                continue;
            }
            ::poll(nullptr, 0, int(std::min<uint64_t>(100, end - mono_ms())));
            continue;
        }
        pollfd p{c.fd(), POLLIN, 0};
        int n = ::poll(&p, 1, int(std::min<uint64_t>(100, end - mono_ms())));
        if (n > 0) c.pump();
        emit_events(c);
    }
}

}  // namespace

int run(client::Options opt) {
    std::unique_ptr<Client> cp;
    try {
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
        while (!(next = in.next()) && !in.done()) {
            pollfd p[2] = {{0, POLLIN, 0}, {c.fd(), POLLIN, 0}};
            int n = ::poll(p, c.fd() >= 0 ? 2 : 1, 1000);
            if (n > 0 && c.fd() >= 0 && (p[1].revents & (POLLIN | POLLHUP | POLLERR))) c.pump();
            emit_events(c);
            if (n > 0 && (p[0].revents & (POLLIN | POLLHUP | POLLERR))) in.fill();
        }
        if (!next) break;
        const std::string line = std::move(*next);
        auto w = split(line);
        if (w.empty() || w[0][0] == '#') continue;
        const std::string& cmd = w[0];
        auto bad = [&](const std::string& why) {
            emit({{"cmd", clean(cmd)}, {"ok", false}, {"status", "BAD_REQUEST"}, {"msg", clean(why)}});
            return false;
        };
        // Between lo and hi words after the command; kRest: the last takes
        // the rest of the line.
        constexpr size_t kRest = size_t(-1);
        auto args = [&](size_t lo, size_t hi, const char* usage) {
            size_t n = w.size() - 1;
            if (n >= lo && (hi == kRest || n <= hi)) return true;
            return bad(std::string(n < lo ? "missing arguments" : "too many arguments") + "; usage: " + usage);
        };
        auto need = [&](size_t n, const char* usage) { return args(n, kRest, usage); };
        if (cmd == "quit" || cmd == "exit") {
            if (!args(0, 0, "quit")) continue;
            emit({{"cmd", cmd}, {"ok", true}, {"status", "OK"}, {"msg", "bye"}});
            break;
        } else if (cmd == "ping") {
            if (!args(0, 0, "ping")) continue;
            uint64_t rtt = 0;
            auto res = c.ping(&rtt);
            auto j = reply(cmd, res);
            if (res.ok) j["rtt_us"] = rtt;
            emit(j);
        } else if (cmd == "fingerprint") {
            if (!args(0, 1, "fingerprint [USER]")) continue;
            if (w.size() >= 2) {
                std::string fp;
                auto res = c.contact_fingerprint(w[1], &fp);
                auto j = reply(cmd, res);
                j["user"] = clean(w[1]);
                if (res.ok) j["fingerprint"] = fp;
                emit(j);
            } else {
                auto j = reply(cmd, Result::good(c.server_fingerprint()));
                j["server"] = c.server_fingerprint();
                if (auto own = c.own_fingerprint(); !own.empty()) j["fingerprint"] = own;
                emit(j);
            }
        } else if (cmd == "register") {
            if (need(2, "register NAME PASSWORD")) emit(reply(cmd, c.register_user(w[1], rest_after(line, 2))));
        } else if (cmd == "login") {
            if (need(2, "login NAME PASSWORD")) {
                auto res = c.login(w[1], rest_after(line, 2));
                emit_events(c);
                emit(reply(cmd, res));
            }
        } else if (cmd == "logout") {
            if (args(0, 0, "logout")) emit(reply(cmd, c.logout()));
        } else if (cmd == "who") {
            if (!args(0, 0, "who")) continue;
            std::vector<std::string> users;
            auto res = c.who(&users);
            auto j = reply(cmd, res);
            j["users"] = clean_all(users);
            emit(j);
        } else if (cmd == "rekey") {
            if (!args(0, 0, "rekey")) continue;
            auto res = c.rekey();
            auto j = reply(cmd, res);
            if (res.ok) j["fingerprint"] = c.own_fingerprint();
            emit(j);
        } else if (cmd == "passwd") {
            // The new password takes the rest of the line, as login's does.
            if (need(2, "passwd OLD NEW")) emit(reply(cmd, c.passwd(w[1], rest_after(line, 2))));
        } else if (cmd == "send") {
            if (need(2, "send USER TEXT...")) {
                auto res = c.send(w[1], rest_after(line, 2));
                emit_events(c);
                auto j = reply(cmd, res);
                if (res.ok) j["id"] = res.id;
                emit(j);
            }
        } else if (cmd == "update") {
            if (!args(0, 0, "update")) continue;
            auto res = c.update();
            emit_events(c);
            auto j = reply(cmd, res);
            if (res.ok) j["count"] = res.count;
            emit(j);
        } else if (cmd == "history") {
            if (args(1, 2, "history USER|#GROUP [N]")) {
                auto nn = w.size() >= 3 ? number(w[2], 1e6) : std::optional<double>(20);
                if (!nn || *nn != std::floor(*nn)) {
                    bad("N must be a whole number of messages");
                    continue;
                }
                size_t n = size_t(*nn);
                json arr = json::array();
                for (auto& m : c.history(w[1], n)) arr.push_back(history_json(m));
                auto j = reply(cmd, Result::good(std::to_string(arr.size()) + (arr.size() == 1 ? " message" : " messages")));
                j["messages"] = arr;
                emit(j);
            }
        } else if (cmd == "search") {
            if (need(1, "search TEXT")) {
                json arr = json::array();
                for (auto& m : c.search(rest_after(line, 1))) arr.push_back(history_json(m));
                auto j = reply(cmd, Result::good(std::to_string(arr.size()) + " found"));
                j["messages"] = arr;
                emit(j);
            }
        } else if (cmd == "accept-key") {
            if (args(1, 1, "accept-key USER")) {
                auto res = c.accept_key(w[1]);
                auto j = reply(cmd, res);
                std::string fp;
                if (res.ok && c.contact_fingerprint(w[1], &fp).ok) j["fingerprint"] = fp;
                emit(j);
            }
        } else if (cmd == "wait") {
            if (!args(0, 1, "wait [SECONDS]")) continue;
            auto s = w.size() >= 2 ? number(w[1], 86400) : std::optional<double>(1.0);
            if (!s) {
                bad("SECONDS must be a number from 0 to 86400");
                continue;
            }
            wait_events(c, uint64_t(*s * 1000));
            emit(reply(cmd, Result::good("waited")));
        } else if (cmd == "group-create") {
            if (args(1, 1, "group-create G")) emit(reply(cmd, c.group_create(w[1])));
        } else if (cmd == "group-add") {
            if (args(2, 2, "group-add G USER")) emit(reply(cmd, c.group_add(w[1], w[2])));
        } else if (cmd == "group-remove") {
            if (args(2, 2, "group-remove G USER")) emit(reply(cmd, c.group_remove(w[1], w[2])));
        } else if (cmd == "group-leave") {
            if (args(1, 1, "group-leave G")) emit(reply(cmd, c.group_leave(w[1])));
        } else if (cmd == "groups") {
            if (!args(0, 0, "groups")) continue;
            auto j = reply(cmd, Result::good("groups"));
            j["groups"] = clean_all(c.groups());
            emit(j);
        } else if (cmd == "members") {
            if (args(1, 1, "members G")) {
                std::vector<std::string> m;
                auto res = c.group_members(w[1], &m);
                auto j = reply(cmd, res);
                j["members"] = clean_all(m);
                emit(j);
            }
        } else if (cmd == "group-send") {
            if (need(2, "group-send G TEXT...")) {
                auto res = c.group_send(w[1], rest_after(line, 2));
                emit_events(c);
                auto j = reply(cmd, res);
                if (res.ok) j["id"] = res.id;
                emit(j);
            }
        } else if (cmd == "reconnect") {
            if (args(0, 0, "reconnect")) emit(reply(cmd, c.reconnect()));
        } else {
            bad("unknown command " + cmd);
        }
        c.pump();
        emit_events(c);
    }
    return 0;
}

}  // namespace tacit::batch
