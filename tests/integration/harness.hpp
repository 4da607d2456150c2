// Test harness: a real tacitd on an ephemeral loopback port with temporary
// keys and LMDB data, and real clients (the client core in-process, or the
// tacit binary in batch mode).
#pragma once
#include <sys/types.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "tui/client/client.hpp"

namespace tacit::test {

std::string build_dir();           // $TACIT_BUILD or "build"
std::string make_temp_dir(const std::string& tag);
void remove_tree(const std::string& path);
// Sets TACIT_KDF_ITERATIONS low for speed unless the test asks otherwise.
void fast_kdf();

class TestServer {
public:
    // extra: more tacitd flags. keygen: create fresh keys in dir/keys.
    // With unix_socket, tacitd also listens on socket_path() (TCP stays, for
    // the port file), and dir() and keys_dir() are opened to other uids for
    // traversal, as /run/tacit is, so clients of any uid reach the socket
    // and read server.pub.
    explicit TestServer(std::vector<std::string> extra = {}, bool unix_socket = false);
    ~TestServer();
    void start();
    void stop();       // SIGTERM, wait
    void kill9();      // SIGKILL, wait
    void restart() { stop(); start(); }
    // Stops, replaces the server key with a fresh one, starts again.
    void new_keys();
    bool running() const { return pid_ > 0; }
    uint16_t port() const { return port_; }
    std::string addr() const { return "127.0.0.1:" + std::to_string(port_); }
    std::string socket_path() const { return dir_ + "/tacitd.sock"; }
    std::string unix_addr() const { return "unix:" + socket_path(); }
    const std::string& dir() const { return dir_; }
    std::string data_dir() const { return dir_ + "/data"; }
    std::string keys_dir() const { return dir_ + "/keys"; }
    std::string pub_file() const { return dir_ + "/keys/server.pub"; }
    std::string log() const;  // server stderr so far
    pid_t pid() const { return pid_; }
    std::vector<std::string> extra;

private:
    std::string dir_;
    pid_t pid_ = -1;
    uint16_t port_ = 0;
    int starts_ = 0;
    bool unix_socket_ = false;
};

// A client core with its own XDG data dir, pinned to the server's key file;
// over the server's Unix socket with unix_socket (its uid is the test's).
struct TestClient {
    // store_initial_map: the local store's first map size (0: default);
    // timeout_ms: how long a request waits for its reply.
    TestClient(const TestServer& s, const std::string& tag, bool unix_socket = false, size_t store_initial_map = 0,
               int timeout_ms = 10000);
    // With options of the test's own (a wall clock, --adopt) set by tweak.
    struct WithOptions {
        std::function<void(client::Options&)> tweak;
    };
    TestClient(const TestServer& s, const std::string& tag, const WithOptions& with);
    ~TestClient();
    client::Client& operator*() { return *c; }
    client::Client* operator->() { return c.get(); }
    // Drives the client until pred() or timeout; collects events.
    template <class P> bool wait_until(P pred, int timeout_ms = 5000);
    std::vector<client::Event> events;  // everything seen so far
    void pump_once(int ms);
    std::vector<client::ChatMessage> messages() const;  // Message events so far
    std::string home;
    std::unique_ptr<client::Client> c;
};

// The events of one kind (client::ev::Message, ...) that c has seen, in order.
template <class E> std::vector<E> events_of(const std::vector<client::Event>& events) {
    std::vector<E> v;
    for (const auto& e : events)
        if (auto* x = std::get_if<E>(&e)) v.push_back(*x);
    return v;
}
template <class E> std::vector<E> events_of(const TestClient& c) { return events_of<E>(c.events); }

// Forks a child that runs body on a client core of home's account
// directory (home/tacit), with a random stream of its own, and exits with
// body's value (1 on an exception), never unwinding into the test
// framework. Returns the child's pid, for kill -9 and waitpid.
pid_t fork_client(const TestServer& s, const std::string& home, const std::function<int(client::Client&)>& body);

// Registers (if needed) and logs in; REQUIREs success.
void register_login(TestClient& c, const std::string& user, const std::string& pw = "pw");

// Runs `tacit --batch` with the given stdin; returns stdout lines.
std::vector<std::string> run_batch(const TestServer& s, const std::string& home,
                                   const std::string& input, int timeout_s = 60);

// `tacit --batch` started in the background. With uid > 0 it runs over the
// server's Unix socket as that uid and gid with no supplementary groups
// (setpriv --reuid --regid --clear-groups), as another user of a shared
// host would, and home is chowned to it first.
class BatchRun {
public:
    // With live_stdin, standard input is a FIFO kept open: input is written
    // first, and feed() writes more until close_input() (or wait()).
    BatchRun(const TestServer& s, std::string home, const std::string& input, int timeout_s = 60, uid_t uid = 0,
             bool live_stdin = false);
    void feed(const std::string& more);
    void close_input();
    std::vector<std::string> so_far() const;  // stdout lines written until now
    ~BatchRun();
    BatchRun(const BatchRun&) = delete;
    BatchRun& operator=(const BatchRun&) = delete;
    bool done();                     // without waiting
    std::vector<std::string> wait();  // stdout lines
    std::string err() const;          // its stderr

private:
    std::string home_;
    pid_t pid_ = -1;
    int in_fd_ = -1;
};

template <class P> bool TestClient::wait_until(P pred, int timeout_ms) {
    for (int waited = 0; waited < timeout_ms; waited += 20) {
        if (pred()) return true;
        pump_once(20);
    }
    return pred();
}

}  // namespace tacit::test
