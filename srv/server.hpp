// tacitd's core: one loop thread, one protocol-blind event loop (public-key
// work goes to the crypto pool, srv/crypto_pool.hpp). This file owns
// connections and their I/O, dispatch to the handler table (the handshake
// is handled there too, srv/handlers/handshake.cpp) and the group commit
// at the end of each loop pass. Sessions, presence and limits are modules of
// their own, reached by handlers through Ctx.
#pragma once
#include <memory>
#include <set>
#include <unordered_map>

#include "shared/event_loop.hpp"
#include "shared/keys.hpp"
#include "shared/net.hpp"
#include "shared/unix_socket.hpp"
#include "srv/config.hpp"
#include "srv/connection.hpp"
#include "srv/handler.hpp"
#include "srv/limits.hpp"
#include "srv/outbox.hpp"
#include "srv/presence.hpp"
#include "srv/sessions.hpp"
#include "srv/crypto_pool.hpp"
#include "srv/store/operations.hpp"

namespace tacit::srv {

class Server {
public:
    Server(Config cfg, ServerIdentity id);
    ~Server();
    // Binds every --listen; returns the port of the first TCP one (for
    // --listen 127.0.0.1:0), 0 if all are Unix sockets.
    uint16_t bind();
    void run();
    void stop();

private:
    struct Listener {
        std::string name;  // "127.0.0.1:7700", "unix:/run/tacit/tacitd.sock"
        std::unique_ptr<Acceptor> acceptor;
        SocketFile file;  // Unix only: the socket's name, removed when the server goes
    };
    void listen_on(const std::string& spec);
    Connection* conn(uint64_t id);
    void queue(Connection& c, Outgoing o) { outbox_.queue(c, std::move(o)); }
    void on_accept(Acceptor& a);
    bool admit_connection(const std::string& peer, const std::string& key);
    void on_io(uint64_t id, uint32_t events);
    void drain(Connection& c);
    void set_backlog(Connection& c, bool on);
    void update_interest(Connection& c);
    void on_frame(Connection& c, Bytes& body);
    void on_sealed(Connection& c, ByteView body);
    void dispatch(Connection& c, ByteView pt, uint64_t seq, bool from_held);
    bool hold_frame(Connection& c, ByteView pt, uint64_t seq, bool always);
    void on_preverified(uint64_t conn_id, uint64_t seq, bool ok);
    void resume_line(Connection& c);
    void run_held(Connection& c);
    void handle(Connection& c, const HandlerEntry& h, ByteView pt, uint64_t seq);
    void fail_request(Ctx& ctx, const HandlerEntry& h, size_t owed, std::string_view what,
                      std::string_view shown);
    void read_test_fault();
    bool finish_store_pass();
    void before_sleep();
    void flush(Connection& c, bool committed);
    void emit(Connection& c, Outgoing& o, bool committed);
    void seal_ready(Connection& c);
    void request_signatures(Connection& c);
    void sign_batch();
    void on_signed(uint64_t conn_id, const std::weak_ptr<Sealing>& s, Bytes sig);
    void write_some(Connection& c);
    void close(Connection& c, const char* why);
    void close_after_output(Connection& c, const char* why);
    void sweep();

    Config cfg_;
    ServerIdentity id_;
    std::unique_ptr<store::Operations> store_;
    EventLoop loop_;
    CryptoPool pool_;  // after loop_ and id_: its workers stop before either goes
    Outbox outbox_;
    Limits limits_;
    Presence presence_;
    Sessions sessions_;
    Services services_;
    std::vector<Listener> listeners_;
    std::unordered_map<std::string, unsigned> per_peer_;  // live connections per Peer::key
    std::unordered_map<uint64_t, std::unique_ptr<Connection>> conns_;
    std::vector<uint64_t> dead_;
    // Signature inputs of this pass, signed as one batch in before_sleep.
    struct ToSign {
        uint64_t conn_id;
        std::weak_ptr<Sealing> sealing;
        Bytes input;
    };
    std::vector<ToSign> to_sign_;
    unsigned batches_signing_ = 0;  // batches with the pool
    bool draining_ = false;  // inside drain(): a verify the pool ran at once must not drain again
    std::set<uint64_t> backlog_;  // connections with frames read but not yet handled
    EventLoop::TimerId drain_timer_ = 0;
    uint64_t next_id_ = 1;
    // TACITD_TEST_FAULT=NAME[:reply|:then]: where NAME's requests fail.
    enum class FaultAt : uint8_t { Handler, Reply, Continuation };
    const HandlerEntry* fault_ = nullptr;
    FaultAt fault_at_ = FaultAt::Handler;
};

}  // namespace tacit::srv
