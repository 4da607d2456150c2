#include "shared/net.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <memory>
#include <stdexcept>
#include <system_error>
#include <vector>

#include "shared/clock.hpp"
#include "shared/event_loop.hpp"
#include "shared/unix_socket.hpp"

namespace tacit {

namespace {

std::string errstr(int err) { return std::generic_category().message(err); }

[[noreturn]] void fail(int err, const char* what) {
    throw std::system_error(err, std::generic_category(), what);
}

std::optional<uint16_t> parse_port(std::string_view p) {
    if (p.empty() || p.size() > 5) return std::nullopt;
    uint32_t v = 0;
    for (char c : p) {
        if (c < '0' || c > '9') return std::nullopt;
        v = v * 10 + uint32_t(c - '0');
    }
    if (v > 65535) return std::nullopt;
    return uint16_t(v);
}

bool valid_host(std::string_view h) {
    if (h.empty() || h.size() > 253) return false;
    return std::all_of(h.begin(), h.end(), [](char c) {
        unsigned char u = static_cast<unsigned char>(c);
        return u > 0x20 && u != 0x7f && c != '[' && c != ']' && c != '/';
    });
}

using AddrList = std::unique_ptr<addrinfo, decltype(&freeaddrinfo)>;

// Throws runtime_error with `what` as the message prefix.
AddrList resolve(const HostPort& hp, int flags, const std::string& what) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = flags | AI_NUMERICSERV;
    std::string port = std::to_string(hp.port);
    addrinfo* res = nullptr;
    int rc = getaddrinfo(hp.host.c_str(), port.c_str(), &hints, &res);
    if (rc != 0) {
        std::string why = rc == EAI_SYSTEM ? errstr(errno) : gai_strerror(rc);
        throw std::runtime_error(what + ": cannot resolve " + hp.host + ": " + why);
    }
    return AddrList(res, freeaddrinfo);
}

// Remaining milliseconds until deadline; -1 means no deadline.
int remaining(int64_t deadline) {
    if (deadline < 0) return -1;
    int64_t left = deadline - int64_t(mono_ms());
    return left <= 0 ? 0 : int(std::min<int64_t>(left, 1 << 30));
}

int64_t deadline_after(int timeout_ms) {
    return timeout_ms < 0 ? -1 : int64_t(mono_ms()) + timeout_ms;
}

// 1 ready (or error/hangup pending: the next syscall reports it), 0 timeout,
// -1 poll failed.
int wait_fd(int fd, short events, int64_t deadline) {
    for (;;) {
        pollfd p{fd, events, 0};
        int rc = ::poll(&p, 1, remaining(deadline));
        if (rc > 0) return 1;
        if (rc == 0) return 0;
        if (errno != EINTR) return -1;
    }
}

void set_blocking(int fd) {
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0) fail(errno, "fcntl");
}

bool is_peer_error(int err) {
    // accept(2): Linux passes pending network errors of the new connection
    // through accept; they concern that peer only.
    switch (err) {
    case ECONNABORTED: case EPROTO: case ENETDOWN: case ENOPROTOOPT: case EHOSTDOWN:
    case ENONET: case EHOSTUNREACH: case EOPNOTSUPP: case ENETUNREACH: case EPERM:
        return true;
    default:
        return false;
    }
}

}  // namespace

std::string format_host(const sockaddr_storage& ss) {
    char buf[INET6_ADDRSTRLEN] = {};
    if (ss.ss_family == AF_INET) {
        const auto& a = reinterpret_cast<const sockaddr_in&>(ss);
        return inet_ntop(AF_INET, &a.sin_addr, buf, sizeof buf) ? buf : "?";
    }
    if (ss.ss_family != AF_INET6) return "?";
    const auto& a = reinterpret_cast<const sockaddr_in6&>(ss);
    // Dual-stack listeners see IPv4 peers as ::ffff:a.b.c.d.
    if (IN6_IS_ADDR_V4MAPPED(&a.sin6_addr))
        return inet_ntop(AF_INET, &a.sin6_addr.s6_addr[12], buf, sizeof buf) ? buf : "?";
    return inet_ntop(AF_INET6, &a.sin6_addr, buf, sizeof buf) ? buf : "?";
}

std::string format_addr(const sockaddr_storage& ss) {
    std::string host = format_host(ss);
    if (host == "?") return host;
    if (ss.ss_family == AF_INET)
        return host + ":" + std::to_string(ntohs(reinterpret_cast<const sockaddr_in&>(ss).sin_port));
    const auto& a = reinterpret_cast<const sockaddr_in6&>(ss);
    std::string port = std::to_string(ntohs(a.sin6_port));
    return IN6_IS_ADDR_V4MAPPED(&a.sin6_addr) ? host + ":" + port : "[" + host + "]:" + port;
}

