// The client core: one secure connection to tacitd, the user's identity,
// pinned keys, end-to-end encryption and the local history. No curses here;
// the TUI and the batch mode are thin front ends over this class.
//
// Inside, the core runs on its own EventLoop: a non-blocking connection
// (tui/client/conn.hpp) with one queue of requests matched to replies in
// order, exchanges written as coroutines (tui/client/task.hpp), and slow
// pure work (connecting, PBKDF2, RSA key generation) on a worker thread.
// The methods below are its synchronous face: each runs the loop until its
// exchange is done, while NOTIFYs go on being read. Every exchange (these,
// start()'s requests, and the fetches and uploads NOTIFYs start) takes its
// turn in one lane (tui/client/lane.hpp), one after another; a request
// the server never answers fails after timeout_ms through a loop
// timer. A front end polls fd() and calls pump() when it is readable (and
// at least once a second, for the timers).
#pragma once
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "shared/keys.hpp"
#include "tui/client/events.hpp"
#include "tui/client/password.hpp"
#include "tui/client/requests.hpp"

namespace tacit::client {

// What the core's connection is doing, one step at a time: a named state
// the front ends show (the login form, the status bar), never a set of
// flags. Idle: none of these is running. Renew1..3: the steps of key
// renewal (/rekey, /passwd; tacit-protocol(7), KEY RENEWAL AND RESUME),
// each entered just before its frame is sent.
enum class Phase { Idle, Connecting, Registering, LoggingIn, Resuming, Renew1, Renew2, Renew3 };
const char* phase_name(Phase p);  // "connecting", "making keys and registering", ...

struct Options {
    std::string server = "127.0.0.1:7700";
    std::string server_key_file;  // pin explicitly (tacitd's server.pub)
    std::string data_dir;         // default $XDG_DATA_HOME/tacit
    int timeout_ms = 15000;
    // Called on first contact with an unknown server (TOFU). Return true to
    // pin. Default: pin and report an Info event.
    std::function<bool(const std::string& fingerprint)> confirm_new_server;
    // The local store's first LMDB map size (0: its default); the map grows
    // on demand, so only tests set this, to reach growth with little data.
    size_t store_initial_map = 0;
    // The core loop's monotonic clock (empty: mono_ms). Tests hand in a fake
    // one to drive request timeouts and keepalive without waiting.
    std::function<uint64_t()> clock;
    // The wall clock, milliseconds since the epoch (empty: wall_ms): the age
    // of the signed prekey (tui/client/signed_prekey.hpp). Tests move it on
    // by weeks.
    std::function<uint64_t()> wall_clock;
    // tacit --adopt: an account directory copied from elsewhere becomes the
    // account's (tui/client/device.hpp) instead of being refused.
    bool adopt = false;
    // Called on the core's loop whenever Client::phase() changes; the tests
    // stop a real tacitd at a chosen step with it (a RENEW2 never answered).
    std::function<void(Phase)> on_phase;
};

class SecureConn;
class Contacts;
class History;


class Client {
public:
    explicit Client(Options opt);
    ~Client();
    Client(const Client&) = delete;
    Client& operator=(const Client&) = delete;

    // ---- connection
    Result connect();  // pin check + HELLO
    bool connected() const;
    int fd() const;    // -1 when not connected
    std::string server_fingerprint() const;
    // The logged-in user's key bundle fingerprint; "" when not logged in.
    std::string own_fingerprint() const;
    Result ping(uint64_t* rtt_us);
    // Milliseconds since a frame last went to the server; 0 when not connected.
    uint64_t send_idle_ms() const;
    // Reads whatever frames are waiting (non-blocking) and turns them into
    // events; fetches mail on NOTIFY mail. Returns false if the connection dropped.
    bool pump();
    // Drops the connection (test and reconnect paths).
    void disconnect();
    // Reconnects and resumes the session with RESUME and the token held in
    // memory (or, if the server no longer knows it, logs in again with the
    // keys derived from the password at login), then fetches mail.
    Result reconnect();

