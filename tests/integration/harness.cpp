#include "tests/integration/harness.hpp"

#include "shared/crypto.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <mbedtls/ctr_drbg.h>
#include <chrono>
#include <fmt/core.h>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace tacit::test {

std::string build_dir() {
    const char* b = std::getenv("TACIT_BUILD");
    return b && *b ? b : "build";
}

std::string make_temp_dir(const std::string& tag) {
    std::string t = "/tmp/tacit-test-" + tag + "-XXXXXX";
    std::vector<char> buf(t.begin(), t.end());
    buf.push_back(0);
    if (!mkdtemp(buf.data())) throw std::runtime_error("mkdtemp failed");
    return buf.data();
}

void remove_tree(const std::string& path) {
    if (path.rfind("/tmp/tacit-test-", 0) != 0) return;  // never anything else
    std::string cmd = "rm -rf '" + path + "'";
    if (std::system(cmd.c_str()) != 0) {}
}

void fast_kdf() { setenv("TACIT_KDF_ITERATIONS", "1000", 0); }

TestServer::TestServer(std::vector<std::string> x, bool unix_socket) : extra(std::move(x)), unix_socket_(unix_socket) {
    fast_kdf();
    signal(SIGPIPE, SIG_IGN);
    dir_ = make_temp_dir("srv");
    std::string cmd = build_dir() + "/tacitd keygen --keys " + keys_dir() + " > /dev/null";
    if (std::system(cmd.c_str()) != 0) throw std::runtime_error("tacitd keygen failed");
    // server.pub is 0644 already; server.key stays 0600.
    if (unix_socket_ && (::chmod(dir_.c_str(), 0711) != 0 || ::chmod(keys_dir().c_str(), 0711) != 0))
        throw std::runtime_error("chmod " + dir_ + " failed");
    start();
}

TestServer::~TestServer() {
    if (pid_ > 0) kill9();
    if (!std::getenv("TACIT_KEEP_TEST_DIRS")) remove_tree(dir_);
}

