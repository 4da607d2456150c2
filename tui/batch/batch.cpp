#include "tui/batch/batch.hpp"

#include <poll.h>
#include <unistd.h>

#include <chrono>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "shared/protocol.hpp"

namespace tacit::batch {

using nlohmann::json;
using client::Client;
using client::Event;
using client::Result;

namespace {

uint64_t mono_ms() {
    using namespace std::chrono;
    return uint64_t(duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count());
}

// Invalid UTF-8 from a peer must not make the JSON writer throw.
std::string dumps(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

void emit(const json& j) {
    std::cout << dumps(j) << "\n";
    std::cout.flush();
}

json message_json(const client::ChatMessage& m) {
    json j = {{"event", "message"}, {"from", m.from}, {"to", m.to},
              {"group", m.group.empty() ? json(nullptr) : json(m.group)},
              {"id", m.id}, {"sent_at", m.sent_at_ms}, {"body", m.body}, {"verified", m.verified}};
    if (!m.problem.empty()) j["problem"] = m.problem;
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
        switch (e.kind) {
        case Event::Kind::Message: emit(message_json(e.msg)); break;
        case Event::Kind::Group: {
            std::istringstream ss(e.text);
            std::string ev, actor, subject;
            ss >> ev >> actor >> subject;
            emit({{"event", "group"}, {"group", e.group}, {"what", ev}, {"actor", actor},
                  {"subject", subject}, {"text", e.text}, {"verified", e.msg.verified}});
            break;
        }
        case Event::Kind::Presence: emit({{"event", "presence"}, {"online", e.count}}); break;
        case Event::Kind::KeyChanged:
            emit({{"event", "key_changed"}, {"user", e.user}, {"fingerprint", e.fingerprint},
                  {"old_fingerprint", e.old_fingerprint}});
            break;
        case Event::Kind::Disconnected: emit({{"event", "disconnected"}, {"msg", e.text}}); break;
        case Event::Kind::Reconnected: emit({{"event", "reconnected"}, {"msg", e.text}}); break;
        case Event::Kind::Info: emit({{"event", "info"}, {"msg", e.text}}); break;
        }
    }
}

json reply(const std::string& cmd, const Result& r) {
    return {{"cmd", cmd}, {"ok", r.ok}, {"status", std::string(proto::status_name(r.status))}, {"msg", r.msg}};
}

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

    std::string line;
    for (;;) {
        // Wait for stdin while still delivering pushed events.
        for (;;) {
            pollfd p[2] = {{0, POLLIN, 0}, {c.fd(), POLLIN, 0}};
            int n = ::poll(p, c.fd() >= 0 ? 2 : 1, 1000);
            if (n > 0 && c.fd() >= 0 && (p[1].revents & (POLLIN | POLLHUP | POLLERR))) c.pump();
            emit_events(c);
            if (n > 0 && (p[0].revents & (POLLIN | POLLHUP | POLLERR))) break;
        }
        if (!std::getline(std::cin, line)) break;
        auto w = split(line);
        if (w.empty() || w[0][0] == '#') continue;
        const std::string& cmd = w[0];
        auto need = [&](size_t n, const char* usage) {
            if (w.size() >= n + 1) return true;
            emit({{"cmd", cmd}, {"ok", false}, {"status", "BAD_REQUEST"}, {"msg", std::string("usage: ") + usage}});
            return false;
        };
        if (cmd == "quit" || cmd == "exit") {
            emit({{"cmd", cmd}, {"ok", true}, {"status", "OK"}, {"msg", "bye"}});
            break;
        } else if (cmd == "ping") {
            uint64_t rtt = 0;
            auto res = c.ping(&rtt);
            auto j = reply(cmd, res);
            if (res.ok) j["rtt_us"] = rtt;
            emit(j);
        } else if (cmd == "fingerprint") {
            if (w.size() >= 2) {
                std::string fp;
                auto res = c.contact_fingerprint(w[1], &fp);
                auto j = reply(cmd, res);
                j["user"] = w[1];
                if (res.ok) j["fingerprint"] = fp;
                emit(j);
            } else {
                auto fp = c.server_fingerprint();
                auto j = reply(cmd, Result::good(fp));
                j["fingerprint"] = fp;
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
            emit(reply(cmd, c.logout()));
        } else if (cmd == "who") {
            std::vector<std::string> users;
            auto res = c.who(&users);
            auto j = reply(cmd, res);
            j["users"] = users;
            emit(j);
        } else if (cmd == "rekey") {
            emit(reply(cmd, c.rekey()));
        } else if (cmd == "passwd") {
            // The new password takes the rest of the line, as login's does.
            if (need(2, "passwd OLD NEW")) emit(reply(cmd, c.passwd(w[1], rest_after(line, 2))));
        } else if (cmd == "send") {
            if (need(2, "send USER TEXT...")) {
                auto res = c.send(w[1], rest_after(line, 2));
                emit_events(c);
                emit(reply(cmd, res));
            }
        } else if (cmd == "update") {
            auto res = c.update();
            emit_events(c);
            emit(reply(cmd, res));
        } else if (cmd == "history") {
            if (need(1, "history USER|#GROUP [N]")) {
                size_t n = w.size() >= 3 ? std::strtoul(w[2].c_str(), nullptr, 10) : 20;
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
            if (need(1, "accept-key USER")) emit(reply(cmd, c.accept_key(w[1])));
        } else if (cmd == "wait") {
            double s = w.size() >= 2 ? std::strtod(w[1].c_str(), nullptr) : 1.0;
            wait_events(c, uint64_t(std::max(0.0, s) * 1000));
            emit(reply(cmd, Result::good("waited")));
        } else if (cmd == "group-create") {
            if (need(1, "group-create G")) emit(reply(cmd, c.group_create(w[1])));
        } else if (cmd == "group-add") {
            if (need(2, "group-add G USER")) emit(reply(cmd, c.group_add(w[1], w[2])));
        } else if (cmd == "group-remove") {
            if (need(2, "group-remove G USER")) emit(reply(cmd, c.group_remove(w[1], w[2])));
        } else if (cmd == "group-leave") {
            if (need(1, "group-leave G")) emit(reply(cmd, c.group_leave(w[1])));
        } else if (cmd == "groups") {
            auto j = reply(cmd, Result::good("groups"));
            j["groups"] = c.groups();
            emit(j);
        } else if (cmd == "members") {
            if (need(1, "members G")) {
                std::vector<std::string> m;
                auto res = c.group_members(w[1], &m);
                auto j = reply(cmd, res);
                j["members"] = m;
                emit(j);
            }
        } else if (cmd == "group-send") {
            if (need(2, "group-send G TEXT...")) {
                auto res = c.group_send(w[1], rest_after(line, 2));
                emit_events(c);
                emit(reply(cmd, res));
            }
        } else if (cmd == "reconnect") {
            emit(reply(cmd, c.reconnect()));
        } else {
            emit({{"cmd", cmd}, {"ok", false}, {"status", "BAD_REQUEST"}, {"msg", "unknown command " + cmd}});
        }
        c.pump();
        emit_events(c);
    }
    return 0;
}

}  // namespace tacit::batch