    // ---- accounts. A password is wiped as soon as PBKDF2 has run; the
    // derived keys stay in wiping memory until the Client dies. The session
    // token is never written to disk.
    Result register_user(const std::string& user, Password password);
    Result login(const std::string& user, Password password);
    Result logout();
    // Leaving the program: LOGOUT goes out at once, ahead of whatever is
    // outstanding (which is given up), and the server has at most wait_ms
    // of real time to close the connection; it is closed either way. So
    // quitting never waits on a silent server for a request's timeout.
    void logout_at_exit(int wait_ms);
    Result who(std::vector<std::string>* users);
    Result rekey();  // new keys, same password
    // New password, same keys: old_password must open the identity file
    // (AUTH_FAILED otherwise, and nothing is sent).
    Result passwd(Password old_password, Password new_password);
    bool logged_in() const;
    // Whether this machine holds user's key file for the server connect()
    // pinned (so the front end offers login, not registration).
    bool has_local_account(const std::string& user) const;
    const std::string& user() const;

    // ---- messages
    Result send(const std::string& to, const std::string& body);
    Result update();  // fetch the whole mailbox, page by page, ack each page
    // Without the server: opens the account's identity file and local store
    // (for inspecting what this client holds, as the forward-secrecy tests
    // do). Logging in later works as usual.
    Result open_local(const std::string& user, Password password);
    // Tries to decrypt a stored direct or group message (the server's
    // STORED_MESSAGE fields: id, sender, group, enc_msg, wrapped_key) with
    // the ratchet state held now, skipping the duplicate check, the group
    // stamp and the signature, and keeping no change: ok with the body in
    // msg, or the reason it does not open.
    Result probe_stored(uint64_t id, const std::string& sender, const std::string& group, const Bytes& enc_msg,
                        const Bytes& wrapped_key);
    Result accept_key(const std::string& user);
    // Whether the server knows user (NO_SUCH_USER if not); pins nothing.
    Result look_up(const std::string& user);
    Result contact_fingerprint(const std::string& user, std::string* fp);
    std::vector<ChatMessage> history(const std::string& conversation, size_t n);
    std::vector<ChatMessage> search(const std::string& text);
    // Conversations in local history, most recent first ("alice", "#ops").
    std::vector<std::string> conversations();

    // ---- groups
    Result group_create(const std::string& g);
    Result group_add(const std::string& g, const std::string& user);
    Result group_remove(const std::string& g, const std::string& user);
    Result group_leave(const std::string& g) { return group_remove(g, user_); }
    Result group_send(const std::string& g, const std::string& body);
    // The members in name order; owner, when given, gets the one who created
    // the group, which stays so until it is dissolved (no transfer).
    Result group_members(const std::string& g, std::vector<std::string>* members, std::string* owner = nullptr);
    std::vector<std::string> groups();  // groups I know I'm in (from the signed records)

    // ---- per-account settings in the local store (the TUI's notify levels)
    std::map<std::string, std::string> settings();
    Result set_setting(const std::string& name, const std::string& value);  // "" erases

    // ---- events
    std::vector<Event> take_events();
    bool has_events() const { return !events_.empty(); }

    // ---- the asynchronous face (client_async.cpp), for the full-screen
    // client, login form included (req::Register, req::Login and
    // req::Reconnect): start() queues r and returns at once. Requests run one after
    // another, in the order started, on the core's loop while pump() is
    // called; done gets the reply from deliver(), which the front end calls
    // after pump(), outside the core's loop (so done may ask again, or use
    // the synchronous face). A request the server never answers fails after
    // timeout_ms, as a synchronous one does.
    void start(Request r, ReplyFn done);
    void deliver();
    std::vector<PendingRequest> pending() const;  // the running one first
    // The step a login, registration, reconnect or renewal is at.
    Phase phase() const;
    // The core loop's clock (Options::clock, else mono_ms), which
    // PendingRequest::since_ms is read from.
    uint64_t now_ms() const;

    // For tests: the session token (to try it from elsewhere).
    std::optional<Token> token() const { return token_; }

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
    std::deque<Event> events_;
    std::string user_;
    std::optional<Token> token_;
    friend struct Impl;
    struct Requests;
    std::shared_ptr<Requests> requests_;  // made by the first start()
};

}  // namespace tacit::client