void TestServer::start() {
    std::string port_file = dir_ + "/port";
    unlink(port_file.c_str());
    std::string listen = port_ ? "127.0.0.1:" + std::to_string(port_) : "127.0.0.1:0";
    std::vector<std::string> args = {build_dir() + "/tacitd", "--listen", listen, "--data", data_dir(),
                                     "--keys", keys_dir(), "--port-file", port_file};
    if (unix_socket_) args.insert(args.begin() + 3, {"--listen", unix_addr()});
    // TACIT_TEST_THREADS=N: the suite's --threads (tests/run.sh runs some
    // tags at 1 and at 4); a test's own --threads comes later and wins.
    if (const char* t = std::getenv("TACIT_TEST_THREADS"); t && *t) args.insert(args.end(), {"--threads", t});
    args.insert(args.end(), extra.begin(), extra.end());
    pid_t pid = fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) {
        int fd = open((dir_ + "/tacitd.log").c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
        if (fd >= 0) dup2(fd, 2);
        std::vector<char*> av;
        for (auto& a : args) av.push_back(const_cast<char*>(a.c_str()));
        av.push_back(nullptr);
        execv(av[0], av.data());
        _exit(127);
    }
    pid_ = pid;
    ++starts_;
    for (int i = 0; i < 500; ++i) {
        std::ifstream in(port_file);
        int p = 0;
        if (in >> p && p > 0) {
            port_ = uint16_t(p);
            return;
        }
        int st;
        if (waitpid(pid_, &st, WNOHANG) == pid_) {
            pid_ = -1;
            throw std::runtime_error("tacitd exited at start:\n" + log());
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    throw std::runtime_error("tacitd did not start:\n" + log());
}

void TestServer::new_keys() {
    stop();
    remove_tree(keys_dir());
    std::string cmd = build_dir() + "/tacitd keygen --keys " + keys_dir() + " > /dev/null";
    if (std::system(cmd.c_str()) != 0) throw std::runtime_error("tacitd keygen failed");
    if (unix_socket_ && ::chmod(keys_dir().c_str(), 0711) != 0) throw std::runtime_error("chmod failed");
    start();
}

void TestServer::stop() {
    if (pid_ <= 0) return;
    kill(pid_, SIGTERM);
    int st;
    waitpid(pid_, &st, 0);
    pid_ = -1;
}

void TestServer::kill9() {
    if (pid_ <= 0) return;
    kill(pid_, SIGKILL);
    int st;
    waitpid(pid_, &st, 0);
    pid_ = -1;
}

std::string TestServer::log() const {
    std::ifstream in(dir_ + "/tacitd.log");
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

TestClient::TestClient(const TestServer& s, const std::string& tag, bool unix_socket, size_t store_initial_map,
                       int timeout_ms)
    : TestClient(s, tag, WithOptions{[&](client::Options& o) {
          if (unix_socket) o.server = s.unix_addr();
          o.timeout_ms = timeout_ms;
          o.store_initial_map = store_initial_map;
      }}) {}

TestClient::TestClient(const TestServer& s, const std::string& tag, const WithOptions& with) {
    home = make_temp_dir("cli-" + tag);
    client::Options o;
    o.server = s.addr();
    o.server_key_file = s.pub_file();
    o.data_dir = home + "/tacit";
    o.timeout_ms = 10000;
    with.tweak(o);
    c = std::make_unique<client::Client>(o);
    auto r = c->connect();
    INFO(r.msg);
    REQUIRE(r.ok);
}

TestClient::~TestClient() {
    c.reset();
    if (!std::getenv("TACIT_KEEP_TEST_DIRS")) remove_tree(home);
}

void TestClient::pump_once(int ms) {
    if (c->fd() >= 0) {
        pollfd p{c->fd(), POLLIN, 0};
        if (poll(&p, 1, ms) > 0) c->pump();
    } else {
        std::this_thread::sleep_for(std::chrono::milliseconds(ms));
    }
    c->pump();
    for (auto& e : c->take_events()) events.push_back(std::move(e));
}

std::vector<client::ChatMessage> TestClient::messages() const {
    std::vector<client::ChatMessage> v;
    for (auto& m : events_of<client::ev::Message>(events)) v.push_back(m.msg);
    return v;
}

void register_login(TestClient& c, const std::string& user, const std::string& pw) {
    auto r = c->register_user(user, pw);
    INFO("register " << user << ": " << r.msg);
    REQUIRE(r.ok);
    r = c->login(user, pw);
    INFO("login " << user << ": " << r.msg);
    REQUIRE(r.ok);
    for (auto& e : c->take_events()) c.events.push_back(std::move(e));
}

std::vector<std::string> run_batch(const TestServer& s, const std::string& home,
                                   const std::string& input, int timeout_s) {
    return BatchRun(s, home, input, timeout_s).wait();
}

pid_t fork_client(const TestServer& s, const std::string& home, const std::function<int(client::Client&)>& body) {
    pid_t pid = fork();
    if (pid != 0) return pid;
    // The child must not replay the parent's random stream.
    mbedtls_ctr_drbg_reseed(static_cast<mbedtls_ctr_drbg_context*>(crypto::drbg_p_rng()), nullptr, 0);
    int rc = 1;
    try {
        client::Options o;
        o.server = s.addr();
        o.server_key_file = s.pub_file();
        o.data_dir = home + "/tacit";
        o.timeout_ms = 10000;
        client::Client c(o);
        rc = body(c);
    } catch (...) {
    }
    _exit(rc);
}

BatchRun::BatchRun(const TestServer& s, std::string home, const std::string& input, int timeout_s, uid_t uid,
                   bool live_stdin)
    : home_(std::move(home)) {
    if (live_stdin) {
        if (::mkfifo((home_ + "/batch.in").c_str(), 0600) != 0) throw std::runtime_error("mkfifo failed");
    } else {
        std::ofstream f(home_ + "/batch.in");
        f << input;
    }
    std::string bin = build_dir();
    if (bin[0] != '/') {
        char cwd[4096];
        if (!getcwd(cwd, sizeof cwd)) throw std::runtime_error("getcwd failed");
        bin = std::string(cwd) + "/" + bin;
    }
    std::string as, server = s.addr();
    if (uid > 0) {
        std::string chown = "chown -R " + std::to_string(uid) + ":" + std::to_string(uid) + " '" + home_ + "'";
        if (std::system(chown.c_str()) != 0) throw std::runtime_error("chown failed: " + chown);
        as = fmt::format("setpriv --reuid={0} --regid={0} --clear-groups ", uid);
        server = "'" + s.unix_addr() + "'";
    }
    std::string cmd = "cd '" + home_ + "' && XDG_DATA_HOME='" + home_ + "/xdg' XDG_CONFIG_HOME='" + home_ +
                      "/cfg' timeout " + std::to_string(timeout_s) + " " + as + "'" + bin +
                      "/tacit' --batch --server " + server + " --server-key '" + s.pub_file() +
                      "' < batch.in > batch.out 2> batch.err";
    pid_ = fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
        execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
        _exit(127);
    }
    if (live_stdin) {
        in_fd_ = ::open((home_ + "/batch.in").c_str(), O_WRONLY);  // until the shell opens it to read
        if (in_fd_ < 0) throw std::runtime_error("cannot open the batch FIFO");
        feed(input);
    }
}

void BatchRun::feed(const std::string& more) {
    for (size_t done = 0; done < more.size();) {
        ssize_t n = ::write(in_fd_, more.data() + done, more.size() - done);
        if (n <= 0) throw std::runtime_error("cannot write to the batch FIFO");
        done += size_t(n);
    }
}

void BatchRun::close_input() {
    if (in_fd_ >= 0) ::close(in_fd_);
    in_fd_ = -1;
}

std::vector<std::string> BatchRun::so_far() const {
    std::ifstream out(home_ + "/batch.out");
    std::vector<std::string> lines;
    std::string l;
    while (std::getline(out, l))
        if (!l.empty() && l.back() == '}') lines.push_back(l);  // a complete line
    return lines;
}

BatchRun::~BatchRun() {
    if (pid_ > 0) wait();
}

bool BatchRun::done() {
    if (pid_ <= 0) return true;
    int st;
    if (waitpid(pid_, &st, WNOHANG) != pid_) return false;
    pid_ = -1;
    return true;
}

std::vector<std::string> BatchRun::wait() {
    close_input();
    if (pid_ > 0) {
        int st;
        waitpid(pid_, &st, 0);
        pid_ = -1;
    }
    std::ifstream out(home_ + "/batch.out");
    std::vector<std::string> lines;
    std::string l;
    while (std::getline(out, l)) lines.push_back(l);
    return lines;
}

std::string BatchRun::err() const {
    std::ifstream in(home_ + "/batch.err");
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

}  // namespace tacit::test
