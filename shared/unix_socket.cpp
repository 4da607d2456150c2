#include "shared/unix_socket.hpp"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>
#include <system_error>

namespace tacit {

namespace {

std::string errstr(int err) { return std::generic_category().message(err); }

// Throws when the path does not fit sun_path (108 bytes with its NUL).
sockaddr_un unix_addr(const std::string& path, const std::string& what) {
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    if (path.empty() || path.size() >= sizeof a.sun_path || path.find('\0') != std::string::npos)
        throw std::runtime_error(what + ": a socket path must be 1 to " + std::to_string(sizeof a.sun_path - 1) +
                                 " bytes");
    path.copy(a.sun_path, path.size());
    return a;
}

UniqueFd unix_stream(int flags) {
    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | flags, 0));
    if (!fd) throw std::system_error(errno, std::generic_category(), "socket(AF_UNIX)");
    return fd;
}

// Whether a server accepts connections at path right now. A full backlog
// (EAGAIN) is a live server too.
bool someone_listens(const sockaddr_un& a) {
    UniqueFd probe = unix_stream(SOCK_NONBLOCK);
    if (::connect(probe.get(), reinterpret_cast<const sockaddr*>(&a), sizeof a) == 0) return true;
    return errno == EAGAIN || errno == EINPROGRESS;
}

}  // namespace

SocketFile& SocketFile::operator=(SocketFile&& o) noexcept {
    if (this != &o) {
        remove();
        path_ = std::move(o.path_);
        dev_ = o.dev_;
        ino_ = o.ino_;
        o.path_.clear();
    }
    return *this;
}

void SocketFile::remove() noexcept {
    if (path_.empty()) return;
    struct stat st{};
    if (::lstat(path_.c_str(), &st) == 0 && S_ISSOCK(st.st_mode) && st.st_dev == dev_ && st.st_ino == ino_)
        (void)::unlink(path_.c_str());
    path_.clear();
}

UnixListen listen_unix(const std::string& path, int backlog) {
    const std::string what = "listen unix:" + path;
    sockaddr_un addr = unix_addr(path, what);
    struct stat st{};
    if (::lstat(path.c_str(), &st) == 0) {
        if (!S_ISSOCK(st.st_mode)) throw std::runtime_error(what + ": exists and is not a socket");
        if (someone_listens(addr)) throw std::runtime_error(what + ": another server is listening there");
    } else if (errno != ENOENT) {
        throw std::runtime_error(what + ": " + errstr(errno));
    }
    // Bound under a name of our own, then renamed over the stale one: at no
    // moment is there no socket file, and a non-socket is never replaced.
    std::string tmp = path + "." + std::to_string(::getpid()) + ".new";
    sockaddr_un tmp_addr = unix_addr(tmp, what + " (temporary name " + tmp + ")");
    if (::lstat(tmp.c_str(), &st) == 0 && S_ISSOCK(st.st_mode)) (void)::unlink(tmp.c_str());
    UnixListen l{unix_stream(SOCK_NONBLOCK), {}};
    if (::bind(l.fd.get(), reinterpret_cast<const sockaddr*>(&tmp_addr), sizeof tmp_addr) != 0)
        throw std::runtime_error(what + ": " + errstr(errno));
    auto fail = [&](const char* step) {
        int err = errno;
        (void)::unlink(tmp.c_str());
        throw std::runtime_error(what + ": " + step + ": " + errstr(err));
    };
    // Every local user may connect; the umask must not narrow that.
    if (::chmod(tmp.c_str(), 0666) != 0) fail("chmod");
    if (::listen(l.fd.get(), backlog) != 0) fail("listen");
    if (::lstat(tmp.c_str(), &st) != 0) fail("stat");
    if (::rename(tmp.c_str(), path.c_str()) != 0) fail("rename");
    l.file = SocketFile(path, st.st_dev, st.st_ino);
    return l;
}

UniqueFd connect_unix(const std::string& path, int timeout_ms) {
    const std::string where = "unix:" + path;
    sockaddr_un addr = unix_addr(path, "connect " + where);
    UniqueFd fd = unix_stream(0);
    // A blocking connect(2) to a Unix socket waits only while the server's
    // backlog is full; SO_SNDTIMEO bounds that wait.
    if (timeout_ms > 0) {
        timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
        (void)::setsockopt(fd.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    }
    int rc;
    do rc = ::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
    while (rc != 0 && errno == EINTR);
    if (rc != 0) {
        int err = errno;
        if (err == ECONNREFUSED) throw std::runtime_error("connection refused: " + where);
        if (err == ENOENT) throw std::runtime_error("no server socket at " + where);
        if (err == EACCES || err == EPERM) throw std::runtime_error("permission denied: " + where);
        if (err == EAGAIN || err == EINPROGRESS || err == ETIMEDOUT)
            throw std::runtime_error("connection timed out: " + where);
        throw std::runtime_error("cannot connect to " + where + ": " + errstr(err));
    }
    timeval zero{0, 0};
    (void)::setsockopt(fd.get(), SOL_SOCKET, SO_SNDTIMEO, &zero, sizeof zero);
    return fd;
}

std::optional<PeerCred> peer_cred(int fd) {
    ucred uc{};
    socklen_t len = sizeof uc;
    if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) != 0 || len != sizeof uc) return std::nullopt;
    return PeerCred{uc.uid, uc.pid};
}

}  // namespace tacit
