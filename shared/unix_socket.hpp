// Unix domain sockets for both programs: the server's listening socket file
// (reachable by every local user, a stale file replaced, removed on exit),
// the client's connect, and the peer's credentials (SO_PEERCRED), which on
// a shared host tell one local user from another where TCP on loopback
// shows them all as 127.0.0.1.
#pragma once
#include <sys/types.h>

#include <optional>
#include <string>

#include "shared/unique_fd.hpp"

namespace tacit {

// The socket's name in the file system, unlinked when this dies if the
// name still refers to the socket we bound (so a server that replaced ours
// keeps its own). Move-only.
class SocketFile {
public:
    SocketFile() = default;
    SocketFile(std::string path, dev_t dev, ino_t ino) : path_(std::move(path)), dev_(dev), ino_(ino) {}
    SocketFile(SocketFile&& o) noexcept { *this = std::move(o); }
    SocketFile& operator=(SocketFile&& o) noexcept;
    SocketFile(const SocketFile&) = delete;
    SocketFile& operator=(const SocketFile&) = delete;
    ~SocketFile() { remove(); }
    void remove() noexcept;
    const std::string& path() const { return path_; }

private:
    std::string path_;
    dev_t dev_ = 0;
    ino_t ino_ = 0;
};

struct UnixListen {
    UniqueFd fd;  // non-blocking, close-on-exec, listening
    SocketFile file;
};

// Binds a stream socket at path with mode 0666: the protocol authenticates
// users, the socket only carries bytes. An existing socket file nobody
// listens on (left by a crash) is replaced atomically: the new socket is
// bound under a temporary name and renamed over it. Throws
// std::runtime_error ("listen unix:PATH: ...") when the path is too long, is
// not a socket, or another server is listening there.
UnixListen listen_unix(const std::string& path, int backlog = 511);

// A blocking connected socket. Throws std::runtime_error: "connection
// refused: unix:PATH", "no server socket at unix:PATH", "permission denied:
// unix:PATH", "connection timed out: unix:PATH".
UniqueFd connect_unix(const std::string& path, int timeout_ms);

struct PeerCred {
    uid_t uid;
    pid_t pid;
};
// The credentials the kernel recorded when the peer of an AF_UNIX socket
// connected; nullopt if it has none.
std::optional<PeerCred> peer_cred(int fd);

}  // namespace tacit
