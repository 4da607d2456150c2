// The tacitd children of the bench: keygen, start on an ephemeral loopback
// port, /proc readings, and cleanup that also runs on signals.
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstring>
#include <fmt/core.h>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "tests/bench/bench.hpp"

namespace tacit::bench {

namespace {

// Fixed-size so the signal handler touches no allocator.
std::array<std::atomic<pid_t>, 16> g_children{};
std::string g_pid_file;

void remember_child(pid_t pid) {
    for (auto& c : g_children) {
        pid_t zero = 0;
        if (c.compare_exchange_strong(zero, pid)) break;
    }
    if (!g_pid_file.empty()) {
        std::ofstream f(g_pid_file, std::ios::app);
        f << pid << "\n";
    }
}

void forget_child(pid_t pid) {
    for (auto& c : g_children) {
        pid_t p = pid;
        c.compare_exchange_strong(p, 0);
    }
}

void on_fatal_signal(int sig) {
    kill_children_now();
    signal(sig, SIG_DFL);
    raise(sig);
}

std::string read_text(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

long status_field_kb(pid_t pid, const char* field) {
    std::ifstream in(fmt::format("/proc/{}/status", pid));
    std::string line;
    size_t n = std::strlen(field);
    while (std::getline(in, line))
        if (line.compare(0, n, field) == 0 && line.size() > n && line[n] == ':')
            return std::stol(line.substr(n + 1));
    return -1;
}

// Runs argv to completion; throws with its output on failure.
void run_tool(const std::vector<std::string>& args, const std::string& log) {
    pid_t pid = fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) {
        int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
        }
        std::vector<char*> av;
        for (auto& a : args) av.push_back(const_cast<char*>(a.c_str()));
        av.push_back(nullptr);
        execv(av[0], av.data());
        _exit(127);
    }
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {}
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        throw std::runtime_error(fmt::format("{} failed: {}", args[0], read_text(log)));
}

std::vector<std::string> split_words(const std::string& s) {
    std::vector<std::string> out;
    std::istringstream ss(s);
    std::string w;
    while (ss >> w) out.push_back(w);
    return out;
}

}  // namespace

void kill_children_now() {
    for (auto& c : g_children) {
        pid_t p = c.load();
        if (p > 0) ::kill(p, SIGKILL);
    }
}

void install_cleanup(const std::string& pid_file) {
    g_pid_file = pid_file;
    std::atexit(kill_children_now);
    for (int s : {SIGINT, SIGTERM, SIGHUP}) signal(s, on_fatal_signal);
    signal(SIGPIPE, SIG_IGN);
}