std::optional<HostPort> parse_hostport(std::string_view s, uint16_t default_port) {
    std::string_view host, port;
    bool has_port = false;
    if (!s.empty() && s[0] == '[') {
        size_t close = s.find(']');
        if (close == std::string_view::npos) return std::nullopt;
        host = s.substr(1, close - 1);
        if (host.find(':') == std::string_view::npos) return std::nullopt;  // brackets are for IPv6
        std::string_view rest = s.substr(close + 1);
        if (!rest.empty()) {
            if (rest[0] != ':') return std::nullopt;
            port = rest.substr(1);
            has_port = true;
        }
    } else {
        size_t c = s.find(':');
        if (c == std::string_view::npos || s.find(':', c + 1) != std::string_view::npos) {
            host = s;  // a name, or a bare IPv6 literal
        } else {
            host = s.substr(0, c);
            port = s.substr(c + 1);
            has_port = true;
        }
    }
    if (!valid_host(host)) return std::nullopt;
    HostPort hp{std::string(host), default_port};
    if (has_port) {
        auto p = parse_port(port);
        if (!p) return std::nullopt;
        hp.port = *p;
    }
    return hp;
}

std::string to_string(const HostPort& hp) {
    if (hp.host.find(':') != std::string::npos)
        return "[" + hp.host + "]:" + std::to_string(hp.port);
    return hp.host + ":" + std::to_string(hp.port);
}

std::optional<Endpoint> parse_endpoint(std::string_view s, uint16_t default_port) {
    constexpr std::string_view kUnix = "unix:";
    if (s.substr(0, kUnix.size()) == kUnix) {
        auto path = s.substr(kUnix.size());
        if (path.empty() || path.find('\0') != std::string_view::npos) return std::nullopt;
        return Endpoint(UnixPath{std::string(path)});
    }
    auto hp = parse_hostport(s, default_port);
    if (!hp) return std::nullopt;
    return Endpoint(std::move(*hp));
}

std::string to_string(const Endpoint& e) {
    if (auto* u = std::get_if<UnixPath>(&e)) return "unix:" + u->path;
    return to_string(std::get<HostPort>(e));
}

UniqueFd connect_endpoint(const Endpoint& e, int timeout_ms) {
    if (auto* u = std::get_if<UnixPath>(&e)) return connect_unix(u->path, timeout_ms);
    return connect_tcp(std::get<HostPort>(e), timeout_ms);
}

UniqueFd listen_tcp(const HostPort& hp, int backlog) {
    const std::string what = "listen " + to_string(hp);
    AddrList res = resolve(hp, AI_PASSIVE, what);
    // A name with both families ("localhost") binds IPv4 first, so that
    // clients given 127.0.0.1 reach it.
    std::vector<const addrinfo*> addrs;
    for (const addrinfo* ai = res.get(); ai; ai = ai->ai_next) addrs.push_back(ai);
    std::stable_partition(addrs.begin(), addrs.end(),
                          [](const addrinfo* ai) { return ai->ai_family == AF_INET; });
    int err = EADDRNOTAVAIL;
    for (const addrinfo* ai : addrs) {
        UniqueFd fd(::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                             ai->ai_protocol));
        if (!fd) { err = errno; continue; }
        int one = 1;
        if (setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
            ::bind(fd.get(), ai->ai_addr, ai->ai_addrlen) != 0 ||
            ::listen(fd.get(), backlog) != 0) {
            err = errno;
            continue;
        }
        return fd;
    }
    throw std::runtime_error(what + ": " + errstr(err));
}

uint16_t local_port(int fd) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0)
        throw std::runtime_error("getsockname: " + errstr(errno));
    if (ss.ss_family == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in&>(ss).sin_port);
    if (ss.ss_family == AF_INET6) return ntohs(reinterpret_cast<const sockaddr_in6&>(ss).sin6_port);
    throw std::runtime_error("getsockname: not an IP socket");
}

