// tacitd's core: one thread, one protocol-blind event loop. This file owns
// connections, the handshake, dispatch to the handler table, the group
// commit at the end of each loop pass, sessions and presence.
#pragma once
#include <map>
#include <memory>
#include <set>
#include <unordered_map>

#include "shared/event_loop.hpp"
#include "shared/keys.hpp"
#include "shared/net.hpp"
#include "shared/unix_socket.hpp"
#include "srv/config.hpp"
#include "srv/connection.hpp"
#include "srv/rate_limit.hpp"
#include "srv/session.hpp"
#include "srv/store/store.hpp"

namespace tacit::srv {

class Ctx;
struct HandlerEntry;

class Server {
public:
    Server(Config cfg, ServerIdentity id);
    ~Server();
    // Binds every --listen; returns the port of the first TCP one (for
    // --listen 127.0.0.1:0), 0 if all are Unix sockets.
    uint16_t bind();
    void run();
    void stop();

    // ---- used by handlers
    const Config& cfg() const { return cfg_; }
    store::Store& store() { return *store_; }
    const ServerIdentity& identity() const { return id_; }
    SessionTable& sessions() { return sessions_; }
    uint64_t now_ms() const;  // wall clock, epoch ms (tokens, stored times)
    // A user bundle around the built-in dummy key (srv/dummy_key.cpp): the
    // login decoy path parses it where a real login parses the user's.
    const Bytes& dummy_user_bundle() const { return dummy_bundle_; }
    RateLimiter& login_limiter() { return login_rl_; }
    RateLimiter& register_limiter() { return register_rl_; }
    RateLimiter& group_change_limiter() { return group_change_rl_; }  // per actor
    RateLimiter& group_add_limiter() { return group_add_rl_; }        // per added user
    // Takes one token from rl for key; false when the bucket is empty. A
    // refusal is logged, at most once a minute per bucket (tacitd(8)).
    bool admit(RateLimiter& rl, std::string_view limit, const std::string& key);
    void queue(Connection& c, Outgoing o);

    // Attach a connection to a session (login or resume) and update presence.
    void attach(Connection& c, std::shared_ptr<Session> s);
    // A new session for a user just logged in, put in the store in this
    // pass (srv/session_store.cpp); *token gets its token. Null with the
    // store's status in *st when the write fails.
    std::shared_ptr<Session> begin_session(const std::string& user, uint32_t key_version,
                                           crypto::PkKey key, Token* token, uint8_t* st);
    // End a session: delete it from the store, then close_session.
    void end_session(Session& s);
    // Drop the token from memory and close the session's connections
    // after their pending output. The stored session must already be gone
    // (or be going in this pass's commit).
    void close_session(Session& s);
    // Runs once this pass's commit is done, before any reply goes out,
    // whatever became of the connection that asked for it.
    void after_commit(std::function<void(bool committed)> fn) { after_commit_.push_back(std::move(fn)); }
    std::vector<std::string> online_users() const;
    // Push NOTIFY to every logged-in connection of `user`.
    void notify_user(const std::string& user, uint8_t what, uint32_t count);
    Connection* conn(uint64_t id);

private:
    struct Listener {
        std::string name;  // "127.0.0.1:7700", "unix:/run/tacit/tacitd.sock"
        std::unique_ptr<Acceptor> acceptor;
        SocketFile file;  // Unix only: the socket's name, removed when the server goes
    };
    void listen_on(const std::string& spec);
    void on_accept(Acceptor& a);
    bool admit_connection(const std::string& peer, const std::string& key);
    void end_resume(Connection& c);
    void on_io(uint64_t id, uint32_t events);
    void drain(Connection& c);
    void set_backlog(Connection& c, bool on);
    void update_interest(Connection& c);
    void on_frame(Connection& c, Bytes& body);
    void on_plain(Connection& c, ByteView body);
    void on_hello(Connection& c, ByteView body, bool resume);
    void on_sealed(Connection& c, ByteView body);
    void dispatch(Connection& c, ByteView pt, uint64_t seq);
    void fail_request(Ctx& ctx, const HandlerEntry& h, size_t owed, std::string_view what,
                      std::string_view shown);
    void read_test_fault();
    void before_sleep();
    void flush(Connection& c, bool committed);
    void emit(Connection& c, Outgoing& o, bool committed);
    void write_some(Connection& c);
    void close(Connection& c, const char* why);
    void close_after_output(Connection& c, const char* why);
    void detach(Connection& c);
    void sweep();
    void restore_sessions();  // srv/session_store.cpp
    void presence_changed();
    void send_presence();
    void log_conn(const Connection& c, const std::string& what) const;

    Config cfg_;
    ServerIdentity id_;
    std::unique_ptr<store::Store> store_;
    Bytes dummy_bundle_;
    EventLoop loop_;
    std::vector<Listener> listeners_;
    std::unordered_map<std::string, unsigned> per_peer_;  // live connections per Peer::key
    std::unordered_map<uint64_t, std::unique_ptr<Connection>> conns_;
    std::set<uint64_t> to_flush_;
    std::vector<uint64_t> dead_;
    std::set<uint64_t> backlog_;  // connections with frames read but not yet handled
    EventLoop::TimerId drain_timer_ = 0;
    uint64_t next_id_ = 1;
    SessionTable sessions_;
    std::vector<std::function<void(bool)>> after_commit_;
    std::map<std::string, unsigned> online_;  // user -> logged-in connections
    RateLimiter hs_addr_rl_, hs_total_rl_, login_rl_, register_rl_;
    RateLimiter group_change_rl_, group_add_rl_;
    bool presence_dirty_ = false;
    uint64_t presence_sent_ms_ = 0;
    EventLoop::TimerId presence_timer_ = 0;
    const HandlerEntry* fault_ = nullptr;  // TACITD_TEST_FAULT
    bool fault_at_reply_ = false;          // ... =NAME:reply
};

}  // namespace tacit::srv