Tacitd::Tacitd(const Options& opt, const std::string& name, std::vector<std::string> flags) : opt_(opt) {
    dir_ = opt.tmp + "/" + name;
    if (::mkdir(dir_.c_str(), 0700) != 0 && errno != EEXIST) throw std::runtime_error("cannot create " + dir_);
    ::mkdir((dir_ + "/keys").c_str(), 0700);
    run_tool({opt.tacitd, "keygen", "--keys", dir_ + "/keys"}, dir_ + "/keygen.log");
    auto pub = parse_server_pub(read_text(dir_ + "/keys/server.pub"));
    if (!pub) throw std::runtime_error("cannot read " + dir_ + "/keys/server.pub");
    bundle_ = *pub;

    std::vector<std::string> args = split_words(opt.wrap);
    for (std::string a : {opt.tacitd, std::string("--listen"), std::string("127.0.0.1:0"), std::string("--data"),
                          dir_ + "/data", std::string("--keys"), dir_ + "/keys", std::string("--port-file"),
                          dir_ + "/port"})
        args.push_back(a);
    for (auto& f : flags) args.push_back(f);
    std::string log = dir_ + "/tacitd.log";
    pid_t pid = fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) {
        // Dies with the bench even if the bench is killed with SIGKILL.
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
        }
        int null = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (null >= 0) dup2(null, 0);
        std::vector<char*> av;
        for (auto& a : args) av.push_back(const_cast<char*>(a.c_str()));
        av.push_back(nullptr);
        execvp(av[0], av.data());
        _exit(127);
    }
    pid_ = pid;
    remember_child(pid);
    // Up to 10 s (120 s under a wrapper such as valgrind) for the port file.
    double limit = opt.wrap.empty() ? 10 : 120;
    double t0 = mono_s();
    for (;;) {
        std::string p = read_text(dir_ + "/port");
        if (!p.empty() && p.back() == '\n') {
            port_ = uint16_t(std::stoi(p));
            break;
        }
        int st = 0;
        if (waitpid(pid_, &st, WNOHANG) == pid_) {
            forget_child(pid_);
            pid_ = -1;
            throw std::runtime_error("tacitd exited at start: " + log_tail(20));
        }
        if (mono_s() - t0 > limit) throw std::runtime_error("tacitd did not start: " + log_tail(20));
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

Tacitd::~Tacitd() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    int st = 0;
    double t0 = mono_s();
    for (;;) {
        pid_t r = waitpid(pid_, &st, WNOHANG);
        if (r == pid_ || (r < 0 && errno != EINTR)) break;
        if (mono_s() - t0 > 10) {
            ::kill(pid_, SIGKILL);
            waitpid(pid_, &st, 0);
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    forget_child(pid_);
}

bool Tacitd::alive() const { return pid_ > 0 && ::kill(pid_, 0) == 0; }

namespace {
// utime and stime in seconds. Fields after "(comm)": state is field 3,
// utime 14, stime 15.
std::pair<double, double> stat_times(pid_t pid) {
    std::string s = read_text(fmt::format("/proc/{}/stat", pid));
    auto close = s.rfind(')');
    if (close == std::string::npos) return {-1, -1};
    std::istringstream ss(s.substr(close + 2));
    std::string f;
    unsigned long long ut = 0, st = 0;
    for (int i = 3; i <= 15 && ss >> f; ++i) {
        if (i == 14) ut = std::stoull(f);
        if (i == 15) st = std::stoull(f);
    }
    double hz = double(sysconf(_SC_CLK_TCK));
    return {double(ut) / hz, double(st) / hz};
}
}  // namespace

double Tacitd::cpu_s() const {
    auto [u, s] = stat_times(pid_);
    return u + s;
}

double Tacitd::sys_s() const { return stat_times(pid_).second; }

double Tacitd::sched_s() const {
    std::string s = read_text(fmt::format("/proc/{}/schedstat", pid_));
    if (s.empty()) return -1;
    return double(std::stoull(s)) / 1e9;
}

double Tacitd::all_threads_s() const {
    double sum = 0;
    const std::string task = fmt::format("/proc/{}/task", pid_);
    DIR* d = opendir(task.c_str());
    if (!d) return -1;
    while (dirent* e = readdir(d)) {
        if (e->d_name[0] == '.') continue;
        std::string s = read_text(task + "/" + e->d_name + "/schedstat");
        if (!s.empty()) sum += double(std::stoull(s)) / 1e9;
    }
    closedir(d);
    return sum;
}

double Tacitd::runq_s() const {
    std::istringstream ss(read_text(fmt::format("/proc/{}/schedstat", pid_)));
    unsigned long long run = 0, wait = 0;
    if (!(ss >> run >> wait)) return -1;
    return double(wait) / 1e9;
}

long Tacitd::rss_kb() const { return status_field_kb(pid_, "VmRSS"); }
long Tacitd::rss_anon_kb() const { return status_field_kb(pid_, "RssAnon"); }

std::string Tacitd::log_tail(size_t lines) const {
    std::string s = read_text(dir_ + "/tacitd.log");
    size_t pos = s.size();
    for (size_t n = 0; n <= lines && pos > 0; ++n) {
        auto p = s.rfind('\n', pos - 1);
        if (p == std::string::npos) {
            pos = 0;
            break;
        }
        pos = p;
    }
    return s.substr(pos);
}

}  // namespace tacit::bench