UniqueFd connect_tcp(const HostPort& hp, int timeout_ms) {
    const std::string where = to_string(hp);
    const int64_t deadline = deadline_after(timeout_ms);
    AddrList res = resolve(hp, 0, "connect " + where);
    int err = EADDRNOTAVAIL;
    for (const addrinfo* ai = res.get(); ai && err != ETIMEDOUT; ai = ai->ai_next) {
        UniqueFd fd(::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                             ai->ai_protocol));
        if (!fd) { err = errno; continue; }
        if (::connect(fd.get(), ai->ai_addr, ai->ai_addrlen) != 0) {
            if (errno != EINPROGRESS) { err = errno; continue; }
            int rc = wait_fd(fd.get(), POLLOUT, deadline);
            if (rc == 0) { err = ETIMEDOUT; continue; }
            if (rc < 0) { err = errno; continue; }
            int soerr = 0;
            socklen_t len = sizeof soerr;
            if (getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &soerr, &len) != 0) soerr = errno;
            if (soerr != 0) { err = soerr; continue; }
        }
        set_blocking(fd.get());
        set_nodelay(fd.get());
        return fd;
    }
    if (err == ECONNREFUSED) throw std::runtime_error("connection refused: " + where);
    if (err == ETIMEDOUT) throw std::runtime_error("connection timed out: " + where);
    throw std::runtime_error("cannot connect to " + where + ": " + errstr(err));
}

void set_nonblocking(int fd) {
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) fail(errno, "fcntl");
}

void set_nodelay(int fd) {
    int one = 1;
    if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0) fail(errno, "TCP_NODELAY");
}

std::string peer_address(int fd) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    if (getpeername(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return "?";
    return format_addr(ss);
}

bool write_all(int fd, ByteView data, int timeout_ms) {
    const int64_t deadline = deadline_after(timeout_ms);
    size_t off = 0;
    while (off < data.size()) {
        // MSG_DONTWAIT even on a blocking fd: a blocking send of a large
        // buffer would ignore our deadline.
        ssize_t n = ::send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0) { off += size_t(n); continue; }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            if (wait_fd(fd, POLLOUT, deadline) <= 0) return false;
            continue;
        }
        return false;
    }
    return true;
}

ReadResult read_frame(int fd, FrameDecoder& dec, Bytes& body, int timeout_ms) {
    const int64_t deadline = deadline_after(timeout_ms);
    uint8_t buf[16384];
    for (;;) {
        switch (dec.next(body)) {
        case FrameDecoder::Result::Frame: return ReadResult::Frame;
        case FrameDecoder::Result::BadLength: return ReadResult::BadLength;
        case FrameDecoder::Result::NeedMore: break;
        }
        ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
        if (n > 0) { dec.feed({buf, size_t(n)}); continue; }
        if (n == 0) return ReadResult::Closed;
        if (errno == EINTR) continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK) return ReadResult::Closed;
        int rc = wait_fd(fd, POLLIN, deadline);
        if (rc == 0) return ReadResult::Timeout;
        if (rc < 0) return ReadResult::Closed;
    }
}

Acceptor::Acceptor(UniqueFd listen_fd)
    : listen_(std::move(listen_fd)), reserve_(::open("/dev/null", O_RDONLY | O_CLOEXEC)) {
    if (!reserve_) fail(errno, "open /dev/null");
}

std::optional<UniqueFd> Acceptor::accept_one(std::string* peer) {
    // Bounded so a socket that keeps reporting "peer" errors cannot trap us.
    for (int tries = 0; tries < 64; ++tries) {
        sockaddr_storage ss{};
        socklen_t len = sizeof ss;
        int fd = ::accept4(listen_.get(), reinterpret_cast<sockaddr*>(&ss), &len,
                           SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd >= 0) {
            UniqueFd conn(fd);
            int one = 1;
            // Replies are flushed once per loop pass; Nagle would only delay
            // them. Best effort: a failure here costs latency, not correctness.
            (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            if (peer) *peer = format_addr(ss);
            return conn;
        }
        int err = errno;
        if (err == EINTR || is_peer_error(err)) continue;
        if (err == EAGAIN || err == EWOULDBLOCK) return std::nullopt;
        if (err == EMFILE || err == ENFILE) {
            drop_pending();
            return std::nullopt;
        }
        // Out of kernel memory: transient, the listener stays readable and we
        // try again next pass.
        if (err == ENOBUFS || err == ENOMEM) return std::nullopt;
        fail(err, "accept");
    }
    return std::nullopt;
}

void Acceptor::drop_pending() {
    // Closing the peers tells them at once instead of leaving them to time
    // out in the backlog, and stops the listener from spinning the loop.
    reserve_.reset();
    for (int i = 0; i < 65536; ++i) {  // bounded against a listener that errs forever
        int fd = ::accept4(listen_.get(), nullptr, nullptr, SOCK_CLOEXEC);
        if (fd >= 0) {
            ::close(fd);
            ++dropped_;
            continue;
        }
        if (errno == EINTR || is_peer_error(errno)) continue;
        break;
    }
    // If another fd took the slot meanwhile, the next EMFILE drops nothing;
    // the reserve is retried then.
    reserve_.reset(::open("/dev/null", O_RDONLY | O_CLOEXEC));
}

}  // namespace tacit
