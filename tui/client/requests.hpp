// The client core's asynchronous face (Client::start, client_async.cpp):
// a request is one of these typed structs; its reply comes back later, from
// Client::deliver(), while the front end's loop goes on reading keys and
// drawing. The full-screen client asks this way so that nothing the user
// does waits on the network (issue 13 item 5).
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <variant>
#include <vector>

#include "tui/client/events.hpp"
#include "tui/client/password.hpp"

namespace tacit::client {

namespace req {
struct Send {
    std::string to, body;
};
struct GroupSend {
    std::string group, body;
};
struct Who {};
struct GroupCreate {
    std::string group;
};
struct GroupAdd {
    std::string group, user;
};
struct GroupRemove {  // the user's own name: leaving the group
    std::string group, user;
};
struct GroupMembers {
    std::string group;
};
struct AcceptKey {
    std::string user;
};
struct LookUp {
    std::string user;
};
struct Ping {};
struct Rekey {};
struct Passwd {
    Password old_password, new_password;
};
// Getting in: these need no login (login and register open a connection
// first if the server closed the pre-login one).
struct Connect {};  // pin check (TOFU: Options::confirm_new_server) and HELLO
struct Register {
    std::string user;
    Password password;
};
struct Login {
    std::string user;
    Password password;
};
struct Reconnect {};
}  // namespace req

using Request = std::variant<req::Send, req::GroupSend, req::Who, req::GroupCreate, req::GroupAdd,
                             req::GroupRemove, req::GroupMembers, req::AcceptKey, req::LookUp, req::Ping,
                             req::Rekey, req::Passwd, req::Connect, req::Register, req::Login,
                             req::Reconnect>;

struct Outcome {
    Result result;
    std::vector<std::string> names;  // Who: the users online; GroupMembers: the members
    std::string owner;               // GroupMembers: the group's owner
};

using ReplyFn = std::function<void(Outcome)>;

// What the status bar says while r is outstanding ("sending to bob").
std::string describe(const Request& r);

// One outstanding request, for the status bar.
struct PendingRequest {
    std::string what;
    uint64_t since_ms;  // Client::now_ms() when it was started
    bool running;       // false: queued behind another
};

}  // namespace tacit::client
